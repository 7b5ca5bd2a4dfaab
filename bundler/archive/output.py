"""Where the archive goes: checked before any slow work, written whole or not at all.

The build replaces only what it may: nothing, or an archive it wrote before (its manifest
says so). Anything else (a file of the project, a read-only file, a symlink, a device
such as ``/dev/null``) is refused unless ``--force`` says it is deliberate; what is not a
regular file or a symlink is refused even then.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from bundler.errors import OutputError
from bundler.runtime import MANIFEST_MEMBER
from bundler.runtime.cache import AtomicFile
from bundler.runtime.trust import TEMPORARY_SUFFIX

__all__ = ["check_output_path", "replacing"]


def check_output_path(output: Path, *, force: bool = False) -> None:
    """Fail early, before any slow work, when ``output`` cannot or may not be written."""
    if output.is_dir():
        raise OutputError(
            f"output {output} is a directory: give a file name such as {output}/app.pyz"
        )
    parent = output.parent
    if not parent.exists():
        raise OutputError(f"output directory {parent} does not exist: create it first")
    if not parent.is_dir():
        raise OutputError(f"output directory {parent} is not a directory")
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=f".{output.name}.", suffix=".probe"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write to {parent}: {exc.strerror or exc}") from None
    _check_replaceable(output, force)
    _sweep_stale_temporaries(output)


def written_by_bundler(path: Path) -> bool:
    """Whether ``path`` is an archive that bundler wrote: its manifest names the tool."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST_MEMBER))
        return str(manifest["build"]["tool"]).startswith("bundler ")
    except Exception:  # not a zip, no manifest, not ours: all mean "no"
        return False


def _check_replaceable(output: Path, force: bool) -> None:
    try:
        info = output.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot use output {output}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        problem = "is a symlink"
    elif not stat.S_ISREG(info.st_mode):
        raise OutputError(f"output {output} is not a regular file: give another path")
    elif not info.st_mode & 0o222:
        problem = "is read-only"
    elif not written_by_bundler(output):
        problem = "exists and is not an archive bundle wrote"
    else:
        return
    if not force:
        raise OutputError(
            f"output {output} {problem}: remove it, choose another path, "
            "or pass --force to replace it"
        )


def _sweep_stale_temporaries(output: Path) -> None:
    """Remove what a build of ``output`` that was killed (kill -9) left beside it: its
    temporary file, whose name holds the process id (AtomicFile), once that process is gone."""
    prefix = f".{output.name}."
    for path in output.parent.glob(f"{glob_escape(prefix)}*{TEMPORARY_SUFFIX}"):
        pid = path.name[len(prefix) :].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters made literal."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: alive
    return True


@contextmanager
def replacing(output: Path) -> Iterator[IO[bytes]]:
    """A file that replaces ``output`` only if the block finishes without error; it is
    executable by whoever the umask lets run new files."""
    with AtomicFile(str(output), 0o777 & ~_umask()) as stream:
        yield stream


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
