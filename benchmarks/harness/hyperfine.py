"""Run hyperfine on a set of commands and read its JSON export.

Commands run without a shell (``-N``): a smoke command reads its input from a file, and
no shell start-up is mixed into (or subtracted from) the numbers.
"""

from __future__ import annotations

import json
import shlex
import shutil
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.common import BenchError, StrPath, run


@dataclass(frozen=True)
class Timing:
    """hyperfine's statistics for one command, in seconds."""

    median: float
    mean: float
    stddev: float
    min: float
    max: float
    user: float
    system: float
    runs: int

    def as_dict(self) -> dict[str, Any]:
        """The statistics as a JSON-ready dict."""
        return asdict(self)


def version() -> str:
    """``hyperfine 1.15.0``."""
    exe = shutil.which("hyperfine")
    if exe is None:
        raise BenchError("hyperfine is not installed (apt-get install hyperfine)")
    return run([exe, "--version"]).stdout.strip()


def measure(
    commands: Mapping[str, Sequence[StrPath]],
    *,
    runs: int,
    warmup: int,
    env: Mapping[str, str],
    export: Path,
    cwd: StrPath | None = None,
    prepare: Mapping[str, Sequence[StrPath]] | None = None,
    rounds: int = 1,
) -> dict[str, Timing]:
    """Time each command (name -> argv) with hyperfine; returns name -> Timing.

    The runs are split into `rounds` hyperfine invocations, each with the commands in a
    rotated order, and the times pooled: a load that comes and goes on a shared machine
    then falls on every command alike instead of on whichever ran at that moment. Only the
    first round has warm-up runs (the caches stay warm between rounds).
    `prepare` (name -> argv) runs before every timed run of that command, for cold starts;
    when it is given, every command must have one.
    """
    if not commands:
        return {}
    names = list(commands)
    rounds = max(1, min(rounds, runs))
    per_round = [runs // rounds + (1 if i < runs % rounds else 0) for i in range(rounds)]
    times: dict[str, list[float]] = {name: [] for name in names}
    user: dict[str, float] = dict.fromkeys(names, 0.0)
    system: dict[str, float] = dict.fromkeys(names, 0.0)
    for i, count in enumerate(per_round):
        order = names[i % len(names) :] + names[: i % len(names)]
        path = export if rounds == 1 else export.with_name(f"{export.stem}-{i + 1}.json")
        data = _hyperfine(
            {n: commands[n] for n in order},
            count,
            warmup if i == 0 else 0,
            env,
            path,
            cwd,
            {n: prepare[n] for n in order} if prepare is not None else None,
        )
        for name, result in zip(order, data["results"]):
            measured = [float(t) for t in result.get("times") or [result["mean"]]]
            times[name] += measured
            user[name] += float(result["user"]) * len(measured)
            system[name] += float(result["system"]) * len(measured)
    return {
        name: Timing(
            median=statistics.median(times[name]),
            mean=statistics.fmean(times[name]),
            stddev=statistics.stdev(times[name]) if len(times[name]) > 1 else 0.0,
            min=min(times[name]),
            max=max(times[name]),
            user=user[name] / len(times[name]),
            system=system[name] / len(times[name]),
            runs=len(times[name]),
        )
        for name in names
    }


def _hyperfine(
    commands: Mapping[str, Sequence[StrPath]],
    runs: int,
    warmup: int,
    env: Mapping[str, str],
    export: Path,
    cwd: StrPath | None,
    prepare: Mapping[str, Sequence[StrPath]] | None,
) -> dict[str, Any]:
    exe = shutil.which("hyperfine")
    if exe is None:
        raise BenchError("hyperfine is not installed (apt-get install hyperfine)")
    cmd: list[str] = [exe, "-N", "--style", "none", "--runs", str(runs)]
    cmd += ["--warmup", str(warmup), "--export-json", str(export)]
    if prepare is not None:
        for name in commands:
            cmd += ["--prepare", shlex.join(map(str, prepare[name]))]
    for name, argv in commands.items():
        cmd += ["--command-name", name, shlex.join(map(str, argv))]
    export.parent.mkdir(parents=True, exist_ok=True)
    run(cmd, env=env, cwd=cwd, timeout=3600)
    data: dict[str, Any] = json.loads(export.read_text(encoding="utf-8"))
    return data
