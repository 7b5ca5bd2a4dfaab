"""Compile tiny C extension modules and shared libraries for tests, with the system's gcc.

The extensions are built for the Python running the tests (its headers and its extension
suffix), the way a wheel built on this machine would be.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

__all__ = ["EXTENSION_SUFFIX", "compile_extension", "compile_library", "have_compiler"]

EXTENSION_SUFFIX: str = sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def have_compiler() -> bool:
    """Whether gcc and this Python's headers are here to build extensions with."""
    include = Path(sysconfig.get_paths()["include"])
    return shutil.which("gcc") is not None and (include / "Python.h").is_file()


def compile_extension(
    source: str,
    output: Path,
    *,
    libraries: Sequence[str] = (),
    library_dirs: Sequence[Path] = (),
    rpath: str | None = None,
) -> Path:
    """Compile C ``source`` into the extension module file ``output``; returns it.

    ``rpath`` is stored as DT_RPATH (``$ORIGIN/../x.libs``), as auditwheel does.
    """
    include = sysconfig.get_paths()["include"]
    flags = [f"-I{include}"]
    flags += [f"-L{directory}" for directory in library_dirs]
    if rpath is not None:
        flags.append(f"-Wl,--disable-new-dtags,-rpath,{rpath}")
    return _gcc(source, output, flags, [f"-l{name}" for name in libraries])


def compile_library(source: str, output: Path) -> Path:
    """Compile C ``source`` into the shared library ``output`` (``libfoo.so``); returns it."""
    return _gcc(source, output, [f"-Wl,-soname,{output.name}"], [])


def _gcc(source: str, output: Path, flags: list[str], libraries: list[str]) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    c_file = output.with_name(output.name.split(".")[0] + ".c")
    c_file.write_text(source)
    command = ["gcc", "-shared", "-fPIC", "-O1", "-o", str(output), str(c_file), *flags]
    completed = subprocess.run(
        [*command, *libraries], capture_output=True, text=True, check=False, timeout=120
    )
    c_file.unlink()
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(f"gcc failed to build {output.name}")
    return output
