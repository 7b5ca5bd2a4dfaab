"""Instruction counts under ``valgrind --tool=callgrind``: a noise-free cross-check.

Wall-clock ratios on a shared 2-core machine drift by a few percent; instruction counts of
the same command are repeatable to a fraction of a percent. They do not see I/O waits or
cache misses, so they cross-check the hyperfine ratio rather than replace it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.common import BenchError, log, run

_COLLECTED = re.compile(r"Collected\s*:\s*([\d,]+)")


def available() -> bool:
    """Whether valgrind is installed."""
    return shutil.which("valgrind") is not None


def instructions(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> int:
    """Instructions executed by `argv` (children included: pex's sh-boot execs Python), its
    caches warm: it runs once first (the apps share run-time cache roots, and each app's
    section empties them, so an earlier app's cache is gone by the time this runs)."""
    run(argv, env=env, cwd=cwd, timeout=900)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    cmd += ["--trace-children=yes", *argv]
    completed = run(cmd, env=dict(env, PYTHONHASHSEED="0"), cwd=cwd, timeout=900)
    counts = [int(m.replace(",", "")) for m in _COLLECTED.findall(completed.stderr)]
    if not counts:
        raise BenchError(f"no instruction count in valgrind's output for {argv[0]}")
    return sum(counts)


def compare(
    commands: Mapping[str, Sequence[str]], env: Mapping[str, str], cwd: Path
) -> dict[str, Any]:
    """Instruction counts of each command and their ratio to the ``venv`` one."""
    counts: dict[str, int] = {}
    for name, argv in commands.items():
        log(f"callgrind: {name}")
        counts[name] = instructions(argv, env, cwd)
    base = counts.get("venv")
    return {
        name: {"instructions": n, "ratio_to_venv": n / base if base else None}
        for name, n in counts.items()
    }
