"""What the runtime costs at start (``-X importtime``), and starts on a foreign Python.

The archive is built on the interpreter under test (3.11 here). On 3.13 its bytecode is
useless: the first start compiles the runtime's start-up modules and the app's modules and
caches the result per user under ``$BUNDLER_CACHE``; the second start reads that cache.
Both are measured with ``PYTHONDONTWRITEBYTECODE`` unset, each "first" start after
removing the cache.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import hyperfine
from harness.common import controlled_env, log, remove, run

RUNTIME = "_bundler_runtime"


@dataclass(frozen=True)
class ImportTimes:
    """One ``-X importtime`` report, summarised (microseconds)."""

    runtime_self_us: int
    """Sum of the self time of every ``_bundler_runtime*`` module."""
    runtime_cumulative_us: int
    """Sum of the cumulative time of top-level ``_bundler_runtime*`` imports: the runtime
    plus the standard-library modules it imports first."""
    all_cumulative_us: int
    """Sum of the cumulative time of every top-level import (interpreter start included)."""
    runtime_modules: tuple[str, ...]
    pulled_in: tuple[str, ...]
    """Modules first imported by the runtime's top-level imports (not runtime modules)."""


def parse(stderr: str) -> ImportTimes:
    """Summarise the ``import time:`` lines of `stderr`."""
    runtime_self = runtime_cum = all_cum = 0
    runtime_modules: list[str] = []
    pending: list[str] = []  # children are printed before their parent
    pulled: list[str] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, raw = line[len("import time:") :].split("|", 2)
        depth = (len(raw) - len(raw.lstrip(" ")) - 1) // 2
        name = raw.strip()
        self_time, cumulative = int(self_us), int(cumulative_us)
        is_runtime = name == RUNTIME or name.startswith(RUNTIME + ".")
        if is_runtime:
            runtime_self += self_time
            runtime_modules.append(name)
        if depth == 0:
            all_cum += cumulative
            if is_runtime:
                runtime_cum += cumulative
                pulled.extend(n for n in pending if not n.startswith(RUNTIME))
            pending = []
        else:
            pending.append(name)
    return ImportTimes(
        runtime_self, runtime_cum, all_cum, tuple(runtime_modules), tuple(dict.fromkeys(pulled))
    )


def measure_importtime(
    python: Path,
    argv: Sequence[str],
    *,
    runs: int,
    cache: Path,
    first_start: bool,
    cwd: Path,
) -> dict[str, Any]:
    """Median of `runs` reports of ``python -X importtime ARGV`` (cache removed each time when
    `first_start`, else warmed once before)."""
    env = controlled_env(path_first=python.parent, BUNDLER_CACHE=cache)
    cmd = [str(python), "-X", "importtime", *argv]
    if not first_start:
        run(cmd, env=env, cwd=cwd)
    reports = []
    for _ in range(runs):
        if first_start:
            remove(cache)
        reports.append(parse(run(cmd, env=env, cwd=cwd).stderr))
    return {
        "runs": runs,
        "runtime_self_ms": _median_ms(r.runtime_self_us for r in reports),
        "runtime_cumulative_ms": _median_ms(r.runtime_cumulative_us for r in reports),
        "all_imports_ms": _median_ms(r.all_cumulative_us for r in reports),
        "runtime_modules": list(reports[-1].runtime_modules),
        "stdlib_pulled_in_by_runtime": list(reports[-1].pulled_in),
    }


def foreign_python_starts(
    python: Path,
    venv_script: Path,
    archive: Path,
    argv: Sequence[str],
    *,
    runs: int,
    cold_runs: int,
    rounds: int,
    cache: Path,
    cwd: Path,
    raw_dir: Path,
) -> dict[str, Any]:
    """hyperfine on `python`: the app's venv, the archive's first start, its second start."""
    env = controlled_env(path_first=python.parent, BUNDLER_CACHE=cache)
    venv_cmd = [str(venv_script), *argv]
    archive_cmd = [str(python), str(archive), *argv]
    if run(venv_cmd, env=env, cwd=cwd).stdout != run(archive_cmd, env=env, cwd=cwd).stdout:
        return {"error": "the archive's output differs from the venv's on this Python"}
    log(f"timing the archive's first and second start on {python.name}")
    first = hyperfine.measure(
        {"archive first start": archive_cmd},
        runs=cold_runs,
        warmup=0,
        env=env,
        export=raw_dir / f"{python.name}-first.json",
        cwd=cwd,
        prepare={"archive first start": ["rm", "-rf", str(cache)]},
    )
    run(archive_cmd, env=env, cwd=cwd)
    warm = hyperfine.measure(
        {"venv": venv_cmd, "archive second start": archive_cmd},
        runs=runs,
        warmup=2,
        env=env,
        export=raw_dir / f"{python.name}-warm.json",
        cwd=cwd,
        rounds=rounds,
    )
    venv = warm["venv"].median
    timings = {**warm, **first}
    return {
        name: {**timing.as_dict(), "ratio_to_venv": timing.median / venv}
        for name, timing in timings.items()
    }


def _median_ms(values: Iterable[int]) -> float:
    return round(float(statistics.median(list(values))) / 1000, 3)
