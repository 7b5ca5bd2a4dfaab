"""Paths, subprocess helpers and the controlled environments every measurement runs in."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Union

REPO = Path(__file__).resolve().parents[2]
"""The checkout whose bundler is measured (the one this file lives in)."""

BENCH_DIR = REPO / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"

CACHE_ROOT = Path(
    os.environ.get("BUNDLER_BENCH_CACHE") or Path.home() / ".cache" / "bundler-bench"
).resolve()
"""Everything downloaded or created once and reused: tool venv, wheelhouse, clean Pythons."""

StrPath = Union[str, "os.PathLike[str]"]

_STARTED = time.monotonic()

# Variables that change how Python, pip, shiv, pex or bundler behave; the measured
# environment starts without any of them and sets only what the harness decides.
_DROPPED_PREFIXES = ("PYTHON", "PIP_", "PEX_", "SHIV_", "BUNDLER_")
_DROPPED_NAMES = ("VIRTUAL_ENV", "__PYVENV_LAUNCHER__", "CONDA_PREFIX")


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and shows the tool's output."""


def log(message: str) -> None:
    """Progress on stderr, stamped with the seconds since the harness started."""
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def controlled_env(*, path_first: Path | None = None, **settings: StrPath | None) -> dict[str, str]:
    """This process's environment without Python/pip/pex/shiv/bundler settings, plus `settings`.

    ``PYTHONDONTWRITEBYTECODE`` (set on this machine) is dropped, so every tool can write
    and reuse bytecode the way it would on a user's machine. pip reads no configuration file
    (this machine's adds index URLs and find-links). `path_first` is put at the front of
    ``PATH`` so ``/usr/bin/env python3`` shebangs find the interpreter under test. A setting
    whose value is None is left out.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_DROPPED_PREFIXES) and key not in _DROPPED_NAMES
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
    for key, value in settings.items():
        if value is not None:
            env[key] = os.fspath(value)
    return env


def run(
    cmd: Sequence[StrPath],
    *,
    env: Mapping[str, str] | None = None,
    cwd: StrPath | None = None,
    timeout: float = 900,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd`, capturing its output; raise BenchError with its last lines on failure."""
    args = [os.fspath(part) for part in cmd]
    try:
        completed = subprocess.run(
            args,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{_short(args)}: {exc}") from None
    if check and completed.returncode != 0:
        raise BenchError(
            f"{_short(args)} exited {completed.returncode}:\n"
            + tail(completed.stderr or completed.stdout)
        )
    return completed


def timed_run(
    cmd: Sequence[StrPath],
    *,
    env: Mapping[str, str] | None = None,
    cwd: StrPath | None = None,
    timeout: float = 900,
) -> float:
    """Run `cmd` (which must succeed) and return its wall-clock time in seconds."""
    started = time.perf_counter()
    run(cmd, env=env, cwd=cwd, timeout=timeout)
    return time.perf_counter() - started


def tail(text: str, lines: int = 15) -> str:
    """The last `lines` lines of `text`, indented, for error messages."""
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in kept) or "    (no output)"


def median(values: Sequence[float]) -> float | None:
    """The median of `values`, or None when there are none."""
    return statistics.median(values) if values else None


def remove(path: Path) -> None:
    """Delete a file or a directory tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def fresh_dir(path: Path) -> Path:
    """Make `path` an empty directory and return it."""
    remove(path)
    path.mkdir(parents=True)
    return path


def _short(args: Sequence[str]) -> str:
    text = " ".join(args)
    return text if len(text) <= 300 else text[:297] + "..."
