"""Find modules the way the import system would, over the target environment."""

from __future__ import annotations

import importlib.machinery
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["ModuleLocator"]


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
