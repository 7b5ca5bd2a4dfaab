"""Targets: the Pythons and platforms one archive is built for.

A target is written ``3.12`` (CPython 3.12 on this kind of machine), ``3.12/PLATFORM`` or
``cp312-PLATFORM`` (CPython 3.12 on another platform), or ``PLATFORM`` alone (the build
interpreter's Python on that platform). PLATFORM is a wheel platform tag: manylinux
(``manylinux_2_28_x86_64``, ``manylinux2014_aarch64``), musllinux (``musllinux_1_2_x86_64``),
macOS (``macosx_11_0_arm64``) or Windows (``win_amd64``, ``win32``, ``win_arm64``).

Such a target is staged without its interpreter: pip installs for it with
``--python-version``, ``--platform``, ``--implementation``, ``--abi`` and
``--only-binary :all:``, its environment markers set to the target's (``ForeignTarget``).
"""

from __future__ import annotations

import re
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bundler.errors import TargetError
from bundler.runtime.targets import mac_tags, manylinux_tags, platform_tags

__all__ = ["ForeignTarget", "TargetSpec", "foreign_targets", "host_platform", "parse_target"]

_LINUX_ARCHS = ("x86_64", "aarch64", "i686", "armv7l", "ppc64le", "s390x", "riscv64")
_ARCH = "(" + "|".join(_LINUX_ARCHS) + ")"
_PLATFORMS = (
    re.compile(rf"^manylinux_2_(\d+)_{_ARCH}$"),
    re.compile(rf"^manylinux(1|2010|2014)_{_ARCH}$"),
    re.compile(rf"^musllinux_1_(\d+)_{_ARCH}$"),
    re.compile(r"^macosx_(\d+)_(\d+)_(arm64|x86_64|universal2)$"),
    re.compile(r"^(win_amd64|win32|win_arm64)$"),
)
_LEGACY_GLIBC = {"1": 5, "2010": 12, "2014": 17}
ACCEPTED_FORMS = (
    "manylinux_2_28_x86_64 (or manylinux2014_aarch64), musllinux_1_2_x86_64, "
    "macosx_11_0_arm64, win_amd64, win32 or win_arm64"
)
_OLDEST = (3, 9)  # the oldest Python the runtime runs on


@dataclass(frozen=True)
class TargetSpec:
    """A target as written: a Python version (None: the build interpreter's) and a
    platform tag (None: this kind of machine)."""

    python: tuple[int, int] | None
    platform: str | None

    def pinned(self, version: tuple[int, int]) -> ForeignTarget:
        """The target, its Python given when it named none."""
        return ForeignTarget(self.python or version, self.platform or host_platform())


@dataclass(frozen=True)
class ForeignTarget:
    """A Python and platform that pip installs for without their interpreter."""

    python: tuple[int, int]
    platform: str  # a wheel platform tag; host_platform() for this kind of machine

    @property
    def abi(self) -> str:
        return f"cp{self.python[0]}{self.python[1]}"

    @property
    def name(self) -> str:
        """``cp312-win_amd64``: the name messages and the manifest use."""
        return f"{self.abi}-{self.platform}"

    @property
    def is_host(self) -> bool:
        return self.platform == host_platform()

    def platforms(self) -> tuple[str, ...]:
        """Every platform tag a wheel for this target may carry, best first."""
        if self.is_host:
            return tuple(platform_tags())
        return tuple(_compatible_platforms(self.platform))

    def pip_options(self) -> tuple[str, ...]:
        """What makes pip install for this target rather than for its own interpreter."""
        options = ["--python-version", f"{self.python[0]}.{self.python[1]}"]
        options += ["--implementation", "cp", "--abi", self.abi, "--only-binary", ":all:"]
        for tag in self.platforms():
            options += ["--platform", tag]
        return tuple(options)

    def wheel_tags(self) -> tuple[str, ...]:
        """The wheel tags this target accepts, best first, as ``packaging.tags`` lists them."""
        from packaging import tags

        platforms = self.platforms()
        found = tags.cpython_tags(self.python, [self.abi], platforms)
        rest = tags.compatible_tags(self.python, self.abi, platforms)
        return tuple(str(tag) for tag in (*found, *rest))

    def markers(self) -> dict[str, str]:
        """PEP 508 environment markers as this target would report them (its release
        and kernel are unknown: markers on them are rare and read as empty)."""
        system, machine = _system_of(self.platform)
        version = f"{self.python[0]}.{self.python[1]}"
        current = sys.version_info
        full = f"{version}.{current[2]}" if current[:2] == self.python else f"{version}.0"
        return {
            "implementation_name": "cpython",
            "implementation_version": full,
            "os_name": "nt" if system == "win32" else "posix",
            "platform_machine": machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": {"win32": "Windows", "darwin": "Darwin"}.get(system, "Linux"),
            "platform_version": "",
            "python_full_version": full,
            "python_version": version,
            "sys_platform": system,
        }

    def extension_suffixes(self) -> tuple[str, ...]:
        """The file names of extension modules this target's interpreter loads."""
        system, machine = _system_of(self.platform)
        digits = f"{self.python[0]}{self.python[1]}"
        if system == "win32":
            return (f".cp{digits}-{self.platform}.pyd", ".pyd")
        if system == "darwin":
            return (f".cpython-{digits}-darwin.so", ".abi3.so", ".so")
        libc = "musl" if self.platform.startswith("musllinux") else "gnu"
        return (f".cpython-{digits}-{machine}-linux-{libc}.so", ".abi3.so", ".so")

    def sysconfig_platform(self) -> str:
        """The platform as ``sysconfig.get_platform()`` would spell it there."""
        if self.is_host:
            return sysconfig.get_platform()
        system, machine = _system_of(self.platform)
        if system == "win32":
            return {"win32": "win32"}.get(self.platform, self.platform.replace("_", "-", 1))
        if system == "darwin":
            major, minor, arch = self.platform.split("_", 1)[1].split("_", 2)
            return f"macosx-{major}.{minor}-{arch}"
        return f"linux-{machine}"


def parse_target(text: str) -> TargetSpec:
    """``3.12``, ``3.12/PLATFORM``, ``cp312-PLATFORM`` or ``PLATFORM``; TargetError (one
    line naming what is wrong and the accepted forms) for anything else."""
    written = text.strip()
    wheel_style = re.match(r"^cp(3)(\d+)-(.+)$", written)
    if wheel_style is not None:
        version, platform = f"3.{wheel_style.group(2)}", wheel_style.group(3)
    elif re.match(r"^\d", written):
        version, _, platform = written.partition("/")
    else:
        version, platform = "", written
    return TargetSpec(
        parse_python(version, text) if version else None,
        parse_platform(platform, text) if platform else None,
    )


def parse_python(text: str, written: str | None = None) -> tuple[int, int]:
    """``3.12`` -> (3, 12); TargetError for anything else, or a Python before 3.9."""
    match = re.match(r"^3\.(\d+)$", text.strip())
    if match is None:
        shown = f"'{written}'" if written and written != text else f"'{text}'"
        raise TargetError(
            f"unknown target Python {shown}: write a version such as 3.12 "
            "(targets are written 3.12, 3.12/PLATFORM, cp312-PLATFORM or PLATFORM)"
        )
    version = (3, int(match.group(1)))
    if version < _OLDEST:
        raise TargetError(
            f"target Python {text.strip()} is too old: archives run on Python 3.9 and later"
        )
    return version


def parse_platform(text: str, written: str | None = None) -> str:
    """A platform tag as given, checked; TargetError naming it and the accepted forms."""
    tag = text.strip()
    if any(pattern.match(tag) for pattern in _PLATFORMS):
        return tag
    shown = f" (in target '{written}')" if written and written != text else ""
    raise TargetError(f"unknown platform tag '{tag}'{shown}: expected {ACCEPTED_FORMS}")


def foreign_targets(
    targets: Iterable[str], pythons: Sequence[str], platforms: Sequence[str]
) -> tuple[TargetSpec, ...]:
    """The targets ``targets`` (written out), ``--target-python`` and ``--platform``
    describe: each given Python on each given platform, in order, each once."""
    found = [parse_target(text) for text in targets]
    versions: list[tuple[int, int] | None] = [parse_python(text) for text in pythons]
    tags: list[str | None] = [parse_platform(text) for text in platforms]
    if versions or tags:
        found += [TargetSpec(v, p) for v in versions or [None] for p in tags or [None]]
    return tuple(dict.fromkeys(found))


def host_platform() -> str:
    """This kind of machine as one platform tag: ``linux_x86_64``, ``win_amd64``."""
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _compatible_platforms(tag: str) -> list[str]:
    """The tags pip must accept for a target on ``tag``: older manylinux and macOS
    releases run there too (pip widens only some of them itself)."""
    many = _PLATFORMS[0].match(tag) or _PLATFORMS[1].match(tag)
    if many is not None:
        minor = _LEGACY_GLIBC.get(many.group(1)) or int(many.group(1))
        return list(manylinux_tags(many.group(2), (2, minor)))
    musl = _PLATFORMS[2].match(tag)
    if musl is not None:
        return [f"musllinux_1_{n}_{musl.group(2)}" for n in range(int(musl.group(1)), -1, -1)]
    mac = _PLATFORMS[3].match(tag)
    if mac is not None and mac.group(3) != "universal2":
        return list(mac_tags((int(mac.group(1)), int(mac.group(2))), mac.group(3)))
    return [tag]


def _system_of(tag: str) -> tuple[str, str]:
    """(sys.platform, platform.machine()) on the platform ``tag`` names."""
    if tag.startswith("win"):
        return "win32", {"win_amd64": "AMD64", "win_arm64": "ARM64"}.get(tag, "x86")
    if tag.startswith("macosx"):
        arch = tag.rsplit("_", 1)[1]
        return "darwin", "arm64" if arch == "universal2" else arch
    match = re.search(_ARCH + "$", tag)
    return "linux", match.group(1) if match else tag.rsplit("_", 1)[-1]
