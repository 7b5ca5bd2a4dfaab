"""Follow imports from the entry point and classify every module that is reached."""

from __future__ import annotations

import ast
import enum
import importlib.machinery
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bundler.entrypoint import EntryPoint
from bundler.environment import Environment, normalise_name
from bundler.errors import EntryPointError, ResolveError

__all__ = [
    "Graph",
    "ImportRef",
    "MissingImport",
    "Module",
    "ModuleKind",
    "ModuleLocator",
    "plugin_roots",
    "resolve_imports",
    "scan_imports",
]

# Handlers that make an import optional: the code is ready for the module to be absent.
_OPTIONAL_HANDLERS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+\Z")


class ModuleKind(str, enum.Enum):
    """Where a module comes from, which decides whether it goes into the archive."""

    BUILTIN = "builtin"
    STDLIB = "stdlib"
    PROJECT = "project"
    THIRD_PARTY = "third-party"
    EXTENSION = "extension"
    NAMESPACE = "namespace"

    @property
    def bundled(self) -> bool:
        """Whether modules of this kind are copied into the archive."""
        return self not in (ModuleKind.BUILTIN, ModuleKind.STDLIB)


@dataclass(frozen=True)
class Module:
    """A module reached from the entry point."""

    name: str
    kind: ModuleKind
    path: Path | None
    is_package: bool
    search_locations: tuple[Path, ...] = ()
    importers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportRef:
    """One import found in a module's source: a module name it may need."""

    name: str
    line: int
    optional: bool
    # For ``from X import a, b``: the names that may be submodules of X.
    fromlist: tuple[str, ...] = ()
    # A string naming something in the importer's own package ("pkg.ext.Plugin"), as plugin
    # lists and import_string() use: the longest prefix that is a module is followed.
    by_name: bool = False


@dataclass(frozen=True)
class MissingImport:
    """An import that could not be found in the target environment."""

    name: str
    importer: str
    line: int
    optional: bool

    def describe(self) -> str:
        """One line naming the module and where it is imported."""
        how = "optional import" if self.optional else "import"
        return f"{how} '{self.name}' not found (imported by {self.importer}, line {self.line})"


@dataclass(frozen=True)
class Graph:
    """The result of resolution: reached modules, misses and warnings."""

    entry: EntryPoint
    modules: Mapping[str, Module]
    missing: tuple[MissingImport, ...] = ()
    warnings: tuple[str, ...] = ()
    roots: tuple[str, ...] = field(default=())

    def bundled(self) -> Iterator[Module]:
        """The reached modules that belong in the archive, in name order."""
        for name in sorted(self.modules):
            module = self.modules[name]
            if module.kind.bundled:
                yield module


class ModuleLocator:
    """Find modules the way ``importlib.machinery.PathFinder`` would, for the target.

    PathFinder itself uses this process's path hooks and extension suffixes; the target
    interpreter may differ, so we build ``FileFinder`` objects with the target's suffixes.
    """

    def __init__(self, search_path: Sequence[Path], extension_suffixes: Sequence[str]) -> None:
        self._search_path = tuple(str(p) for p in search_path)
        self._details = [
            (importlib.machinery.ExtensionFileLoader, list(extension_suffixes)),
            (importlib.machinery.SourceFileLoader, [".py"]),
            (importlib.machinery.SourcelessFileLoader, [".pyc"]),
        ]
        self._finders: dict[str, importlib.machinery.FileFinder] = {}
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find(self, fullname: str) -> importlib.machinery.ModuleSpec | None:
        """The spec of ``fullname`` (parents are searched first), or None if absent."""
        if fullname in self._specs:
            return self._specs[fullname]
        parent, _, _ = fullname.rpartition(".")
        if parent:
            parent_spec = self.find(parent)
            locations = parent_spec.submodule_search_locations if parent_spec else None
            spec = self._search(fullname, tuple(locations)) if locations else None
        else:
            spec = self._search(fullname, self._search_path)
        self._specs[fullname] = spec
        return spec

    def _search(
        self, fullname: str, entries: Iterable[str]
    ) -> importlib.machinery.ModuleSpec | None:
        portions: list[str] = []
        for entry in entries:
            spec = self._finder(entry).find_spec(fullname)
            if spec is None:
                continue
            if spec.loader is not None:
                return spec
            portions.extend(spec.submodule_search_locations or ())
        if not portions:
            return None
        # Portions of a namespace package, gathered across the path as PathFinder does.
        spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = portions
        return spec

    def _finder(self, entry: str) -> importlib.machinery.FileFinder:
        finder = self._finders.get(entry)
        if finder is None:
            finder = importlib.machinery.FileFinder(entry, *self._details)
            self._finders[entry] = finder
        return finder


def resolve_imports(
    entry: EntryPoint,
    env: Environment,
    project_root: Path,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Graph:
    """Walk the import graph from ``entry`` and ``include``.

    When the walk runs out, the entry points of the distributions reached so far (and of
    plugin distributions that depend on them) become new roots, until nothing new appears.
    """
    return _Walker(env, project_root, exclude).walk(entry, include)


def plugin_roots(env: Environment, modules: Iterable[Module]) -> dict[str, str]:
    """Modules named by entry points that the bundled code may load at run time.

    An entry point group is followed only when its consumer is bundled: the group's first
    dotted part (``tallyho`` in ``tallyho.counters``, ``pytest`` in ``pytest11``) must name
    a bundled top-level module or distribution. Console and GUI scripts are left out: only
    the chosen entry point runs. Groups are read from every distribution in the environment,
    as ``importlib.metadata`` would at run time: the included ones and their plugins, be they
    dependents (flake8-bugbear for flake8) or dependencies (mccabe for flake8). Returns
    module name -> the distribution that declares it.
    """
    bundled = [m for m in modules if m.kind.bundled]
    included = {d.key: d for m in bundled if m.path and (d := env.owner_of(m.path))}
    consumers = set(included) | {normalise_name(m.name.partition(".")[0]) for m in bundled}
    plugins = [dist for dist in env.distributions if dist.key not in included]
    roots: dict[str, str] = {}
    for dist in [*included.values(), *plugins]:
        for group, items in sorted(dist.entry_points.items()):
            # "flake8.extension" names flake8; "pytest11" names pytest.
            head = group.partition(".")[0]
            named = {normalise_name(head), normalise_name(head.rstrip("0123456789"))}
            if group in ("console_scripts", "gui_scripts") or not named & consumers:
                continue
            for value in items.values():
                module = value.split(":")[0].split("[")[0].strip()
                if module:
                    roots.setdefault(module, dist.name)
    return roots


class _Walker:
    """One breadth-first traversal of the import graph."""

    def __init__(self, env: Environment, project_root: Path, exclude: Sequence[str]) -> None:
        self._env = env
        self._project_root = project_root.resolve()
        self._exclude = tuple(exclude)
        self._locator = ModuleLocator(env.search_path, env.interpreter.extension_suffixes)
        self._modules: dict[str, Module] = {}
        self._importers: dict[str, list[str]] = {}
        self._missing: dict[str, MissingImport] = {}
        self._warnings: list[str] = []
        self._queue: deque[str] = deque()

    def walk(self, entry: EntryPoint, roots: Sequence[str]) -> Graph:
        self._check_entry(entry)
        self._reach(entry.module, importer="<entry point>")
        main = f"{entry.module}.__main__"
        if entry.function is None and self._locator.find(main) is not None:
            # Run like ``python -m package``: what runs is the package's __main__ module.
            self._reach(main, importer="<entry point>")
        for root in roots:
            if self._locator.find(root) is None and not self._is_stdlib_name(root):
                raise ResolveError(f"module '{root}' given to --include was not found")
            self._reach(root, importer="<include>")
        self._drain()
        tried: set[str] = set()
        while True:
            plugins = plugin_roots(self._env, self._modules.values())
            for module, dist in sorted(plugins.items()):
                if module in tried or module in self._modules or self._is_excluded(module):
                    continue
                tried.add(module)
                if not self._reach(module, importer=f"<entry point of {dist}>"):
                    self._warnings.append(
                        f"entry point module '{module}' of {dist} was not found; skipped"
                    )
            if not self._queue:
                break
            self._drain()
        modules = {
            name: _with_importers(module, self._importers.get(name, ()))
            for name, module in self._modules.items()
        }
        missing = tuple(sorted(self._missing.values(), key=lambda m: (m.name, m.importer)))
        return Graph(entry, modules, missing, tuple(self._warnings), tuple(roots))

    def _drain(self) -> None:
        while self._queue:
            self._scan(self._queue.popleft())

    def _check_entry(self, entry: EntryPoint) -> None:
        spec = self._locator.find(entry.module)
        if spec is None or self._is_stdlib_name(entry.module):
            raise EntryPointError(
                f"entry module '{entry.module}' was not found in the project or its environment"
            )
        if entry.function is None:
            return
        origin = spec.origin
        if origin is None or not origin.endswith(".py"):
            return
        tree = _parse(Path(origin), entry.module, project=True)
        head = entry.function.split(".")[0]
        if tree is not None and head not in _top_level_names(tree):
            raise EntryPointError(
                f"entry function '{entry.function}' is not defined in module "
                f"'{entry.module}' ({origin})"
            )

    def _reach(self, name: str, importer: str) -> bool:
        """Mark ``name`` and its parent packages as reached; False if it does not exist."""
        if self._is_excluded(name):
            return True
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            self._importers.setdefault(prefix, [])
            if importer not in self._importers[prefix] and len(self._importers[prefix]) < 5:
                self._importers[prefix].append(importer)
            if prefix in self._modules:
                continue
            module = self._classify(prefix)
            if module is None:
                return False
            self._modules[prefix] = module
            if module.kind.bundled:
                self._queue.append(prefix)
            else:
                return True  # the stdlib is not followed: it is on every target
        return True

    def _classify(self, name: str) -> Module | None:
        if self._is_stdlib_name(name):
            kind = (
                ModuleKind.BUILTIN
                if name in self._env.interpreter.builtin_modules
                else ModuleKind.STDLIB
            )
            return Module(name, kind, None, False)
        spec = self._locator.find(name)
        if spec is None:
            return None
        locations = tuple(Path(p) for p in spec.submodule_search_locations or ())
        if spec.loader is None:
            return Module(name, ModuleKind.NAMESPACE, None, True, locations)
        path = Path(spec.origin) if spec.origin else None
        kind = self._kind_of(name, path)
        return Module(name, kind, path, spec.submodule_search_locations is not None, locations)

    def _kind_of(self, name: str, path: Path | None) -> ModuleKind:
        if path is None:
            return ModuleKind.BUILTIN
        resolved = path.resolve()
        if self._is_project_path(name, resolved) or self._env.is_project_file(resolved):
            return ModuleKind.PROJECT
        if self._env.interpreter.is_stdlib_path(resolved):
            return ModuleKind.STDLIB
        if any(str(path).endswith(s) for s in self._env.interpreter.extension_suffixes):
            return ModuleKind.EXTENSION
        return ModuleKind.THIRD_PARTY

    def _is_project_path(self, name: str, resolved: Path) -> bool:
        """Whether the module was found in the project's own source tree.

        Being under the project directory is not enough: a virtualenv inside the project
        (``.venv/``) holds third-party code. The first path component must be the module's
        own top-level package or module.
        """
        if not resolved.is_relative_to(self._project_root):
            return False
        first = resolved.relative_to(self._project_root).parts[0]
        return first.partition(".")[0] == name.partition(".")[0]

    def _is_stdlib_name(self, name: str) -> bool:
        top = name.partition(".")[0]
        interp = self._env.interpreter
        if top in interp.builtin_modules or top in interp.stdlib_names:
            return True
        if interp.stdlib_names:
            return False
        # Older targets have no stdlib_module_names: decide by where the module lives.
        spec = self._locator.find(top)
        return bool(spec and spec.origin and interp.is_stdlib_path(Path(spec.origin)))

    def _is_excluded(self, name: str) -> bool:
        return any(name == ex or name.startswith(ex + ".") for ex in self._exclude)

    def _scan(self, name: str) -> None:
        module = self._modules[name]
        source = _source_of(module)
        if source is None:
            return
        tree = _parse(source, name, project=module.kind is ModuleKind.PROJECT)
        if tree is None:
            self._warnings.append(f"skipped {source}: it is not valid Python for this build")
            return
        for ref in scan_imports(tree, name, module.is_package):
            self._follow(ref, name)

    def _follow(self, ref: ImportRef, importer: str) -> None:
        if ref.by_name:
            module = self._longest_module(ref.name)
            if module is not None:
                self._reach(module, importer)
            return
        if not self._reach(ref.name, importer):
            self._record_missing(ref, importer)
            return
        base = self._modules.get(ref.name)
        for item in ref.fromlist:
            candidate = f"{ref.name}.{item}"
            if base is not None and base.is_package and self._locator.find(candidate):
                self._reach(candidate, importer)

    def _longest_module(self, dotted: str) -> str | None:
        parts = dotted.split(".")
        for depth in range(len(parts), 1, -1):
            candidate = ".".join(parts[:depth])
            if self._locator.find(candidate) is not None:
                return candidate
        return None

    def _record_missing(self, ref: ImportRef, importer: str) -> None:
        key = f"{ref.name}\0{importer}"
        if key not in self._missing:
            self._missing[key] = MissingImport(ref.name, importer, ref.line, ref.optional)


def _source_of(module: Module) -> Path | None:
    """The Python source whose imports ``module`` makes: its own file, or for a compiled
    module the source twin mypyc ships beside it (``black/linegen.py`` next to
    ``black/linegen.cpython-311-x86_64-linux-gnu.so``), which imports what it imports."""
    path = module.path
    if path is None or path.suffix == ".py":
        return path
    stem = "__init__" if module.is_package else module.name.rpartition(".")[2]
    twin = path.with_name(f"{stem}.py")
    return twin if twin.is_file() else None


def scan_imports(tree: ast.Module, module: str, is_package: bool) -> list[ImportRef]:
    """Every import in ``tree``, with relative imports made absolute.

    Imports inside ``try`` blocks that catch ImportError, or under ``if`` (version or
    platform checks), are optional. ``if TYPE_CHECKING:`` blocks are skipped: they never run.
    Literal ``importlib.import_module("x")`` and ``__import__("x")`` calls count as imports.
    """
    package = module if is_package else module.rpartition(".")[0]
    refs: list[ImportRef] = []
    _ImportVisitor(package, refs).visit(tree)
    return refs


class _ImportVisitor(ast.NodeVisitor):
    def __init__(self, package: str, refs: list[ImportRef]) -> None:
        self._package = package
        self._refs = refs
        self._optional_depth = 0

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node.module or "", node.level)
        if base is None:
            return
        imported = tuple(a.name for a in node.names if a.name != "*")
        if base:
            self._add(base, node.lineno, imported)
        else:  # ``from . import x`` at the top of a package tree
            for name in imported:
                self._add(name, node.lineno)

    def visit_Try(self, node: ast.Try) -> None:
        optional = any(_catches_import_error(h) for h in node.handlers)
        self._optional_depth += optional
        for stmt in node.body:
            self.visit(stmt)
        self._optional_depth -= optional
        for child in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(child)

    visit_TryStar = visit_Try

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self._optional_depth += 1
        self.generic_visit(node)
        self._optional_depth -= 1

    def visit_Constant(self, node: ast.Constant) -> None:
        # "pkg.module.Name" inside pkg: a module loaded by name (cookiecutter's Jinja
        # extensions, pygments' lexer table). Strings naming other packages are not taken:
        # too many of them are only text.
        top = self._package.partition(".")[0]
        value = node.value
        if (
            top
            and isinstance(value, str)
            and value.startswith(f"{top}.")
            and _DOTTED_NAME.match(value)
        ):
            self._refs.append(ImportRef(value, node.lineno, optional=True, by_name=True))

    def visit_Call(self, node: ast.Call) -> None:
        target = _dynamic_import_target(node)
        if target is not None:
            name, package = target
            level = len(name) - len(name.lstrip("."))
            if level and package is not None:
                absolute = _resolve_relative(name[level:], level, package, is_package=True)
                if absolute:
                    self._add(absolute, node.lineno)
            elif not level:
                self._add(name, node.lineno)
        self.generic_visit(node)

    def _absolute(self, name: str, level: int) -> str | None:
        if level == 0:
            return name
        return _resolve_relative(name, level, self._package, is_package=True)

    def _add(self, name: str, line: int, fromlist: tuple[str, ...] = ()) -> None:
        self._refs.append(ImportRef(name, line, self._optional_depth > 0, fromlist))


def _resolve_relative(name: str, level: int, package: str, *, is_package: bool) -> str | None:
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or not parts:
        return None  # beyond the top-level package: Python raises ImportError too
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        (isinstance(n, ast.Name) and n.id in _OPTIONAL_HANDLERS)
        or (isinstance(n, ast.Attribute) and n.attr in _OPTIONAL_HANDLERS)
        for n in names
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _dynamic_import_target(node: ast.Call) -> tuple[str, str | None] | None:
    func = node.func
    is_import_module = (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id == "import_module"
    )
    is_dunder_import = isinstance(func, ast.Name) and func.id == "__import__"
    if not (is_import_module or is_dunder_import) or not node.args:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    package = None
    if is_import_module and len(node.args) > 1:
        second = node.args[1]
        if isinstance(second, ast.Constant) and isinstance(second.value, str):
            package = second.value
    return first.value, package


def _top_level_names(tree: ast.Module) -> set[str]:
    """Names bound at module level: functions, classes, assignments and imports."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


def _parse(path: Path, module: str, *, project: bool) -> ast.Module | None:
    """Parse a source file; a syntax error is fatal in the project, a warning elsewhere."""
    try:
        source = path.read_bytes()
        return ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        if project:
            raise ResolveError(
                f"syntax error in {exc.filename}:{exc.lineno}: {exc.msg} (module {module})"
            ) from None
        return None
    except (OSError, ValueError) as exc:
        if project:
            raise ResolveError(f"cannot read {path}: {exc}") from None
        return None


def _with_importers(module: Module, importers: Sequence[str]) -> Module:
    return Module(
        module.name,
        module.kind,
        module.path,
        module.is_package,
        module.search_locations,
        tuple(importers),
    )
