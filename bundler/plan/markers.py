"""Environment markers (PEP 508) evaluated for the target interpreter, or for the target
as it would be on another Python version: which of a distribution's ``Requires-Dist`` pip
installed, and which it would have installed elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

from bundler.environment import Distribution, Interpreter

__all__ = ["Declared", "declared_requirements", "marker_environment", "requirement_applies"]

# sysconfig's platform prefix -> (sys.platform, platform.system(), os.name)
_SYSTEMS = {
    "linux": ("linux", "Linux", "posix"),
    "macosx": ("darwin", "Darwin", "posix"),
    "win": ("win32", "Windows", "nt"),
    "win32": ("win32", "Windows", "nt"),
    "freebsd": ("freebsd", "FreeBSD", "posix"),
}
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy"}


@dataclass(frozen=True)
class Declared:
    """One ``Requires-Dist`` line of a distribution, parsed."""

    owner: Distribution
    requirement: Requirement
    text: str


def marker_environment(
    interpreter: Interpreter, version: tuple[int, ...] | None = None
) -> dict[str, str]:
    """The marker variables of ``interpreter`` (as if it were Python ``version``).

    Computed from what the build knows of the target (its version, implementation and
    sysconfig platform): ``platform_release`` and ``platform_version`` are unknown and
    left empty, which no common marker reads.
    """
    major, minor, micro = (*(version or interpreter.version), 0, 0)[:3]
    platform = interpreter.platform
    head, _, _rest = platform.partition("-")
    machine = platform.rsplit("-", 1)[-1] if "-" in platform else ""
    if platform == "win32":
        machine = "x86"
    sys_platform, system, os_name = _SYSTEMS.get(head, (head, head.capitalize(), "posix"))
    full = f"{major}.{minor}.{micro}"
    implementation = interpreter.implementation
    return {
        "implementation_name": implementation,
        "implementation_version": full,
        "os_name": os_name,
        "platform_machine": {"amd64": "AMD64"}.get(machine, machine),
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": full,
        "platform_python_implementation": _IMPLEMENTATIONS.get(implementation, implementation),
        "python_version": f"{major}.{minor}",
        "sys_platform": sys_platform,
    }


def declared_requirements(dist: Distribution) -> Iterator[Declared]:
    """The parsed ``Requires-Dist`` lines of ``dist`` (lines that do not parse are left
    out: pip could not have installed anything for them either)."""
    for text in dist.requires:
        try:
            yield Declared(dist, Requirement(text), text)
        except InvalidRequirement:
            continue


def requirement_applies(
    declared: Declared, environment: dict[str, str], extras: frozenset[str]
) -> bool:
    """Whether pip installs ``declared`` in ``environment`` when ``extras`` of its owner
    were asked for."""
    marker = declared.requirement.marker
    if marker is None:
        return True
    for extra in extras or frozenset({""}):
        try:
            if marker.evaluate({**environment, "extra": extra}):
                return True
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return True  # a marker we cannot read: assume pip installed it
    return False
