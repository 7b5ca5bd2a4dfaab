"""Read a module's imports from its source: import statements, literal
``import_module``/``__import__`` calls and dotted strings naming modules of its package."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from bundler.caches.content import content_key
from bundler.caches.results import Results, code_version
from bundler.errors import ResolveError
from bundler.resolve.graph import ImportRef, Module

__all__ = ["imports_of", "parse_source", "scan_imports", "source_of", "top_level_names"]

# Handlers that make an import optional: the code is ready for the module to be absent.
_OPTIONAL_HANDLERS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+\Z")


def source_of(module: Module) -> Path | None:
    """The Python source whose imports ``module`` makes: its own file, or for a compiled
    module the source twin mypyc ships beside it (``black/linegen.py`` next to
    ``black/linegen.cpython-311-x86_64-linux-gnu.so``), which imports what it imports."""
    path = module.path
    if path is None or path.suffix == ".py":
        return path
    stem = "__init__" if module.is_package else module.name.rpartition(".")[2]
    twin = path.with_name(f"{stem}.py")
    return twin if twin.is_file() else None


def scan_imports(
    tree: ast.Module, module: str, is_package: bool, source: bytes | None = None
) -> list[ImportRef]:
    """Every import in ``tree``, with relative imports made absolute.

    Imports inside ``try`` blocks that catch ImportError, or under ``if`` (version or
    platform checks), are optional. ``if TYPE_CHECKING:`` blocks are skipped: they never run.
    Literal ``importlib.import_module("x")`` and ``__import__("x")`` calls count as imports.

    Given the ``source`` that ``tree`` was parsed from, statements alone are visited when
    no expression can add an import: no import call and no quoted dotted name of the
    package is in it (pygments' lexers: a fifth of the nodes, the same imports).
    """
    package = module if is_package else module.rpartition(".")[0]
    refs: list[ImportRef] = []
    visitor = _ImportVisitor(package, refs)
    if source is not None and not _expressions_may_import(source, package):
        visitor = _StatementVisitor(package, refs)
    visitor.visit(tree)
    return refs


def _expressions_may_import(source: bytes, package: str) -> bool:
    """Whether an expression of ``source`` may name a module: an import call, or a string
    that starts with the top-level package and a dot (what ``visit_Constant`` takes)."""
    if b"import_module" in source or b"__import__" in source:
        return True
    top = package.partition(".")[0].encode()
    return bool(top) and (b"'" + top + b"." in source or b'"' + top + b"." in source)


def imports_of(
    results: Results, path: Path, module: str, is_package: bool, *, project: bool
) -> list[ImportRef] | None:
    """``scan_imports`` of the source at ``path``, kept in ``results`` by its content;
    None if it does not parse (``parse_source``: in the project, an error)."""

    def scan(source: bytes | None = None) -> list[ImportRef] | None:
        tree = parse_source(path, module, project=project, source=source)
        return None if tree is None else scan_imports(tree, module, is_package, source)

    try:
        source = path.read_bytes()
    except OSError:
        return scan()  # parse_source says what is wrong
    version = code_version(sys.modules[__name__])
    key = content_key(b"imports", version, module.encode(), bytes([is_package]), source)
    refs: list[ImportRef] | None = results.memo(
        key,
        lambda: scan(source),
        lambda refs: [[r.name, r.line, r.optional, list(r.fromlist), r.by_name] for r in refs],
        lambda rows: [ImportRef(n, line, o, tuple(f), b) for n, line, o, f, b in rows],
    )
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


class _StatementVisitor(_ImportVisitor):
    """The same scan, through statement bodies only: imports are statements, and what
    expressions add (calls, dotted strings) is known to be absent."""

    def generic_visit(self, node: ast.AST) -> None:
        for field in _BODIES:
            for child in getattr(node, field, None) or ():
                self.visit(child)


# The fields of a node that hold statements (or handlers and cases, which hold them).
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


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


def top_level_names(tree: ast.Module) -> set[str]:
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


def parse_source(
    path: Path, module: str, *, project: bool, source: bytes | None = None
) -> ast.Module | None:
    """Parse a source file (``source``: its bytes, already read); a syntax error is fatal
    in the project, a warning elsewhere."""
    try:
        source = path.read_bytes() if source is None else source
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
