"""Decide what an archive extracts at run time, and why: native code and zip-unsafe packages.

Pure Python runs from inside the archive; two things cannot. Extension modules must be real
files for the dynamic loader, together with the shared libraries they load through an
``$ORIGIN`` RPATH. And packages whose code opens files next to ``__file__`` (``unsafe``)
must run from a real copy. The plan made here is stored in the archive's index
(``index_table``) and read by the runtime's ``extract.py``, which extracts each unit on
the first import that needs it.

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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bundler.environment import Distribution, Environment
from bundler.plan.datafiles import is_system_data
from bundler.plan.native import NativeCode, library_folder, native_code
from bundler.plan.nativeunits import (
    Draft,
    ExtractReason,
    ExtractUnit,
    Facts,
    add_native_unit,
    library_units,
    link_mypyc_groups,
    owner_key,
)
from bundler.plan.payload import Payload, PayloadModule, package_inits
from bundler.plan.unsafe import Overrides, UnsafePackage, find_unsafe_packages, within
from bundler.resolve import Graph
from bundler.runtime import EXTENSION, PREFIX_UNIT, native_record, unit_record
from bundler.runtime.extract import is_native

if TYPE_CHECKING:
    from bundler.runtime import Extraction

__all__ = ["ExtractReason", "ExtractUnit", "ExtractionPlan", "plan_extraction"]


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
    # Keys of the units extracted whole (zip-unsafe packages and modules).
    whole: frozenset[str] = frozenset()

    def index_table(self, bytecode: Mapping[str, str], files: Iterable[str] = ()) -> Extraction:
        """The ``extract`` table of the runtime's index (see runtime/extract.py).

        Zip-unsafe packages are imported from their copy by the standard loaders, so
        their build-time bytecode (``bytecode``: source member -> pyc member) goes too.
        Member names are the very string objects of ``files`` (the index's own member
        table), which marshal then stores once: the index every start reads stays small.
        """
        if not self.units:
            return {"units": {}, "modules": {}, "fallbacks": {}, "native": {}}
        same = {member: member for member in files}
        units = {}
        for key, unit in self.units.items():
            members = list(unit.members)
            if key in self.whole:  # imported from the copy: its bytecode is needed too
                members += [bytecode[m] for m in unit.members if m in bytecode]
            shared = tuple(same.get(m, m) for m in sorted(members))
            units[key] = unit_record(shared, unit.needs, unit.distribution)
        return {
            "units": units,
            "modules": dict(self.modules),
            "fallbacks": {name: (s, bytecode.get(s)) for name, s in self.fallbacks.items()},
            "native": {
                key: native_record(code.title, code.built_for, code.platforms, code.abi3_floor)
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
    graph: Graph, payload: Payload, env: Environment, overrides: Overrides | None = None
) -> ExtractionPlan:
    """The units to extract at run time: native code always, zip-unsafe packages as found
    by the analysis, minus ``overrides.zip_safe``, plus ``overrides.extract``."""
    facts = Facts(payload, env)
    draft = Draft()
    given = overrides or Overrides()
    unsafe, warnings = find_unsafe_packages(graph, payload, facts.modules, given)
    for package in unsafe:
        _add_package(draft, facts, package)
    native_by_dist: dict[str | None, list[str]] = {}
    fallbacks: dict[str, str] = {}
    for entry in payload.modules:
        if entry.load != EXTENSION or entry.member is None:
            continue
        twin = _source_twin(entry, payload)
        if twin is not None:
            fallbacks[entry.name] = twin
        dist = facts.owner(entry.member)
        native_by_dist.setdefault(dist.key if dist else None, []).append(entry.member)
        if entry.name not in draft.modules:
            draft.modules[entry.name] = add_native_unit(draft, facts, entry.member, dist)
    native = {
        key: native_code(facts.distribution(key), map(facts.suffix, members))
        for key, members in native_by_dist.items()
        if key is not None
    }
    link_mypyc_groups(draft)
    _report_native(draft, native_by_dist, native)
    _add_prefix_data(draft, facts)
    return ExtractionPlan(
        units=dict(sorted(draft.units.items())),
        modules=dict(sorted(draft.modules.items())),
        fallbacks=dict(sorted(fallbacks.items())),
        native=dict(sorted(native.items())),
        reasons=tuple(sorted(draft.reasons, key=lambda r: r.name)),
        warnings=tuple(warnings),
        whole=frozenset(draft.whole),
    )


def _add_package(draft: Draft, facts: Facts, package: UnsafePackage) -> None:
    """A zip-unsafe package (or module): one unit with all of its files."""
    entry = facts.modules[package.name]
    if entry.is_package:
        key = package.name.replace(".", "/") + "/"
        members = tuple(m for m in facts.payload.files if m.startswith(key))
    elif entry.member is not None:
        key, members = entry.member, (entry.member,)
    else:
        return
    dist = facts.owner(members[0]) if members else None
    if dist is not None and "." not in package.name:
        members += _scripts(facts, dist)  # found next to the package, in <site>/bin
    native = [member for member in members if is_native(member)]
    needs = library_units(draft, facts, native[0], dist, every=True) if native else ()
    # The __init__.py above it too (imported from the archive still): tools that map an
    # extracted file to a module name (astroid, loading pylint's checkers by path) need
    # a package on disk in every directory above it, as in site-packages.
    inits = package_inits(facts.modules, package.name)
    for init in inits:
        unit = ExtractUnit(init, (init,), (), owner_key(facts.owner(init)), facts.size((init,)))
        draft.units.setdefault(init, unit)
    draft.units[key] = ExtractUnit(
        key, members, needs + inits, owner_key(dist), facts.size(members)
    )
    draft.whole.add(key)
    for module in facts.modules:
        if within(module, (package.name,)):
            draft.modules[module] = key
    size = draft.total_size(key)
    draft.reasons.append(ExtractReason(package.name, package.reason, size, package.dynamic))


def _scripts(facts: Facts, dist: Distribution) -> tuple[str, ...]:
    """The scripts ``dist`` installs (uv's and ruff's binaries), which the runtime puts in
    ``bin/`` beside the extracted packages: where their own lookup finds them when the
    package was installed with ``pip --target``, as it is in the cache."""
    stem = dist.dist_info.name.removesuffix(".dist-info")
    return tuple(m for m in facts.payload.files if m.startswith(f"{stem}.data/scripts/"))


def _report_native(
    draft: Draft, by_dist: Mapping[str | None, list[str]], native: Mapping[str, NativeCode]
) -> None:
    """One reason per distribution with native code that is not inside an unsafe unit."""
    for key, members in sorted(by_dist.items(), key=lambda item: str(item[0])):
        members = [m for m in members if not _in_whole_unit(draft, m)]
        if not members:
            continue
        top = members[0].split("/")[0].split(".")[0]
        name = native[key].title if key is not None else top
        needed = {n for k in members for n in draft.units[k].needs}
        folders = {library_folder(n) for n in needed} - {None}
        libraries = sorted((f for f in folders if f is not None), key=str.lower)
        count = len(members)
        what = f"{count} extension module{'s' if count != 1 else ''}"
        if libraries:
            what += " and " + ", ".join(libraries)
        size = sum(draft.units[k].size for k in {*members, *needed})
        draft.reasons.append(ExtractReason(name, f"native code: {what}", size))


def _add_prefix_data(draft: Draft, facts: Facts) -> None:
    """The data files distributions install beside the environment (``share/``...): one
    unit the runtime extracts at start and makes ``sys.prefix``. Files only the system
    reads (man pages, shell completions) stay in the archive: for them ``sys.prefix``
    would move off the interpreter, whose introspection (virtualenv, tox) then fails."""
    files = facts.payload.files
    members = tuple(m for m in files if m.startswith(PREFIX_UNIT) and not is_system_data(m))
    if not members:
        return
    size = facts.size(members)
    draft.units[PREFIX_UNIT] = ExtractUnit(PREFIX_UNIT, members, (), None, size)
    tops = sorted({"/".join(m.split("/")[1:3]) for m in members})
    shown = ", ".join(tops[:3]) + (f" and {len(tops) - 3} more" if len(tops) > 3 else "")
    count = f"{len(members)} file{'s' if len(members) != 1 else ''}"
    reason = f"data files beside the environment, under sys.prefix: {count}"
    draft.reasons.append(ExtractReason(shown, reason, size, at_start=True))


def _in_whole_unit(draft: Draft, member: str) -> bool:
    return member in draft.whole or any(
        key.endswith("/") and member.startswith(key) for key in draft.whole
    )


def _source_twin(entry: PayloadModule, payload: Payload) -> str | None:
    base = entry.name.replace(".", "/")
    twin = f"{base}/__init__.py" if entry.is_package else f"{base}.py"
    return twin if twin in payload.files else None
