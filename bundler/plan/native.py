"""Native code in the payload: what each distribution's compiled code was built for (from
its wheel tags and extension suffixes), and the library folders its extensions load."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bundler.environment import Distribution
from bundler.runtime.platforms import normalise_machine

__all__ = [
    "LIBRARY_DIRS",
    "NativeCode",
    "is_library_folder",
    "native_code",
    "platforms_of_tag",
    "wheel_tags",
]

# Folders of shared libraries that repair tools put beside or inside a package.
LIBRARY_DIRS = (".libs", ".dylibs")
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
class NativeCode:
    """What one distribution's compiled code was built for."""

    key: str
    title: str
    wheel_tags: tuple[str, ...]
    suffixes: tuple[str, ...]
    platforms: tuple[tuple[str, str, str], ...]
    abi3_floor: tuple[int, int] | None
    built_for: str


def native_code(dist: Distribution, suffixes: Iterable[str]) -> NativeCode:
    """Describe the compiled code of ``dist``, whose extension files end in ``suffixes``."""
    tags = wheel_tags(dist.dist_info)
    platforms = sorted({p for tag in tags for p in platforms_of_tag(tag.split("-")[-1])})
    floor = None
    for tag in tags:
        python, abi, _platform = tag.split("-")
        if abi == "abi3" and python.startswith("cp3") and python[3:].isdigit():
            candidate = (3, int(python[3:]))
            floor = candidate if floor is None else min(floor, candidate)
    ordered = sorted(set(suffixes))
    return NativeCode(
        key=dist.key,
        title=f"{dist.name} {dist.version}",
        wheel_tags=tuple(tags),
        suffixes=tuple(ordered),
        platforms=tuple(platforms),
        abi3_floor=floor,
        built_for=_built_for(ordered, tags, floor),
    )


def platforms_of_tag(tag: str) -> list[tuple[str, str, str]]:
    """(os, machine, libc) triples a wheel platform tag runs on; empty when unknown.

    ``manylinux_2_17_x86_64`` -> linux x86_64 glibc; ``linux_x86_64`` leaves the libc
    open (""), ``macosx_11_0_universal2`` names two machines.
    """
    match = _LINUX_TAG.match(tag)
    if match:
        libc = "glibc" if match.group(1) == "many" else "musl"
        return [("linux", normalise_machine(match.group(2)), libc)]
    if tag.startswith("linux_"):
        return [("linux", normalise_machine(tag[len("linux_") :]), "")]
    match = _MACOS_TAG.match(tag)
    if match:
        arch = match.group(1)
        machines = _MACOS_MACHINES.get(arch, (arch,))
        return [("darwin", normalise_machine(machine), "") for machine in machines]
    if tag in _WINDOWS_MACHINES:
        return [("win32", _WINDOWS_MACHINES[tag], "")]
    return []


def wheel_tags(dist_info: Path) -> list[str]:
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


def is_library_folder(key: str) -> bool:
    """``numpy.libs/``, ``pkg/.dylibs/``: a folder of shared libraries, not a package."""
    return key.endswith("/") and key.rstrip("/").rsplit("/", 1)[-1].endswith(LIBRARY_DIRS)


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
                system = f"{rest.split('-')[0]} {normalise_machine(machine)}"
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
