"""What this interpreter can load: its platform (os, machine, libc), spelled as wheel
platform tags are read, and whether an extension module built for some target loads here.

Imported only when an archive's native code is first needed (extract.py); the builder uses
``normalise_machine`` to read wheel tags with the same spelling.
"""

import _imp
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from . import NativeRecord

    Platform = tuple[str, str, str]  # (os, machine, libc)

# Machine names as uname, wheel tags and Windows spell them -> one spelling.
_MACHINE_ALIASES = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "arm64": "aarch64",
    "i386": "x86",
    "i486": "x86",
    "i586": "x86",
    "i686": "x86",
    "win32": "x86",
}


def loadable(suffix: str, native: "NativeRecord | None", platform: "Platform") -> bool:
    """Whether an extension file named ``*suffix`` of a distribution whose native code is
    described by ``native`` loads on this interpreter, running on ``platform``."""
    if suffix not in _imp.extension_suffixes():
        return False
    if native is None:
        return True
    _title, _built_for, platforms, floor = native
    system, machine, _libc = platform
    # A linux_x86_64 tag says nothing of the libc: it matches either.
    ok = not platforms or platform in platforms or (system, machine, "") in platforms
    if floor is not None and suffix.startswith(".abi3"):
        ok = ok and sys.version_info[:2] >= floor
    return ok


def detect_platform(
    system: str = sys.platform, machine: "str | None" = None, suffixes: "Sequence[str]" = ()
) -> "Platform":
    """(os, machine, libc) of this interpreter, spelled as wheel platform tags are read."""
    if machine is None:
        if sys.platform == "win32":
            machine = os.environ.get("PROCESSOR_ARCHITECTURE", "")
        else:
            machine = os.uname().machine
    libc = ""
    if system.startswith("linux"):
        # The interpreter's own extension suffix names its libc: x86_64-linux-musl.
        found = suffixes or _imp.extension_suffixes()
        libc = "musl" if any("musl" in suffix for suffix in found) else "glibc"
    return ("linux" if system.startswith("linux") else system, normalise_machine(machine), libc)


def normalise_machine(name: str) -> str:
    """``AMD64``, ``x64`` -> ``x86_64``; ``arm64`` -> ``aarch64``; and so on."""
    return _MACHINE_ALIASES.get(name.lower(), name.lower())


def describe_interpreter(platform: "Platform") -> str:
    """``CPython 3.12 on linux x86_64``: this interpreter, for messages."""
    implementation = sys.implementation.name
    name = {"cpython": "CPython", "pypy": "PyPy"}.get(implementation, implementation)
    system, machine, _libc = platform
    return f"{name} {sys.version_info[0]}.{sys.version_info[1]} on {system} {machine}"


def describe_suffix(suffix: str) -> str:
    """``.cpython-39-x86_64-linux-gnu.so`` -> ``CPython 3.9 (x86_64-linux-gnu)``."""
    parts = suffix.strip(".").split(".")[0].split("-")
    if len(parts) > 1 and parts[0] == "cpython" and parts[1].isdigit():
        where = f" ({'-'.join(parts[2:])})" if len(parts) > 2 else ""
        return f"CPython {parts[1][0]}.{parts[1][1:]}{where}"
    return f"files named *{suffix}"
