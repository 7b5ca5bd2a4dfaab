"""Which bundled shared libraries an extension module loads: its ELF ``DT_NEEDED``
entries, resolved the way the dynamic loader would, through its ``RPATH``/``RUNPATH``
(``$ORIGIN``-relative, as auditwheel writes it), then through the libraries it loads.

The extraction plan uses this to extract, with an extension module, only the libraries
of ``<dist>.libs`` that module really loads. Where it cannot tell (a file that is not an
ELF shared object, as on macOS or Windows), it says so, and the plan keeps extracting
whole library folders.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from pathlib import Path

from bundler.plan.native import ElfLinks, elf_links

__all__ = ["Linked", "Linker"]

# What Linker.plan finds: the libraries each extension module loads, and those none loads.
Linked = tuple[dict[str, tuple[str, ...]], tuple[str, ...]]

_ORIGINS = ("$ORIGIN", "${ORIGIN}")


class Linker:
    """Resolves the bundled libraries payload members load (``libraries``: the members
    that are shared libraries in library folders)."""

    def __init__(self, files: Mapping[str, Path | bytes], libraries: Iterable[str]) -> None:
        self._files = files
        self._libraries = frozenset(libraries)
        self._by_name: dict[str, list[str]] = {}
        for member in sorted(self._libraries):
            self._by_name.setdefault(posixpath.basename(member), []).append(member)
        self._links: dict[str, ElfLinks | None] = {}

    def direct(self, member: str) -> tuple[str, ...] | None:
        """The bundled libraries ``member`` names in its ``DT_NEEDED`` entries; None when
        it is not an ELF file this can read. Names that match no bundled library are the
        system's (libc, libm) and not listed."""
        links = self._read(member)
        if links is None:
            return None
        origin = posixpath.dirname(member)
        found = []
        for name in links.needed:
            library = self._resolve(name, origin, links.search)
            if library is not None and library != member and library not in found:
                found.append(library)
        return tuple(found)

    def closure(self, member: str) -> tuple[str, ...] | None:
        """Every bundled library loading ``member`` loads, directly or through another
        one, sorted; None when any of them cannot be read."""
        seen: set[str] = set()
        pending = [member]
        while pending:
            current = pending.pop()
            direct = self.direct(current)
            if direct is None:
                return None
            for library in direct:
                if library not in seen:
                    seen.add(library)
                    pending.append(library)
        seen.discard(member)
        return tuple(sorted(seen))

    def plan(self, extensions: Iterable[str], libraries: Iterable[str]) -> Linked | None:
        """For the extension modules of one distribution: the libraries each loads, and
        those of ``libraries`` (its library folders) that none of them loads, which may
        still be loaded by name at run time (``dlopen``); None when any of the files
        involved cannot be read, and the libraries must all be assumed needed."""
        loads: dict[str, tuple[str, ...]] = {}
        for extension in extensions:
            closure = self.closure(extension)
            if closure is None:
                return None
            loads[extension] = closure
        reached = {library for closure in loads.values() for library in closure}
        return loads, tuple(sorted(set(libraries) - reached))

    def _resolve(self, name: str, origin: str, search: tuple[str, ...]) -> str | None:
        if "/" in name:
            return None  # a path: not how auditwheel links, and never a bundled library
        for entry in search:
            token = next((t for t in _ORIGINS if entry.startswith(t)), None)
            if token is None:
                continue  # an absolute path: outside the archive
            relative = posixpath.join(origin, entry[len(token) :].lstrip("/"), name)
            candidate = posixpath.normpath(relative)
            if candidate in self._libraries:
                return candidate
        # No search path finds it, but a bundled library has its name: the loader may
        # still find it (LD_LIBRARY_PATH, a library loaded before); extract it, to be safe.
        candidates = self._by_name.get(name)
        return candidates[0] if candidates else None

    def _read(self, member: str) -> ElfLinks | None:
        if member not in self._links:
            source = self._files.get(member)
            try:
                data = source.read_bytes() if isinstance(source, Path) else source
            except OSError:
                data = None
            self._links[member] = elf_links(data) if data is not None else None
        return self._links[member]
