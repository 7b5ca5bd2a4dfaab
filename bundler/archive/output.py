"""Where the archive goes: checked before any slow work, written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from bundler.errors import OutputError
from bundler.runtime.cache import AtomicFile

__all__ = ["check_output_path", "replacing"]


def check_output_path(output: Path) -> None:
    """Fail early, before any slow work, when ``output`` cannot be written."""
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
