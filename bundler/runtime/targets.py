"""Which of an archive's targets this interpreter is: its implementation, Python version,
ABI and platform tags, computed as ``packaging.tags`` computes them, without importing
``sysconfig``, ``platform`` or anything else a start does not already pay for.

Imported only by an archive built for several targets (``bootstrap.select_target``); the
builder uses ``interpreter_abi`` and the tag lists to describe the targets it stages.
"""

import _imp
import os
import sys

from .platforms import normalise_machine

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from . import TargetRecord, Version

# What packaging calls the implementations (the first part of a wheel's Python tag).
_SHORT_NAMES = {"cpython": "cp", "pypy": "pp", "graalpy": "graalpy"}
# The manylinux tags that came before PEP 600, by the glibc they stand for.
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


def target_record(
    name: str, implementation: str, version: "Version", abi: str, platform: str, member: str
) -> "TargetRecord":
    """A target's record (``TargetRecord``), its fields in their order."""
    return (name, implementation, version, abi, platform, member)


def select_target(targets: "Sequence[TargetRecord]") -> "TargetRecord | None":
    """The first of ``targets`` this interpreter can run, or None."""
    implementation = _SHORT_NAMES.get(sys.implementation.name, sys.implementation.name)
    version = sys.version_info[:2]
    abi = interpreter_abi(_imp.extension_suffixes())
    platforms: set[str] | None = None  # computed once a target passes the cheap checks
    for target in targets:
        _name, wanted_implementation, wanted_version, wanted_abi, platform, _member = target
        if wanted_implementation != implementation or tuple(wanted_version) != version:
            continue
        if wanted_abi != abi:
            continue
        if platforms is None:
            platforms = set(platform_tags())
        if platform in platforms:
            return target
    return None


def describe_targets(targets: "Sequence[TargetRecord]") -> str:
    """``cp312-manylinux_2_28_x86_64, cp313-win_amd64``: the targets, for a message."""
    return ", ".join(target[0] for target in targets)


def describe_running() -> str:
    """This interpreter as a target name would spell it: ``cp312-manylinux_2_35_x86_64``."""
    abi = interpreter_abi(_imp.extension_suffixes())
    first = next(iter(platform_tags()), "unknown")
    return f"{abi}-{first}" if abi != "none" else f"{sys.implementation.name}-{first}"


def interpreter_abi(suffixes: "Sequence[str]") -> str:
    """The ABI tag of the interpreter whose extension suffixes are ``suffixes``, read from
    the most specific one: ``.cpython-313t-x86_64-linux-gnu.so`` -> ``cp313t``,
    ``.cp312-win_amd64.pyd`` -> ``cp312``, ``.pypy310-pp73-...`` -> ``pypy310_pp73``."""
    for suffix in suffixes:
        parts = suffix.lstrip(".").split(".")[0].split("-")
        if parts[0] == "cpython" and len(parts) > 1:
            return "cp" + parts[1]
        if parts[0].startswith("cp") and parts[0][2:3].isdigit():
            return parts[0]
        if parts[0].startswith("pypy") and len(parts) > 1:
            return f"{parts[0]}_{parts[1]}"
    return "none"


def platform_tags(
    system: str = sys.platform, machine: "str | None" = None, libc: "str | None" = None
) -> "Iterator[str]":
    """This interpreter's platform tags, best first, as ``packaging.tags.platform_tags``.

    ``machine`` and ``libc`` (``glibc 2.35``, ``musl``, or ``""`` for neither) stand for
    the running system's in tests.
    """
    if machine is None and system == "win32":  # Windows has no os.uname
        machine = os.environ.get("PROCESSOR_ARCHITECTURE") or "AMD64"
    elif machine is None:
        machine = os.uname().machine
    if system == "win32":
        yield _windows_tag(machine)
    elif system == "darwin":
        yield from _mac_tags(machine)
    elif system.startswith("linux"):
        yield from _linux_tags(_linux_arch(machine), _libc() if libc is None else libc)
    else:
        yield f"{system}_{machine}".replace("-", "_").replace(".", "_").lower()


def _windows_tag(machine: str) -> str:
    if sys.maxsize <= 2**32:
        return "win32"
    return "win_arm64" if normalise_machine(machine) == "aarch64" else "win_amd64"


def _linux_arch(machine: str) -> str:
    """The architecture part of Linux tags: a 32-bit interpreter on a 64-bit kernel names
    the 32-bit one, as ``packaging`` does."""
    if sys.maxsize <= 2**32:
        return {"x86_64": "i686", "aarch64": "armv8l"}.get(machine, machine)
    return machine


def _libc() -> str:
    try:
        found = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, OSError, ValueError):
        found = ""
    if found:
        return found
    return "musl" if any("musl" in s for s in _imp.extension_suffixes()) else ""


def _linux_tags(arch: str, libc: str) -> "Iterator[str]":
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    name, _, version = libc.partition(" ")
    if name == "glibc":
        major, _, minor = version.partition(".")
        try:
            current = (int(major), int(minor.split(".")[0]))
        except ValueError:
            current = None
        if current is not None:
            for each in archs:
                yield from manylinux_tags(each, current)
    elif name == "musl":
        # The musl version needs its loader run (packaging does): every musllinux_1_x
        # tag up to 1.2, the version every maintained musl distribution has, is accepted.
        for each in archs:
            yield from (f"musllinux_1_{minor}_{each}" for minor in (2, 1, 0))
    for each in archs:
        yield f"linux_{each}"


def manylinux_tags(arch: str, current: "tuple[int, int]") -> "Iterator[str]":
    oldest = 4 if arch in ("x86_64", "i686") else 16  # the minor before the first tag
    major, newest = current
    if major != 2:
        return
    for minor in range(newest, oldest, -1):
        yield f"manylinux_2_{minor}_{arch}"
        legacy = _LEGACY_MANYLINUX.get((2, minor))
        if legacy is not None:
            yield f"{legacy}_{arch}"


def _mac_tags(machine: str) -> "Iterator[str]":
    """macOS tags for this release, from the Darwin kernel's version (what
    ``platform.mac_ver`` would read from a plist): Darwin 20 is macOS 11, 19 is 10.15."""
    darwin = int(os.uname().release.split(".")[0])
    version = (darwin - 9, 0) if darwin >= 20 else (10, max(darwin - 4, 0))
    arch = "arm64" if normalise_machine(machine) == "aarch64" else "x86_64"
    return mac_tags(version, arch)


def mac_tags(version: "tuple[int, int]", arch: str) -> "Iterator[str]":
    """``packaging.tags.mac_platforms(version, arch)`` for the arm64 and x86_64 Macs."""
    if version < (11, 0):
        for minor in range(version[1], -1, -1):
            yield from _mac_formats((10, minor), arch)
        return
    for major in range(version[0], 10, -1):
        yield from _mac_formats((major, 0), arch)
    for minor in range(16, 3, -1):  # older releases: Intel code, or universal2 on arm64
        if arch == "x86_64":
            yield from _mac_formats((10, minor), arch)
        else:
            yield f"macosx_10_{minor}_universal2"


def _mac_formats(version: "tuple[int, int]", arch: str) -> "Iterator[str]":
    if arch == "x86_64" and version < (10, 4):
        return
    formats = [arch, "intel", "fat64", "fat3"] if arch == "x86_64" else [arch]
    formats.append("universal2")
    if arch == "x86_64":
        formats.append("universal")
    for binary in formats:
        yield f"macosx_{version[0]}_{version[1]}_{binary}"
