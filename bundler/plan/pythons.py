"""The Pythons an archive runs on, and why no others: the intersection of every bundled
distribution's ``Requires-Python``, what its native code was built for (where no
pure-Python fallback exists), and the marker environment its dependencies were resolved
for. The build prints the range, the manifest records it, and the runtime checks each
limit at start (``bootstrap.check_python``) so that a wrong Python is one line naming
the reason, not a crash deep in the app.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from bundler.environment import Distribution, Environment, normalise_name
from bundler.plan.markers import (
    Declared,
    declared_requirements,
    marker_environment,
    requirement_applies,
)
from bundler.plan.native import NativeCode
from bundler.plan.payload import Payload
from bundler.resolve import Graph
from bundler.runtime import EXTENSION

__all__ = ["PythonLimit", "PythonRange", "python_range"]

# The minor versions of Python 3 a limit is worked out over: an archive's runtime needs
# 3.9 or later, and a marker about 3.30 is not written yet.
_MINORS = range(9, 31)
_CPYTHON_TAG = re.compile(r"\.cpython-3(\d+)")


@dataclass(frozen=True)
class PythonLimit:
    """One reason the archive cannot run on some Pythons."""

    specifier: str  # a PEP 440 specifier set, as the runtime's version_matches reads it
    reason: str  # "black 26.10.1 needs tomli (python_version < "3.11"), not installed ..."


@dataclass(frozen=True)
class PythonRange:
    """Every limit, and the Python 3 minor versions left."""

    limits: tuple[PythonLimit, ...] = ()
    minors: tuple[int, ...] = tuple(_MINORS)

    def describe(self) -> str:
        """``>=3.11`` or ``==3.11.*``: the range as a specifier ("any" without limits)."""
        return _as_specifier(set(self.minors)) if self.limits else "any Python 3.9+"

    def decisive(self) -> tuple[PythonLimit, ...]:
        """The limits that exclude a version next to the range (or in a hole of it):
        those that set it, first; the others after."""
        allowed = set(self.minors)
        edges = {min(allowed, default=0) - 1, max(allowed, default=0) + 1}
        edges |= set(range(min(allowed, default=0), max(allowed, default=0))) - allowed
        edges &= set(_MINORS)
        first = [lim for lim in self.limits if edges - _minors_of(lim.specifier)]
        return (*first, *(lim for lim in self.limits if lim not in first))

    def index_table(self) -> tuple[tuple[str, str], ...]:
        """(specifier, reason) of each limit, for the runtime's index."""
        return tuple((limit.specifier, limit.reason) for limit in self.limits)


def python_range(
    graph: Graph,
    env: Environment,
    payload: Payload,
    native: Mapping[str, NativeCode],
    fallbacks: Iterable[str],
) -> PythonRange:
    """The range of an archive of ``payload``: its distributions' ``Requires-Python``,
    the compiled modules it must load (``native``: per distribution; ``fallbacks``:
    compiled modules with a pure-Python twin), and the markers of every ``Requires-Dist``
    as pip evaluated them for the target."""
    dists = [d for d in env.distributions if d.dist_info.name in payload.distributions]
    limits = [*_requires_python(dists), *_markers(dists, env)]
    limits += _native(graph, env, payload, native, frozenset(fallbacks))
    allowed = set(_MINORS)
    for limit in limits:
        allowed &= _minors_of(limit.specifier)
    return PythonRange(tuple(limits), tuple(sorted(allowed)))


def _requires_python(dists: Iterable[Distribution]) -> Iterable[PythonLimit]:
    for dist in dists:
        spec = dist.requires_python
        if spec and _minors_of(spec) != set(_MINORS):
            reason = f"{dist.name} {dist.version} requires Python {spec}"
            yield PythonLimit(_as_specifier(_minors_of(spec)), reason)


def _markers(dists: list[Distribution], env: Environment) -> Iterable[PythonLimit]:
    """A ``Requires-Dist`` whose marker selects it on another Python, but not on the
    target, names a distribution the archive lacks there (unless another reason brought
    a matching version in)."""
    target = marker_environment(env.interpreter)
    bundled = {dist.key: dist for dist in dists}
    extras = _extras_asked(dists, target)
    for dist in dists:
        asked = frozenset(extras.get(dist.key, ()))
        for declared in declared_requirements(dist):
            if requirement_applies(declared, target, asked) or _satisfied(declared, bundled):
                continue
            excluded = {
                minor
                for minor in _MINORS
                if requirement_applies(
                    declared, marker_environment(env.interpreter, (3, minor)), asked
                )
            }
            if excluded:
                marker = declared.requirement.marker
                yield PythonLimit(
                    _as_specifier(set(_MINORS) - excluded),
                    f"{dist.name} {dist.version} needs {declared.requirement.name} "
                    f"where {marker}, which was not installed: the build resolved the "
                    f"dependencies for Python {env.interpreter.version[0]}."
                    f"{env.interpreter.version[1]}",
                )


def _native(
    graph: Graph,
    env: Environment,
    payload: Payload,
    native: Mapping[str, NativeCode],
    fallbacks: frozenset[str],
) -> Iterable[PythonLimit]:
    """Compiled modules every run imports, with no pure-Python twin, load only on the
    Python they were built for."""
    for key, code in native.items():
        needed = [
            entry
            for entry in payload.modules
            if entry.load == EXTENSION
            and entry.name in graph.required
            and entry.name not in fallbacks
            and entry.member is not None
            and _owner_key(env, payload, entry.member) == key
        ]
        if not needed:
            continue
        minors = {
            int(match.group(1))
            for entry in needed
            if (match := _CPYTHON_TAG.search(entry.member or ""))
        }
        if len(minors) == 1:
            spec = f"==3.{minors.pop()}.*"
        elif not minors and code.abi3_floor is not None:
            spec = f">={code.abi3_floor[0]}.{code.abi3_floor[1]}"
        else:
            continue
        reason = f"{code.title} has native code ({needed[0].name}) built for {code.built_for}"
        yield PythonLimit(spec, reason)


def _owner_key(env: Environment, payload: Payload, member: str) -> str | None:
    source = payload.files.get(member)
    if isinstance(source, bytes) or source is None:
        return None
    owner = env.owner_of(source)
    return owner.key if owner is not None else None


def _extras_asked(dists: Iterable[Distribution], target: dict[str, str]) -> dict[str, set[str]]:
    """Distribution -> the extras that requirements of bundled distributions ask of it."""
    asked: dict[str, set[str]] = {}
    for dist in dists:
        for declared in declared_requirements(dist):
            if declared.requirement.extras and requirement_applies(declared, target, frozenset()):
                key = normalise_name(declared.requirement.name)
                asked.setdefault(key, set()).update(declared.requirement.extras)
    return asked


def _satisfied(declared: Declared, bundled: Mapping[str, Distribution]) -> bool:
    """Whether the archive holds a version of what ``declared`` names that it accepts."""
    found = bundled.get(normalise_name(declared.requirement.name))
    if found is None:
        return False
    try:
        return declared.requirement.specifier.contains(found.version, prereleases=True)
    except ValueError:
        return True


def _minors_of(specifier: str) -> set[int]:
    """The minor versions of Python 3 (in the range worked over) that ``specifier``
    accepts, each checked at its .0 release and its last (a ``<3.11.4`` accepts 3.11)."""
    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier:
        return set(_MINORS)
    return {
        minor
        for minor in _MINORS
        if spec.contains(Version(f"3.{minor}.0"), prereleases=True)
        or spec.contains(Version(f"3.{minor}.99"), prereleases=True)
    }


def _as_specifier(minors: set[int]) -> str:
    """The shortest plain specifier for a set of minor versions of Python 3."""
    if not minors:
        return "<3.0"
    low, high = min(minors), max(minors)
    clauses = [f">=3.{low}"]
    if high < _MINORS[-1]:
        clauses.append(f"<3.{high + 1}")
    clauses += [f"!=3.{minor}.*" for minor in range(low, high + 1) if minor not in minors]
    if low == high:
        return f"==3.{low}.*"
    return ",".join(clauses)
