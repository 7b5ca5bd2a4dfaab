"""Follow imports from the entry point and classify every module that is reached."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from pathlib import Path

from bundler.caches.results import Results
from bundler.entrypoint import EntryPoint
from bundler.environment import Environment
from bundler.errors import EntryPointError, ResolveError
from bundler.resolve.classify import ModuleClassifier
from bundler.resolve.graph import (
    Graph,
    ImportRef,
    ImportSite,
    MissingImport,
    Module,
    ModuleKind,
    Reason,
)
from bundler.resolve.locate import ModuleLocator
from bundler.resolve.plugins import plugin_groups
from bundler.resolve.scan import (
    imports_of,
    parse_source,
    scan_imports,
    source_of,
    top_level_names,
)
from bundler.resolve.stdlib_versions import is_versioned

__all__ = ["resolve_imports"]

# Importers remembered per module: enough to explain why it is there.
_IMPORTERS_KEPT = 5


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
    locator = ModuleLocator(env.search_path, env.interpreter.extension_suffixes)
    walk = _Walk(ModuleClassifier(env, project_root, locator), tuple(exclude))
    if entry.script is not None:
        _reach_from_script(walk, entry.script, entry.module)
    else:
        _check_entry(entry, walk.classifier)
        walk.reach(entry.module, importer="<entry point>", why=Reason("entry point"))
    main = f"{entry.module}.__main__"
    if entry.function is None and locator.find(main) is not None:
        # Run like ``python -m package``: what runs is the package's __main__ module.
        walk.reach(main, importer="<entry point>", why=Reason("entry point"))
    for root in include:
        if locator.find(root) is None and not walk.classifier.is_stdlib_name(root):
            raise ResolveError(f"module '{root}' given to --include was not found")
        walk.reach(root, importer="<include>", why=Reason("include"))
    walk.drain()
    _follow_plugins(walk, env)
    return walk.graph(entry)


def _reach_from_script(walk: _Walk, script: Path, name: str) -> None:
    """Follow the imports of a plain script, which runs as ``__main__`` (a script that is
    not valid Python cannot run: that is an error)."""
    tree = parse_source(script, name, project=True)
    if tree is None:
        return
    walk.reasons[name] = Reason("entry point")
    for ref in scan_imports(tree, "__main__", is_package=False):
        walk.follow(ref, "<entry point>", shown_as=name)


def _check_entry(entry: EntryPoint, classifier: ModuleClassifier) -> None:
    spec = classifier.locator.find(entry.module)
    if spec is None or classifier.is_stdlib_name(entry.module):
        raise EntryPointError(
            f"entry module '{entry.module}' was not found in the project or its environment"
        )
    origin = spec.origin
    if entry.function is None or origin is None or not origin.endswith(".py"):
        return
    tree = parse_source(Path(origin), entry.module, project=True)
    head = entry.function.split(".")[0]
    if tree is not None and head not in top_level_names(tree):
        raise EntryPointError(
            f"entry function '{entry.function}' is not defined in module "
            f"'{entry.module}' ({origin})"
        )


def _follow_plugins(walk: _Walk, env: Environment) -> None:
    """Reach the entry points of reached distributions and their plugins, repeatedly."""
    tried: set[str] = set()
    while True:
        for module, (dist, group) in sorted(plugin_groups(env, walk.modules.values()).items()):
            if module in tried or module in walk.modules or walk.is_excluded(module):
                continue
            tried.add(module)
            why = Reason("entry point group", detail=f"{group} of {dist}")
            if not walk.reach(module, importer=f"<entry point of {dist}>", why=why):
                walk.warnings.append(
                    f"entry point module '{module}' of {dist} was not found; skipped"
                )
        if not walk.queue:
            return
        walk.drain()


class _Walk:
    """The state of one breadth-first traversal of the import graph."""

    def __init__(self, classifier: ModuleClassifier, exclude: tuple[str, ...]) -> None:
        self.classifier = classifier
        self.exclude = exclude
        self.modules: dict[str, Module] = {}
        self.importers: dict[str, list[str]] = {}
        self.reasons: dict[str, Reason] = {}
        self.versioned: dict[tuple[str, str], ImportSite] = {}
        self.missing: dict[tuple[str, str], MissingImport] = {}
        self.warnings: list[str] = []
        self.queue: deque[str] = deque()
        # importer -> the modules it imports whatever happens (no try, no if)
        self.needs: dict[str, set[str]] = {}
        # importer -> the modules it names in import statements (optional ones too)
        self.statements: dict[str, set[str]] = {}
        self.results = Results("scans")  # import scans by content, from earlier builds

    def graph(self, entry: EntryPoint) -> Graph:
        modules = {
            name: _with_importers(module, self.importers.get(name, ()))
            for name, module in self.modules.items()
        }
        missing = tuple(sorted(self.missing.values(), key=lambda m: (m.name, m.importer)))
        reasons = {name: self.reasons[name] for name in sorted(modules) if name in self.reasons}
        versioned = tuple(self.versioned[key] for key in sorted(self.versioned))
        return Graph(
            entry,
            modules,
            missing,
            tuple(self.warnings),
            required=self._closure(self.needs),
            reasons=reasons,
            versioned_stdlib=versioned,
            imported=self._closure(self.statements),
        )

    def _closure(self, edges: dict[str, set[str]]) -> frozenset[str]:
        """The modules reached from the roots through ``edges`` (importer -> imported)."""
        found: set[str] = set()
        queue = deque(edges.get("", ()))
        while queue:
            name = queue.popleft()
            if name in found or name not in self.modules:
                continue
            found.add(name)
            queue.extend(edges.get(name, ()))
        return frozenset(found)

    def drain(self) -> None:
        while self.queue:
            self._scan(self.queue.popleft())

    def reach(
        self,
        name: str,
        importer: str,
        *,
        optional: bool = False,
        why: Reason | None = None,
        by_name: bool = False,
    ) -> bool:
        """Mark ``name`` and its parent packages as reached; False if it does not exist.

        ``importer`` is a module, or ``<...>`` for a root (the entry point, an entry point
        of a distribution, --include); an import that is not ``optional`` makes the
        module and its parents needed by the importer. ``why`` is kept for each module
        reached first here."""
        if self.is_excluded(name):
            return True
        parts = name.split(".")
        source = "" if importer.startswith("<") else importer
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            if not optional:
                self.needs.setdefault(source, set()).add(prefix)
            if not by_name:
                self.statements.setdefault(source, set()).add(prefix)
            known = self.importers.setdefault(prefix, [])
            if importer not in known and len(known) < _IMPORTERS_KEPT:
                known.append(importer)
            self.reasons.setdefault(prefix, why or Reason("import", importer))
            if prefix in self.modules:
                continue
            module = self.classifier.classify(prefix)
            if module is None:
                return False
            self.modules[prefix] = module
            if not module.kind.bundled:
                return True  # the stdlib is not followed: it is on every target
            self.queue.append(prefix)
        return True

    def is_excluded(self, name: str) -> bool:
        return any(name == ex or name.startswith(ex + ".") for ex in self.exclude)

    def _scan(self, name: str) -> None:
        module = self.modules[name]
        source = source_of(module)
        if source is None:
            return
        project = module.kind is ModuleKind.PROJECT
        refs = imports_of(self.results, source, name, module.is_package, project=project)
        if refs is None:
            self.warnings.append(f"skipped {source}: it is not valid Python for this build")
            return
        for ref in refs:
            self.follow(ref, name)

    def follow(self, ref: ImportRef, importer: str, shown_as: str = "") -> None:
        """Reach what ``ref`` imports (for a module that imports by name: the longest
        prefix that is a module); remember what cannot be found. ``shown_as`` names the
        importer in reasons when ``importer`` is a placeholder (a plain script)."""
        locator = self.classifier.locator
        why = Reason("string" if ref.by_name else "import", shown_as or importer, ref.line)
        if ref.by_name:
            module = _longest_module(ref.name, locator)
            if module is not None:
                self.reach(module, importer, optional=True, why=why, by_name=True)
            return
        if not ref.optional and is_versioned(ref.name):
            site = ImportSite(ref.name, shown_as or importer, ref.line)
            self.versioned.setdefault((ref.name, site.importer), site)
        if not self.reach(ref.name, importer, optional=ref.optional, why=why):
            key = (ref.name, importer)
            if key not in self.missing:
                self.missing[key] = MissingImport(ref.name, importer, ref.line, ref.optional)
            return
        base = self.modules.get(ref.name)
        for item in ref.fromlist:
            candidate = f"{ref.name}.{item}"
            if base is not None and base.is_package and locator.find(candidate):
                self.reach(candidate, importer, optional=ref.optional, why=why)


def _longest_module(dotted: str, locator: ModuleLocator) -> str | None:
    parts = dotted.split(".")
    for depth in range(len(parts), 1, -1):
        candidate = ".".join(parts[:depth])
        if locator.find(candidate) is not None:
            return candidate
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
