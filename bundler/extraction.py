"""Decide what an archive extracts at run time, and why: native code and zip-unsafe packages.

Pure Python runs from inside the archive; two things cannot. Extension modules must be real
files for the dynamic loader, together with the shared libraries they load through an
``$ORIGIN`` RPATH. And packages whose code opens files next to ``__file__`` (found by
``zipsafety``, or named in ``[tool.bundle] extract``) must run from a real copy. The plan
made here is stored in the archive's index (``index_table``) and read by
``bundler/runtime/extract.py``, which extracts each unit on the first import that needs it.

Units, keyed by payload path:

- ``pkg/sub``: a directory holding extension modules. Its non-Python files and its data
  folders (subdirectories with no Python code), so relative paths between them still
  hold; its Python modules and subpackages keep importing from the archive.
- ``mod.cpython-311-x86_64-linux-gnu.so``: a top-level extension module (mypyc's shared
  ``<hash>__mypyc`` helper is one).
- ``numpy.libs/``, ``pkg/.dylibs/``: the library folders auditwheel and delocate add,
  extracted once and shared by every unit of the distribution that needs them.
- ``pkg/`` (a trailing slash: the whole tree): a zip-unsafe package, imported from the copy.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bundler.environment import Distribution, Environment
from bundler.payload import IndexEntry, Payload
from bundler.resolver import Graph, ModuleKind
from bundler.runtime.extract import MACHINE_ALIASES, is_native, is_python_source
from bundler.zipsafety import FileAccess, scan_file_access

__all__ = [
    "ExtractReason",
    "ExtractUnit",
    "ExtractionPlan",
    "NativeCode",
    "plan_extraction",
    "platforms_of_tag",
]

# Folders of shared libraries that repair tools put beside or inside a package.
_LIBRARY_DIRS = (".libs", ".dylibs")
_CPYTHON_SUFFIX = re.compile(r"\.cpython-3(\d+)[a-z]*-([^.]+)\.")
_LINUX_TAG = re.compile(r"^(many|musl)linux(?:1|2010|2014|_\d+_\d+)_(.+)$")
_MACOS_TAG = re.compile(r"^macosx_\d+_\d+_(.+)$")
_MACOS_MACHINES = {
    "universal2": ("x86_64", "aarch64"),
    "universal": ("x86_64", "x86", "ppc", "ppc64"),
    "intel": ("x86_64", "x86"),
    "fat64": ("x86_64", "ppc64"),
    "fat32": ("x86", "ppc"),
    "fat": ("x86", "ppc"),
}
_WINDOWS_MACHINES = {"win32": "x86", "win_amd64": "x86_64", "win_arm64": "aarch64"}


@dataclass(frozen=True)
class ExtractUnit:
    """Files that are extracted together, the first time a module needs any of them."""

    key: str
    members: tuple[str, ...]
    needs: tuple[str, ...]
    distribution: str | None
    size: int


@dataclass(frozen=True)
class NativeCode:
    """What one distribution's compiled code was built for."""

    key: str
    title: str
    wheel_tags: tuple[str, ...]
    suffixes: tuple[str, ...]
    platforms: tuple[tuple[str, str, str], ...]
    abi3_floor: tuple[int, int] | None
    built_for: str


@dataclass(frozen=True)
class ExtractReason:
    """One line of the build report: a package that is extracted, and why."""

    name: str
    reason: str
    size: int
    # Nothing imports it literally: extracted only if the app imports it by name.
    dynamic: bool = False

    def describe(self) -> str:
        """``numpy 2.4.6 (native code: ...; 41.3 MiB)``."""
        return f"{self.name} ({self.reason}; {_size(self.size)})"


@dataclass(frozen=True)
class ExtractionPlan:
    """Every unit the runtime may extract, and which modules are imported from the cache."""

    units: Mapping[str, ExtractUnit] = field(default_factory=dict)
    # module -> key of the unit it is imported from
    modules: Mapping[str, str] = field(default_factory=dict)
    # extension module -> its pure-Python twin's source member (mypyc ships both)
    fallbacks: Mapping[str, str] = field(default_factory=dict)
    native: Mapping[str, NativeCode] = field(default_factory=dict)
    reasons: tuple[ExtractReason, ...] = ()
    warnings: tuple[str, ...] = ()

    def index_table(self, bytecode: Mapping[str, str], files: Iterable[str] = ()) -> dict[str, Any]:
        """The ``extract`` table of the runtime's index (see runtime/extract.py).

        Zip-unsafe packages are imported from their copy by the standard loaders, so
        their build-time bytecode (``bytecode``: source member -> pyc member) goes too.
        Member names are the very string objects of ``files`` (the index's own member
        table), which marshal then stores once: the index every start reads stays small.
        """
        if not self.units:
            return {}
        same = {member: member for member in files}
        units = {}
        for key, unit in self.units.items():
            members = list(unit.members)
            if key.endswith("/") and not _is_library_folder(key):
                members += [bytecode[m] for m in unit.members if m in bytecode]
            shared = tuple(same.get(m, m) for m in sorted(members))
            units[key] = (shared, unit.needs, unit.distribution)
        return {
            "units": units,
            "modules": dict(self.modules),
            "fallbacks": {name: (s, bytecode.get(s)) for name, s in self.fallbacks.items()},
            "native": {
                key: (code.title, code.built_for, code.platforms, code.abi3_floor)
                for key, code in self.native.items()
            },
        }

    def manifest_table(self) -> dict[str, Any]:
        """The same plan for people and tools, in ``.bundle/manifest.json``."""
        return {
            "extract": [
                {"package": r.name, "reason": r.reason, "size": r.size} for r in self.reasons
            ],
            "units": {
                key: {
                    "distribution": unit.distribution,
                    "needs": list(unit.needs),
                    "size": unit.size,
                    "members": list(unit.members),
                }
                for key, unit in self.units.items()
            },
            "native": [
                {
                    "distribution": code.title,
                    "built_for": code.built_for,
                    "wheel_tags": list(code.wheel_tags),
                    "extension_suffixes": list(code.suffixes),
                }
                for code in self.native.values()
            ],
        }


def plan_extraction(
    graph: Graph,
    payload: Payload,
    env: Environment,
    *,
    extract: Sequence[str] = (),
    zip_safe: Sequence[str] = (),
) -> ExtractionPlan:
    """The units to extract at run time: native code always, zip-unsafe packages as found
    by the analysis, minus ``zip_safe``, plus ``extract`` (both lists of module names)."""
    return _Planner(graph, payload, env).plan(tuple(extract), tuple(zip_safe))


def platforms_of_tag(tag: str) -> list[tuple[str, str, str]]:
    """(os, machine, libc) triples a wheel platform tag runs on; empty when unknown.

    ``manylinux_2_17_x86_64`` -> linux x86_64 glibc; ``linux_x86_64`` leaves the libc
    open (""), ``macosx_11_0_universal2`` names two machines.
    """
    match = _LINUX_TAG.match(tag)
    if match:
        libc = "glibc" if match.group(1) == "many" else "musl"
        return [("linux", _machine(match.group(2)), libc)]
    if tag.startswith("linux_"):
        return [("linux", _machine(tag[len("linux_") :]), "")]
    match = _MACOS_TAG.match(tag)
    if match:
        arch = match.group(1)
        return [("darwin", _machine(m), "") for m in _MACOS_MACHINES.get(arch, (arch,))]
    if tag in _WINDOWS_MACHINES:
        return [("win32", _WINDOWS_MACHINES[tag], "")]
    return []


class _Planner:
    def __init__(self, graph: Graph, payload: Payload, env: Environment) -> None:
        self.graph = graph
        self.payload = payload
        self.env = env
        self.index: dict[str, IndexEntry] = {entry.name: entry for entry in payload.modules}
        self.units: dict[str, ExtractUnit] = {}
        self.modules: dict[str, str] = {}
        self.reasons: list[ExtractReason] = []
        self.warnings: list[str] = []
        self._whole: set[str] = set()  # keys of packages extracted whole
        self._data_names: dict[str, set[str]] | None = None  # directory -> data names
        self._dynamic: set[str] = set()  # zip-unsafe packages the resolver did not reach
        self._python_dirs = _directories_with_python(payload.files)

    def plan(self, extract: tuple[str, ...], zip_safe: tuple[str, ...]) -> ExtractionPlan:
        for name, reason in self._unsafe_packages(extract, zip_safe).items():
            self._add_package(name, reason)
        native_by_dist: dict[str | None, list[str]] = {}
        fallbacks: dict[str, str] = {}
        for entry in self.payload.modules:
            if entry.kind is not ModuleKind.EXTENSION or entry.member is None:
                continue
            twin = self._source_twin(entry)
            if twin is not None:
                fallbacks[entry.name] = twin
            dist = self._owner(entry.member)
            native_by_dist.setdefault(dist.key if dist else None, []).append(entry.member)
            if entry.name not in self.modules:
                self.modules[entry.name] = self._add_native_unit(entry.member, dist)
        native = {
            key: self._native_code(key, members)
            for key, members in native_by_dist.items()
            if key is not None
        }
        self._link_mypyc_groups()
        self._report_native(native_by_dist, native)
        return ExtractionPlan(
            units=dict(sorted(self.units.items())),
            modules=dict(sorted(self.modules.items())),
            fallbacks=dict(sorted(fallbacks.items())),
            native=dict(sorted(native.items())),
            reasons=tuple(sorted(self.reasons, key=lambda r: r.name)),
            warnings=tuple(self.warnings),
        )

    # -- zip-unsafe packages ------------------------------------------------------------

    def _unsafe_packages(
        self, extract: tuple[str, ...], zip_safe: tuple[str, ...]
    ) -> dict[str, str]:
        """Package (or module) name -> why it is extracted whole."""
        for name in (*extract, *zip_safe):
            if name not in self.index:
                setting = "extract" if name in extract else "zip-safe"
                self.warnings.append(
                    f"[tool.bundle] {setting} names '{name}', which is not bundled; ignored"
                )
        found: dict[str, list[tuple[str, FileAccess]]] = {}
        for entry in self.payload.modules:
            member = entry.member
            if entry.kind is ModuleKind.EXTENSION or member is None or not member.endswith(".py"):
                continue
            if _within(entry.name, zip_safe):
                continue
            source = self.payload.files[member]
            try:
                code = source if isinstance(source, bytes) else source.read_bytes()
            except OSError:
                continue
            top = entry.name.partition(".")[0]
            data = self._data_files(posixpath.dirname(member))
            for access in scan_file_access(code, member, top, data):
                package = self._unsafe_unit(entry.name, entry.is_package, access.climbs)
                if package is not None:
                    found.setdefault(package, []).append((member, access))
                    if package not in self.graph.modules:
                        self._dynamic.add(package)
        reasons = {unit: _unsafe_reason(accesses) for unit, accesses in found.items()}
        for name in extract:
            if name in self.index:
                reasons[name] = "extract in [tool.bundle]"
                self._dynamic.discard(name)
        # A package inside another extracted package is extracted with it.
        return {
            name: reason
            for name, reason in sorted(reasons.items())
            if not any(_within(name, (other,)) and other != name for other in reasons)
        }

    def _data_files(self, directory: str) -> frozenset[str]:
        """Names of the data files and data folders (no Python below) in ``directory``."""
        if self._data_names is None:
            self._data_names = {}
            for member in self.payload.files:
                parts = member.split("/")
                name = parts[-1]
                if not is_python_source(name) and name != "py.typed":
                    self._data_names.setdefault("/".join(parts[:-1]), set()).add(name)
                for depth in range(len(parts) - 1):  # the folders above it
                    if "/".join(parts[: depth + 1]) not in self._python_dirs:
                        parent = "/".join(parts[:depth])
                        self._data_names.setdefault(parent, set()).add(parts[depth])
        return frozenset(self._data_names.get(directory, ()))

    def _add_package(self, name: str, reason: str) -> None:
        entry = self.index[name]
        if entry.is_package:
            key = name.replace(".", "/") + "/"
            members = tuple(m for m in self.payload.files if m.startswith(key))
        elif entry.member is not None:
            key, members = entry.member, (entry.member,)
        else:
            return
        dist = self._owner(members[0]) if members else None
        native = any(is_native(member) for member in members)
        needs = self._library_units(name.partition(".")[0], dist) if native else ()
        self.units[key] = ExtractUnit(key, members, needs, _key(dist), self._size(members))
        self._whole.add(key)
        for module in self.index:
            if _within(module, (name,)):
                self.modules[module] = key
        dynamic = name in self._dynamic
        self.reasons.append(ExtractReason(name, reason, self._unit_size(key), dynamic))

    def _unsafe_unit(self, module: str, is_package: bool, climbs: bool) -> str | None:
        """What to extract for a module that opens files next to itself: its own package
        (numpy.distutils, not numpy), or its whole top-level package when it climbs out
        of its directory. A top-level module is extracted alone.

        Every module of an included package is analysed, not only those the resolver
        reached: plugins and writers are imported by name (docutils' html5_polyglot).
        Since a unit is extracted only when one of its modules is imported, marking a
        subpackage that never is (numpy.f2py) costs nothing at run time; but escalating
        to the whole top-level package is kept for modules the resolver did reach, so a
        test directory that climbs out cannot make all of numpy extracted.
        """
        top = self._payload_unit(module)
        reached = module in self.graph.modules
        if top is None or (climbs and reached):
            return top
        package = module if is_package else module.rpartition(".")[0]
        if not package:
            return module if reached else None
        entry = self.index.get(package)
        if entry is None or entry.kind is ModuleKind.NAMESPACE or not _within(package, (top,)):
            return top if reached else None
        if package == top and not reached:
            return None  # numpy/conftest.py must not make all of numpy extracted
        return package

    def _payload_unit(self, module: str) -> str | None:
        """The package that the payload included whole and that holds ``module``."""
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            candidate = ".".join(parts[:depth])
            if candidate in self.payload.units:
                return candidate
        return None

    # -- native code --------------------------------------------------------------------

    def _add_native_unit(self, member: str, dist: Distribution | None) -> str:
        directory = posixpath.dirname(member)
        key = directory or member
        if key not in self.units:
            members = self._directory_members(directory) if directory else (member,)
            needs = self._library_units(member.split("/")[0].split(".")[0], dist)
            size = self._size(members)
            self.units[key] = ExtractUnit(key, members, needs, _key(dist), size)
        return key

    def _directory_members(self, directory: str) -> tuple[str, ...]:
        """Non-Python files of ``directory`` and of its data folders (no Python below)."""
        prefix = directory + "/"
        members = []
        for member in self.payload.files:
            if not member.startswith(prefix) or is_python_source(member):
                continue
            rest = member[len(prefix) :]
            if "/" in rest:
                folder = rest.split("/")[0]
                if folder in _LIBRARY_DIRS or prefix + folder in self._python_dirs:
                    continue
            members.append(member)
        return tuple(members)

    def _library_units(self, top: str, dist: Distribution | None) -> tuple[str, ...]:
        """Keys of the library folders the code of ``top`` may load through its RPATH."""
        folders = {f"{top}/{name}/" for name in _LIBRARY_DIRS}
        if dist is not None:
            for member in self.payload.files:
                first = member.split("/")[0]
                if first.endswith(".libs") and "/" in member and self._owner(member) is dist:
                    folders.add(first + "/")
        needs = []
        for folder in sorted(folders):
            members = tuple(m for m in self.payload.files if m.startswith(folder))
            if not members:
                continue
            if folder not in self.units:
                size = self._size(members)
                self.units[folder] = ExtractUnit(folder, members, (), _key(dist), size)
            needs.append(folder)
        return tuple(needs)

    def _native_code(self, key: str, members: list[str]) -> NativeCode:
        dist = next(d for d in self.env.distributions if d.key == key)
        tags = _wheel_tags(dist.dist_info)
        suffixes = sorted({self._suffix(m) for m in members})
        platforms = sorted({p for tag in tags for p in platforms_of_tag(tag.split("-")[-1])})
        floor = None
        for tag in tags:
            python, abi, _platform = tag.split("-")
            if abi == "abi3" and python.startswith("cp3") and python[3:].isdigit():
                candidate = (3, int(python[3:]))
                floor = candidate if floor is None else min(floor, candidate)
        return NativeCode(
            key=key,
            title=f"{dist.name} {dist.version}",
            wheel_tags=tuple(tags),
            suffixes=tuple(suffixes),
            platforms=tuple(platforms),
            abi3_floor=floor,
            built_for=_built_for(suffixes, tags, floor),
        )

    def _report_native(
        self, by_dist: Mapping[str | None, list[str]], native: Mapping[str, NativeCode]
    ) -> None:
        for key, members in sorted(by_dist.items(), key=lambda item: str(item[0])):
            members = [m for m in members if not self._in_unsafe_unit(m)]
            if not members:
                continue
            top = members[0].split("/")[0].split(".")[0]
            name = native[key].title if key is not None else top
            unit_keys = {self._native_key(m) for m in members}
            needed = {n for k in unit_keys for n in self.units[k].needs}
            libraries = sorted((n for n in needed if _is_library_folder(n)), key=str.lower)
            count = len(members)
            what = f"{count} extension module{'s' if count != 1 else ''}"
            if libraries:
                what += " and " + ", ".join(folder.rstrip("/") for folder in libraries)
            size = sum(self.units[k].size for k in {*unit_keys, *needed})
            self.reasons.append(ExtractReason(name, f"native code: {what}", size))

    def _link_mypyc_groups(self) -> None:
        """Make mypyc's shared ``<hash>__mypyc`` module need every native unit of its
        distribution.

        The shared module initialises the compiled modules of its group itself, without
        the import system, and gives each a ``__file__`` beside it (black's
        ``blib2to3/pygram`` then reads ``blib2to3/Grammar.txt`` there): the whole group
        must be on disk as soon as the shared module is.
        """
        for key, unit in list(self.units.items()):
            stem = key.split(".")[0]
            if "/" in key or not stem.endswith("__mypyc") or unit.distribution is None:
                continue
            group = sorted(
                other
                for other, candidate in self.units.items()
                if other != key
                and candidate.distribution == unit.distribution
                and not _is_library_folder(other)
                and other not in self._whole
            )
            needs = tuple(dict.fromkeys([*unit.needs, *group]))
            self.units[key] = dataclasses.replace(unit, needs=needs)

    def _native_key(self, member: str) -> str:
        return posixpath.dirname(member) or member

    def _in_unsafe_unit(self, member: str) -> bool:
        return member in self._whole or any(
            key.endswith("/") and member.startswith(key) for key in self._whole
        )

    # -- helpers --------------------------------------------------------------------------

    def _source_twin(self, entry: IndexEntry) -> str | None:
        base = entry.name.replace(".", "/")
        twin = f"{base}/__init__.py" if entry.is_package else f"{base}.py"
        return twin if twin in self.payload.files else None

    def _owner(self, member: str) -> Distribution | None:
        source = self.payload.files.get(member)
        return self.env.owner_of(source) if isinstance(source, Path) else None

    def _suffix(self, member: str) -> str:
        name = member.rsplit("/", 1)[-1]
        return next(
            (s for s in self.env.interpreter.extension_suffixes if name.endswith(s)),
            name[name.find(".") :],
        )

    def _size(self, members: Iterable[str]) -> int:
        total = 0
        for member in members:
            source = self.payload.files[member]
            total += len(source) if isinstance(source, bytes) else source.stat().st_size
        return total

    def _unit_size(self, key: str) -> int:
        unit = self.units[key]
        return unit.size + sum(self.units[n].size for n in unit.needs)


def _unsafe_reason(accesses: list[tuple[str, FileAccess]]) -> str:
    where, first = accesses[0]
    more = f", and {len(accesses) - 1} more" if len(accesses) > 1 else ""
    return f"zip-unsafe: {where}:{first.line} {first.describe()}{more}"


def _is_library_folder(key: str) -> bool:
    """``numpy.libs/``, ``pkg/.dylibs/``: a folder of shared libraries, not a package."""
    return key.endswith("/") and key.rstrip("/").rsplit("/", 1)[-1].endswith(_LIBRARY_DIRS)


def _directories_with_python(files: Iterable[str]) -> set[str]:
    """Every directory that has Python code somewhere below it."""
    found: set[str] = set()
    for member in files:
        if member.endswith(".py"):
            directory = posixpath.dirname(member)
            while directory and directory not in found:
                found.add(directory)
                directory = posixpath.dirname(directory)
    return found


def _wheel_tags(dist_info: Path) -> list[str]:
    """The ``Tag:`` lines of a distribution's WHEEL file, compressed sets expanded."""
    try:
        text = (dist_info / "WHEEL").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    tags = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() != "tag" or value.count("-") != 2:
            continue
        pythons, abis, platforms = value.strip().split("-")
        for python in pythons.split("."):
            for abi in abis.split("."):
                tags += [f"{python}-{abi}-{platform}" for platform in platforms.split(".")]
    return sorted(set(tags))


def _built_for(suffixes: Sequence[str], tags: Sequence[str], floor: tuple[int, int] | None) -> str:
    """``CPython 3.11 on linux x86_64 (cp311-cp311-manylinux_2_17_x86_64)``."""
    python = ""
    system = ""
    for suffix in suffixes:
        match = _CPYTHON_SUFFIX.search(suffix)
        if match:
            python = f"CPython 3.{match.group(1)}"
            machine, _, rest = match.group(2).partition("-")
            if rest:
                system = f"{rest.split('-')[0]} {_machine(machine)}"
    if not python and floor is not None:
        python = f"CPython {floor[0]}.{floor[1]}+ (stable ABI)"
    if not python:
        cpython = sorted({t.split("-")[0] for t in tags if t.startswith("cp3")})
        python = f"CPython {cpython[0][2]}.{cpython[0][3:]}" if cpython else "another Python"
    platforms = sorted({(p[0], p[1]) for t in tags for p in platforms_of_tag(t.split("-")[-1])})
    if platforms:
        system = ", ".join(f"{os_name} {machine}" for os_name, machine in platforms)
    described = f"{python} on {system}" if system else python
    specific = [t for t in tags if not t.endswith("-any")]
    return f"{described} ({specific[0]})" if specific else described


def _machine(name: str) -> str:
    return MACHINE_ALIASES.get(name.lower(), name.lower())


def _module_file(name: str, is_package: bool) -> str:
    path = name.replace(".", "/")
    return f"{path}/__init__.py" if is_package else f"{path}.py"


def _within(name: str, packages: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _key(dist: Distribution | None) -> str | None:
    return dist.key if dist is not None else None


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KiB"
