"""The resolver's records: the modules reached from the entry point, and what is missing."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bundler.entrypoint import EntryPoint

__all__ = ["Graph", "ImportRef", "ImportSite", "MissingImport", "Module", "ModuleKind", "Reason"]


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
class Reason:
    """Why a module was reached: the first edge that reached it (the walk is breadth-first,
    so following ``importer`` back gives a shortest chain from a root).

    ``rule`` is ``import`` (``importer`` imports it at ``line``), ``string`` (a dotted
    string at ``line`` names it), or for a root ``entry point``, ``include`` or
    ``entry point group`` (``detail``: the group and the distribution declaring it)."""

    rule: str
    importer: str = ""
    line: int = 0
    detail: str = ""


@dataclass(frozen=True)
class ImportSite:
    """An import whatever happens (not under try/except ImportError, not under ``if``)."""

    name: str
    importer: str
    line: int


@dataclass(frozen=True)
class Graph:
    """The result of resolution: reached modules, misses and warnings."""

    entry: EntryPoint
    modules: Mapping[str, Module]
    missing: tuple[MissingImport, ...] = ()
    warnings: tuple[str, ...] = ()
    # The modules every run imports: reached from the roots through imports that are not
    # optional (not under try/except ImportError, not under if). A compiled module outside
    # it has a fallback where it cannot be loaded.
    required: frozenset[str] = frozenset()
    # Why each reached module is there (see Reason).
    reasons: Mapping[str, Reason] = field(default_factory=dict)
    # Unguarded imports of standard-library modules that some Pythons lack
    # (stdlib_versions.py): the build warns about them.
    versioned_stdlib: tuple[ImportSite, ...] = ()

    def resolution_table(self) -> dict[str, Any]:
        """What ``bundle inspect --why`` and ``bundle check`` need, for the manifest: why
        each bundled module is there (``[rule, importer, line, detail]``) and each import
        that was not found (``[name, importer, line, optional]``), in name order."""
        why = {
            module.name: [reason.rule, reason.importer, reason.line, reason.detail]
            for module in self.bundled()
            if (reason := self.reasons.get(module.name)) is not None
        }
        missing = [[m.name, m.importer, m.line, m.optional] for m in self.missing]
        return {"why": why, "missing": missing}

    # The modules reached from the roots through import statements, optional ones too, but
    # not through names in strings (plugin tables): what a run is likely to import, which
    # gets bytecode in the archive (the rest is compiled on first import, per user).
    imported: frozenset[str] = frozenset()

    def bundled(self) -> Iterator[Module]:
        """The reached modules that belong in the archive, in name order."""
        for name in sorted(self.modules):
            module = self.modules[name]
            if module.kind.bundled:
                yield module
