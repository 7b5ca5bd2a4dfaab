"""Find the CPython interpreters on this machine and give subprocesses a clean environment."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

__all__ = ["SUPPORTED", "clean_env", "find_python", "find_pythons", "python_version"]

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")

# Variables that would let a subprocess see modules the archive should be carrying itself.
_LEAKY = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH")


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without variables that change where Python imports from."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY}
    env.update(overrides)
    return env


@cache
def find_pythons() -> dict[str, Path]:
    """``{"3.12": Path(".../bin/python3.12"), ...}`` for each supported minor version found.

    pyenv's versions come first (that is how these machines install extra Pythons), then
    ``pythonX.Y`` on PATH.
    """
    found: dict[str, Path] = {}
    for minor in SUPPORTED:
        python = _from_pyenv(minor) or _from_path(minor)
        if python is not None:
            found[minor] = python
    return found


def find_python(minor: str) -> Path | None:
    """The interpreter for ``minor`` (e.g. "3.13"), or None when absent."""
    return find_pythons().get(minor)


@cache
def python_version(python: Path) -> str:
    """The full version of the interpreter ``python``, e.g. "3.12.1" (it is run once)."""
    return subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.strip()


def _from_pyenv(minor: str) -> Path | None:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    try:
        listed = subprocess.run(
            [pyenv, "versions", "--bare"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    candidates = sorted(
        (v for v in listed if v == minor or v.startswith(minor + ".")),
        key=lambda v: [int(p) if p.isdigit() else -1 for p in v.split(".")],
    )
    for version in reversed(candidates):
        root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
        python = Path(root) / "versions" / version / "bin" / f"python{minor}"
        if python.is_file():
            return python
    return None


def _from_path(minor: str) -> Path | None:
    found = shutil.which(f"python{minor}")
    return Path(found) if found else None
