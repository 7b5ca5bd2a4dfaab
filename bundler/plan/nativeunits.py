"""The units of native code an archive extracts (extraction.py makes the whole plan): one
per extension module, which needs the other files of its directory and the bundled
libraries it loads (linking.py), and the records the planner builds them in."""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bundler.environment import Distribution, Environment
from bundler.plan.linking import Linked, Linker
from bundler.plan.native import LIBRARY_DIRS, library_folder
from bundler.plan.payload import Payload, file_size, python_directories
from bundler.runtime import EXTENSION

__all__ = [
    "Draft",
    "ExtractReason",
    "ExtractUnit",
    "Facts",
    "add_native_unit",
    "library_units",
    "link_mypyc_groups",
    "owner_key",
]


@dataclass(frozen=True)
class ExtractUnit:
    """Files that are extracted together, the first time a module needs any of them."""

    key: str
    members: tuple[str, ...]
    needs: tuple[str, ...]
    distribution: str | None
    size: int


@dataclass(frozen=True)
class ExtractReason:
    """One line of the build report: a package that is extracted, and why."""

    name: str
    reason: str
    size: int
    # Nothing imports it literally: extracted only if the app imports it by name.
    dynamic: bool = False
    at_start: bool = False  # data files of the environment, made sys.prefix at start

    def describe(self) -> str:
        """``numpy 2.4.6 (native code: ...; 41.3 MiB)``."""
        return f"{self.name} ({self.reason}; {_size(self.size)})"


@dataclass
class Draft:
    """The plan while it is being made."""

    units: dict[str, ExtractUnit] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # module -> unit key
    whole: set[str] = field(default_factory=set)  # keys of packages extracted whole
    reasons: list[ExtractReason] = field(default_factory=list)

    def total_size(self, key: str) -> int:
        unit = self.units[key]
        return unit.size + sum(self.units[n].size for n in unit.needs)


class Facts:
    """What the planner looks up in the payload and the environment."""

    def __init__(self, payload: Payload, env: Environment) -> None:
        self.payload = payload
        self.env = env
        self.modules = {entry.name: entry for entry in payload.modules}
        suffixes = env.interpreter.extension_suffixes
        # Directories with Python code below (modules, extensions): a native unit leaves
        # them out; they import from the archive, or are units of their own.
        self.python_dirs = python_directories(payload.files, suffixes)
        self.bare: set[str] = set()  # extension directories with no other file to extract
        self._libraries: dict[
            tuple[str, str | None], tuple[dict[str, tuple[str, ...]], Linked | None]
        ] = {}
        self.extensions = frozenset(
            e.member for e in payload.modules if e.load == EXTENSION and e.member is not None
        )
        folders = tuple(f"/{name}/" for name in LIBRARY_DIRS)
        self.linker = Linker(
            payload.files,
            (
                m
                for m in payload.files
                if m.split("/")[0].endswith(".libs") or any(f in m for f in folders)
            ),
        )

    def libraries(
        self, top: str, dist: Distribution | None, member: str
    ) -> tuple[dict[str, tuple[str, ...]], Linked | None]:
        """The library folders the code of ``top`` (in ``dist``) may load, with their
        files, and what ``Linker.plan`` says of the distribution's extension modules
        (``member`` among them); computed once for each."""
        key = (top, dist.key if dist is not None else None)
        if key not in self._libraries:
            folders = {f"{top}/{name}/" for name in LIBRARY_DIRS}
            if dist is not None:
                for path in self.payload.files:
                    first = path.split("/")[0]
                    if first.endswith(".libs") and "/" in path and self.owner(path) is dist:
                        folders.add(first + "/")
            files = self.payload.files
            contents = {f: tuple(m for m in files if m.startswith(f)) for f in folders}
            libraries = [m for members in contents.values() for m in members]
            extensions = sorted({m for m in self.extensions if self.owner(m) is dist} | {member})
            linked = self.linker.plan(extensions, libraries) if libraries else None
            self._libraries[key] = (contents, linked)
        contents, linked = self._libraries[key]
        if linked is not None and member not in linked[0]:  # not an extension module
            closure = self.linker.closure(member)
            linked = None if closure is None else ({**linked[0], member: closure}, linked[1])
        return contents, linked

    def owner(self, member: str) -> Distribution | None:
        source = self.payload.files.get(member)
        return self.env.owner_of(source) if isinstance(source, Path) else None

    def distribution(self, key: str) -> Distribution:
        return next(d for d in self.env.distributions if d.key == key)

    def size(self, members: Iterable[str]) -> int:
        return sum(file_size(self.payload.files[member]) for member in members)

    def suffix(self, member: str) -> str:
        name = member.rsplit("/", 1)[-1]
        return next(
            (s for s in self.env.interpreter.extension_suffixes if name.endswith(s)),
            name[name.find(".") :],
        )


def add_native_unit(draft: Draft, facts: Facts, member: str, dist: Distribution | None) -> str:
    """The unit of an extension module: its file. It needs the other files of its
    directory, but extension modules, and the bundled libraries it loads."""
    if member not in draft.units:
        directory = posixpath.dirname(member)
        needs = _directory_unit(draft, facts, directory, dist) if directory else ()
        needs += library_units(draft, facts, member, dist)
        unit = ExtractUnit(member, (member,), needs, owner_key(dist), facts.size((member,)))
        draft.units[member] = unit
    return member


def _directory_unit(
    draft: Draft, facts: Facts, directory: str, dist: Distribution | None
) -> tuple[str, ...]:
    """The key of the unit of an extension directory's other files (none when it has
    none): its data files, and its data folders whole (no Python module below; the
    stubs in them are data too: mypy's ``typeshed/``), so relative paths between them
    still hold. Its Python modules import from the archive; its other extension
    modules are units of their own, extracted when imported."""
    if directory not in draft.units and directory not in facts.bare:
        prefix = directory + "/"
        members = []
        for member in facts.payload.files:
            rest = member[len(prefix) :] if member.startswith(prefix) else ""
            folder = rest.split("/")[0] if "/" in rest else None
            if not rest or member in facts.extensions:
                continue
            if folder is None and member.endswith((".py", ".pyc")):
                continue
            if folder is not None and (
                folder in LIBRARY_DIRS or prefix + folder in facts.python_dirs
            ):
                continue
            members.append(member)
        if not members:
            facts.bare.add(directory)
            return ()
        unit = ExtractUnit(directory, tuple(members), (), owner_key(dist), facts.size(members))
        draft.units[directory] = unit
    return () if directory in facts.bare else (directory,)


def library_units(
    draft: Draft, facts: Facts, member: str, dist: Distribution | None, *, every: bool = False
) -> tuple[str, ...]:
    """Keys of the bundled libraries extension ``member`` loads (its ``DT_NEEDED``
    closure, linking.py; with ``every``, all that the distribution's extension modules
    load), each a unit of one file, and of the libraries of the distribution's folders
    that none of them loads (they may be loaded by name): one unit per folder. Where the
    files cannot be read as ELF, every library folder the code may load, whole."""
    top = member.split("/")[0].split(".")[0]
    contents, linked = facts.libraries(top, dist, member)
    needs: list[str] = []
    if linked is not None:
        loads, unreached = linked
        loaded = (
            sorted({x for closure in loads.values() for x in closure}) if every else loads[member]
        )
        for library in loaded:
            size = facts.size((library,))
            unit = ExtractUnit(library, (library,), (), owner_key(facts.owner(library)), size)
            draft.units.setdefault(library, unit)
            needs.append(library)
        contents = {f: tuple(m for m in contents[f] if m in unreached) for f in contents}
    for folder, members in sorted(contents.items()):
        if not members:
            continue
        if folder not in draft.units:
            size = facts.size(members)
            draft.units[folder] = ExtractUnit(folder, members, (), owner_key(dist), size)
        needs.append(folder)
    return tuple(needs)


def link_mypyc_groups(draft: Draft) -> None:
    """Make mypyc's shared ``<hash>__mypyc`` module need every native unit of its
    distribution.

    The shared module initialises the compiled modules of its group itself, without
    the import system, and gives each a ``__file__`` beside it (black's
    ``blib2to3/pygram`` then reads ``blib2to3/Grammar.txt`` there): the whole group
    must be on disk as soon as the shared module is.
    """
    for key, unit in list(draft.units.items()):
        stem = key.split(".")[0]
        if "/" in key or not stem.endswith("__mypyc") or unit.distribution is None:
            continue
        group = sorted(
            other
            for other, candidate in draft.units.items()
            if other != key
            and candidate.distribution == unit.distribution
            and library_folder(other) is None
            and other not in draft.whole
        )
        needs = tuple(dict.fromkeys([*unit.needs, *group]))
        draft.units[key] = dataclasses.replace(unit, needs=needs)


def owner_key(dist: Distribution | None) -> str | None:
    return dist.key if dist is not None else None


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KiB"
