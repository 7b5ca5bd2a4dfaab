"""Standard-library modules that exist on some Pythons only, and the build's warning when
the app imports one, unguarded, that part of its ``requires-python`` range lacks.

The facts come from the "What's New" documents of each release, not from the interpreter
running the build: a build on 3.11 must know that ``asyncore`` is gone from 3.12.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from bundler.resolve.graph import Graph

__all__ = [
    "AVAILABILITY",
    "KNOWN_MINORS",
    "Gap",
    "find_gaps",
    "is_versioned",
    "stdlib_warnings",
]

# The Python 3 minor versions an archive may run on (the runtime's 3.9 up), and the next.
KNOWN_MINORS = tuple(range(9, 15))

# Module -> (first minor version that has it, first that no longer has it); None: open.
_ADDED = {"tomllib": 11}
_REMOVED_312 = ("distutils", "imp", "asynchat", "asyncore", "smtpd")
# PEP 594: the "dead batteries", removed in 3.13 (and lib2to3, by PEP 632's companion).
_REMOVED_313 = (
    "aifc",
    "audioop",
    "cgi",
    "cgitb",
    "chunk",
    "crypt",
    "imghdr",
    "mailcap",
    "msilib",
    "nis",
    "nntplib",
    "ossaudiodev",
    "pipes",
    "sndhdr",
    "spwd",
    "sunau",
    "telnetlib",
    "uu",
    "xdrlib",
    "lib2to3",
)
AVAILABILITY: dict[str, tuple[int | None, int | None]] = {
    **{name: (minor, None) for name, minor in _ADDED.items()},
    **{name: (None, 12) for name in _REMOVED_312},
    **{name: (None, 13) for name in _REMOVED_313},
}


def is_versioned(module: str) -> bool:
    """Whether the top-level package of ``module`` exists on some Pythons only."""
    return module.partition(".")[0] in AVAILABILITY


@dataclass(frozen=True)
class Gap:
    """An unguarded import of a standard-library module that some Pythons of the range lack."""

    module: str
    importer: str
    line: int
    minors: tuple[int, ...]  # the 3.x minor versions without it

    def describe(self) -> str:
        """The build's warning, in one line."""
        top = self.module.partition(".")[0]
        first, removed = AVAILABILITY[top]
        fact = f"added in 3.{first}" if first is not None else f"removed in 3.{removed}"
        return (
            f"'{self.module}' (imported by {self.importer}, line {self.line}) does not exist "
            f"on Python {_span(self.minors)} ({fact}), which requires-python allows; guard "
            "the import (try/except ImportError, or a sys.version_info test) or narrow "
            "requires-python"
        )


def find_gaps(sites: Iterable[tuple[str, str, int]], requires_python: str | None) -> Iterator[Gap]:
    """A Gap for each ``(module, importer, line)`` whose module some minor versions that
    ``requires_python`` allows lack (an unparsable specifier allows every version)."""
    allowed = [minor for minor in KNOWN_MINORS if _allows(requires_python, minor)]
    for module, importer, line in sites:
        first, removed = AVAILABILITY.get(module.partition(".")[0], (None, None))
        lacking = tuple(
            minor
            for minor in allowed
            if (first is not None and minor < first) or (removed is not None and minor >= removed)
        )
        if lacking:
            yield Gap(module, importer, line, lacking)


def _allows(requires_python: str | None, minor: int) -> bool:
    if not requires_python:
        return True
    try:
        specifier = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True
    # Any release of the minor version will do (">=3.11.4" allows 3.11).
    return any(specifier.contains(f"3.{minor}.{micro}") for micro in (0, 4, 99))


def _span(minors: tuple[int, ...]) -> str:
    """``(9, 10)`` -> ``3.9-3.10``; ``(12, 13, 14)`` -> ``3.12+`` when the range is open."""
    low, high = minors[0], minors[-1]
    if high == KNOWN_MINORS[-1] and low != high:
        return f"3.{low}+"
    return f"3.{low}" if low == high else f"3.{low}-3.{high}"


def stdlib_warnings(graph: Graph, requires_python: str | None) -> tuple[str, ...]:
    """The build's warnings for ``graph``'s unguarded imports of versioned stdlib modules."""
    sites = ((site.name, site.importer, site.line) for site in graph.versioned_stdlib)
    return tuple(gap.describe() for gap in find_gaps(sites, requires_python))
