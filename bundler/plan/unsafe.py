"""Which packages must run from extracted files: those whose paths from ``__file__`` reach
the file system or leave the code that made them (the ``zipsafety`` analysis, over every
module of the payload, mypyc's Python twins included), those whose files another
package's code reaches, those that ship data no resource API reads (``datafiles``), and
those named by ``extract``; less those named by ``zip-safe``."""

from __future__ import annotations

import posixpath
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass

from bundler.caches.results import Results
from bundler.plan.datafiles import data_names as _data_names
from bundler.plan.datafiles import named_packages, unread_data, uses_resource_api
from bundler.plan.payload import Payload, PayloadModule, read_file
from bundler.plan.zipsafety import FileAccess, cached_file_access
from bundler.resolve import Graph
from bundler.runtime import EXTENSION, NAMESPACE

__all__ = ["Overrides", "UnsafePackage", "find_unsafe_packages", "within"]


@dataclass(frozen=True)
class Overrides:
    """What the user said about extraction: packages to extract whole whatever the
    analysis finds (``extract``), and packages it must leave in the zip (``zip_safe``)."""

    extract: tuple[str, ...] = ()
    zip_safe: tuple[str, ...] = ()

    def keeps_in_zip(self, module: str) -> bool:
        """Whether the user declared ``module`` (or a package holding it) zip-safe."""
        return within(module, self.zip_safe)


@dataclass(frozen=True)
class UnsafePackage:
    """A package (or top-level module) extracted whole, and why."""

    name: str
    reason: str
    # Nothing imports it literally: extracted only if the app imports it by name.
    dynamic: bool = False


def find_unsafe_packages(
    graph: Graph, payload: Payload, modules: Mapping[str, PayloadModule], overrides: Overrides
) -> tuple[list[UnsafePackage], list[str]]:
    """The packages to extract whole, outermost only, and warnings about the settings."""
    extract = overrides.extract
    warnings = [
        f"--{setting} (or [tool.bundle] {setting}) names '{name}', which is not bundled; ignored"
        for setting, names in (("extract", extract), ("zip-safe", overrides.zip_safe))
        for name in names
        if name not in modules
    ]
    readers: set[str] = set()
    found = _file_accesses(graph, payload, modules, overrides, readers)
    reasons = {unit: _describe(accesses) for unit, accesses in found.items()}
    for package, reason in unread_data(payload, modules, readers).items():
        if not overrides.keeps_in_zip(package):
            reasons.setdefault(package, reason)
    dynamic = {unit for unit in reasons if unit not in graph.modules}
    for name in extract:
        if name in modules:
            reasons[name] = "asked for with extract (--extract or [tool.bundle])"
            dynamic.discard(name)
    # A package inside another extracted package is extracted with it.
    packages = [
        UnsafePackage(name, reason, name in dynamic)
        for name, reason in sorted(reasons.items())
        if not any(within(name, (other,)) and other != name for other in reasons)
    ]
    return packages, warnings


def within(name: str, packages: Iterable[str]) -> bool:
    """Whether module ``name`` is one of ``packages`` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in packages)


def _file_accesses(
    graph: Graph,
    payload: Payload,
    modules: Mapping[str, PayloadModule],
    overrides: Overrides,
    readers: set[str],
) -> dict[str, list[tuple[str, FileAccess]]]:
    """Unit to extract -> the (member, access) that make it zip-unsafe. Adds to
    ``readers`` the top-level packages whose code uses a resource API.

    A path that leaves its module through a name (a function returning it, a public
    global, an attribute) counts only when another module of the payload mentions that
    name: otherwise every use is in the module, where the analysis followed it
    (``numpy._pyinstaller_hooks_dir()`` is for PyInstaller, which is not bundled)."""
    data_names = _data_names(payload.files)
    results = Results("scans")  # findings by content, from earlier builds
    codes: dict[str, bytes] = {}
    candidates: list[tuple[PayloadModule, str, FileAccess]] = []
    for entry, member in _python_code(payload):
        try:
            code = codes[member] = read_file(payload.files[member])
        except OSError:
            continue
        top = entry.name.partition(".")[0]
        if uses_resource_api(code):
            readers.add(top)
            readers.update(named_packages(code) & modules.keys())
        if not overrides.keeps_in_zip(entry.name):
            data = frozenset(data_names.get(posixpath.dirname(member), ()))
            found_here = cached_file_access(results, code, member, top, data)
            candidates += [(entry, member, access) for access in found_here]
    everywhere = b"\0".join(codes.values())
    units = _units(payload, modules)
    found: dict[str, list[tuple[str, FileAccess]]] = {}
    for entry, member, access in candidates:
        name = access.name.encode()
        if name and everywhere.count(name) == codes[member].count(name):
            continue  # no other module can reach the path through that name
        if access.module:
            unit = _package_of(access.module, modules)
        else:
            unit = _unsafe_unit(entry, access.climbs, graph.modules, modules, units)
        if unit is not None and not overrides.keeps_in_zip(unit):
            found.setdefault(unit, []).append((member, access))
    return found


def _python_code(payload: Payload) -> Iterable[tuple[PayloadModule, str]]:
    """(module, Python source member) of every module, compiled ones included: mypyc
    ships the source beside the extension, and it runs wherever the extension cannot be
    loaded (another Python), reading its files as the source says."""
    for entry in payload.modules:
        member = entry.member
        if member is None:
            continue
        if entry.load == EXTENSION:
            base = entry.name.replace(".", "/")
            member = f"{base}/__init__.py" if entry.is_package else f"{base}.py"
            if member not in payload.files:
                continue
        if member.endswith(".py"):
            yield entry, member


def _units(payload: Payload, modules: Mapping[str, PayloadModule]) -> list[str]:
    """The top-most regular packages and modules of the payload (below namespace
    packages): what a climbing access extracts."""
    tops = set(payload.units)
    for name, entry in modules.items():
        parent = name.rpartition(".")[0]
        above = modules.get(parent) if parent else None
        if entry.load != NAMESPACE and (above is None or above.load == NAMESPACE):
            tops.add(name)
    return sorted(tops)


def _package_of(module: str, modules: Mapping[str, PayloadModule]) -> str | None:
    """The package whose files ``module.__file__`` is about: the module's own package."""
    entry = modules.get(module)
    if entry is None or entry.load == NAMESPACE:
        return None  # a namespace package has no files of its own
    if entry.is_package or "." not in module:
        return module
    parent = module.rpartition(".")[0]
    found = modules.get(parent)
    return parent if found is not None and found.load != NAMESPACE else module


def _unsafe_unit(
    entry: PayloadModule,
    climbs: bool,
    graph: Container[str],
    modules: Mapping[str, PayloadModule],
    units: Iterable[str],
) -> str | None:
    """What to extract for a module that opens files next to itself: its own package
    (numpy.distutils, not numpy), or its whole top-level package when it climbs out
    of its directory. A top-level module is extracted alone.

    Every module of an included package is analysed, not only those the resolver
    reached: plugins and writers are imported by name (docutils' html5_polyglot).
    Since a unit is extracted only when one of its modules is imported, marking a
    subpackage that never is (numpy.f2py) costs nothing at run time; but escalating
    to the whole top-level package is kept for modules the resolver did reach, so a
    test directory that climbs out cannot make all of numpy extracted. A module at the
    top of a package counts unless the package is reached and the module is not
    (numpy/conftest.py): a package nothing imports literally, run by ``-m`` or by name
    (``python -m virtualenv``, whose info.py builds ROOT from __file__), is extracted
    whole when it is imported.
    """
    module = entry.name
    reached = module in graph
    top = next((unit for unit in units if within(module, (unit,))), None)
    if top is None or (climbs and reached):
        return top
    package = module if entry.is_package else module.rpartition(".")[0]
    if not package:
        return module if reached else None
    parent = modules.get(package)
    if parent is None or parent.load == NAMESPACE or not within(package, (top,)):
        return top if reached else None
    if package == top and not reached and top in graph:
        return None  # numpy/conftest.py must not make all of numpy extracted
    return package


def _describe(accesses: list[tuple[str, FileAccess]]) -> str:
    where, first = accesses[0]
    more = f", and {len(accesses) - 1} more" if len(accesses) > 1 else ""
    return f"zip-unsafe: {where}:{first.line} {first.describe()}{more}"
