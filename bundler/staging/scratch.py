"""A private scratch directory for one build: every temporary file of the build and of the
tools it runs (pip's, the backend's) goes there, and it is removed when the build ends,
however it ends. A build killed outright (kill -9) leaves it behind; the next build removes
it, knowing it is dead because nobody holds its lock any more."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["scratch_directory"]

_PREFIX = "run-"
_LOCK = ".lock"


@contextlib.contextmanager
def scratch_directory(root: Path) -> Iterator[Path]:
    """A new directory below ``root``, for as long as the block runs."""
    root.mkdir(parents=True, exist_ok=True)
    _sweep(root)
    name = f"{_PREFIX}{os.getpid()}-{os.urandom(4).hex()}"
    lock_path = root / f"{name}{_LOCK}"
    # Locked before it gets its name, so that a sweeping build never sees it free.
    unnamed = root / f".{name}{_LOCK}"
    lock = os.open(unnamed, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _hold(lock)
        os.replace(unnamed, lock_path)
        directory = root / name
        directory.mkdir(mode=0o700)
        try:
            yield directory
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    finally:
        with contextlib.suppress(OSError):
            lock_path.unlink()
        os.close(lock)


def _sweep(root: Path) -> None:
    """Remove the scratch directories of builds that no longer run."""
    for entry in root.glob(f"{_PREFIX}*"):
        if entry.name.endswith(_LOCK):
            continue
        lock_path = root / f"{entry.name}{_LOCK}"
        try:
            lock = os.open(lock_path, os.O_RDWR)
        except OSError:
            shutil.rmtree(entry, ignore_errors=True)  # its lock is gone: its build ended
            continue
        try:
            if _try_hold(lock):
                shutil.rmtree(entry, ignore_errors=True)
                with contextlib.suppress(OSError):
                    lock_path.unlink()
        finally:
            os.close(lock)


def _hold(fd: int) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _try_hold(fd: int) -> bool:
    """Take the lock if nobody holds it (a dead build's); never on Windows, where the
    directory of a live build cannot be removed anyway."""
    if sys.platform == "win32":  # pragma: no cover - the test machines are POSIX
        return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
