"""Directories that all pytest-xdist workers of one test run share, each made only once.

Virtualenvs for five interpreters and the archives built from them are slow to make; each
worker would otherwise make its own. The first process (or thread) that asks for one makes
it while holding a lock; the others wait for it and reuse it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["create_once", "shared_directory"]

_DONE = ".complete"


def shared_directory(factory: pytest.TempPathFactory, name: str) -> Path:
    """``name`` under the base temporary directory that every worker of this run shares."""
    base = factory.getbasetemp()
    # Under xdist each worker's base is <run's base>/popen-gwN; without it, the run's base.
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    directory = root / name
    directory.mkdir(exist_ok=True)
    return directory


def create_once(parent: Path, name: str, create: Callable[[Path], None]) -> Path:
    """``parent/name``, filled by ``create(parent/name)`` the first time anyone asks for it.

    A ``create`` that raised leaves nothing behind, so the next caller tries again (and
    reports the same error in its own test).
    """
    target = parent / name
    with _locked(parent / f".{name}.lock"):
        if not (target / _DONE).exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            try:
                create(target)
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
            (target / _DONE).touch()
    return target


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    # flock excludes other processes and, as each call opens its own file, other threads.
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
