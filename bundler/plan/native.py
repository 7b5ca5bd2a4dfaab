"""Native code in the payload: what each distribution's compiled code was built for (from
its wheel tags and extension suffixes), and the library folders its extensions load."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bundler.environment import Distribution
from bundler.runtime.platforms import normalise_machine

__all__ = [
    "LIBRARY_DIRS",
    "ElfLinks",
    "NativeCode",
    "elf_links",
    "library_folder",
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


@dataclass(frozen=True)
class ElfLinks:
    """What the dynamic loader reads from an ELF shared object to load what it needs."""

    needed: tuple[str, ...]  # DT_NEEDED: the libraries it loads, by name
    search: tuple[str, ...]  # DT_RUNPATH, or DT_RPATH without one ($ORIGIN left as is)


_ELF_MAGIC = b"\x7fELF"
_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 0, 1, 5, 15, 29


def elf_links(data: bytes) -> ElfLinks | None:
    """The DT_NEEDED names and library search paths of an ELF file; None when ``data`` is
    not one that can be read (a Mach-O or PE file, a truncated or odd ELF): the caller
    then assumes it may load anything beside it."""
    if data[:4] != _ELF_MAGIC or len(data) < 64 or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    wide = data[4] == 2
    order = "<" if data[5] == 1 else ">"
    try:
        return _read_dynamic(data, order, wide)
    except (struct.error, IndexError, ValueError):
        return None


def _read_dynamic(data: bytes, order: str, wide: bool) -> ElfLinks | None:
    header = struct.unpack_from(order + ("QQQ" if wide else "III"), data, 24)
    phoff = header[1]
    phentsize, phnum = struct.unpack_from(order + "HH", data, 54 if wide else 42)
    # Program header: type, offset, virtual address, file size (the fields we need).
    layout = order + ("IIQQQQ" if wide else "IIIII")
    segments = []
    for index in range(phnum):
        fields = struct.unpack_from(layout, data, phoff + index * phentsize)
        if wide:
            kind, offset, vaddr, size = fields[0], fields[2], fields[3], fields[5]
        else:
            kind, offset, vaddr, size = fields[0], fields[1], fields[2], fields[4]
        segments.append((kind, offset, vaddr, size))
    dynamic = [s for s in segments if s[0] == _PT_DYNAMIC]
    if not dynamic:
        return ElfLinks((), ())  # statically linked: loads nothing
    entries = _dynamic_entries(data, order, wide, dynamic[0][1], dynamic[0][3])
    strtab = next((value for tag, value in entries if tag == _DT_STRTAB), None)
    if strtab is None:
        return None
    base = next(
        (o + strtab - v for k, o, v, n in segments if k == _PT_LOAD and v <= strtab < v + n), None
    )
    if base is None:
        return None
    needed = [_string(data, base + value) for tag, value in entries if tag == _DT_NEEDED]
    # The loader ignores DT_RPATH when there is a DT_RUNPATH.
    kind = _DT_RUNPATH if any(tag == _DT_RUNPATH for tag, _value in entries) else _DT_RPATH
    search = [
        path
        for tag, value in entries
        if tag == kind
        for path in _string(data, base + value).split(":")
        if path
    ]
    return ElfLinks(tuple(needed), tuple(search))


def _dynamic_entries(
    data: bytes, order: str, wide: bool, offset: int, size: int
) -> list[tuple[int, int]]:
    entry = struct.Struct(order + ("qQ" if wide else "iI"))
    entries = []
    for position in range(offset, offset + size - entry.size + 1, entry.size):
        tag, value = entry.unpack_from(data, position)
        if tag == _DT_NULL:
            break
        entries.append((tag, value))
    return entries


def _string(data: bytes, offset: int) -> str:
    end = data.index(b"\0", offset)
    return data[offset:end].decode("utf-8", "surrogateescape")


def library_folder(key: str) -> str | None:
    """The library folder (``numpy.libs``, ``pkg/.dylibs``) that the unit ``key`` is, or
    holds a file of; None for any other unit."""
    parts = key.rstrip("/").split("/")
    ends = len(parts) if key.endswith("/") else len(parts) - 1
    for index in range(ends):
        if parts[index].endswith(LIBRARY_DIRS):
            return "/".join(parts[: index + 1])
    return None


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
