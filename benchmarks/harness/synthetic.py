"""The "start-up does not grow with archive size" target: 50 vs 5,000 generated modules
(100 to a directory), and 10 vs 70,000 (1,000 to a directory: the wide case).

Both projects are the same app: ``synth.cli`` imports the same five ``synth.core`` modules
and prints a sum. They differ only in ``synth.bulk``, a package of generated modules that
nothing imports at start (grouped ``per_directory`` to a subpackage, as a large code base
would be). The project's own packages are bundled whole, so the 5,000-module archive
really holds 5,000 modules.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from harness import callgrind, hyperfine
from harness.appbench import Settings
from harness.builders import BuildContext
from harness.common import BenchError, controlled_env, fresh_dir, log, run, timed_run

CORE = ("alpha", "beta", "gamma", "delta", "epsilon")
_FIXED = 9  # synth/__init__, cli, core/__init__, five core modules, bulk/__init__

_MODULE = textwrap.dedent(
    '''
    """Generated module {name}: a class, constants and functions, like real code."""

    LIMIT_{n} = {n}
    NAMES_{n} = ("a{n}", "b{n}", "c{n}")


    class Thing{n}:
        """A thing with a value."""

        def __init__(self, value: int = {n}) -> None:
            self.value = value

        def double(self) -> int:
            return self.value * 2

        def describe(self) -> str:
            return f"Thing{n}({{self.value}})"


    def compute_{n}(items: list[int]) -> int:
        total = 0
        for item in items:
            if item % 3 == 0:
                total += item * LIMIT_{n}
            else:
                total -= item
        return total


    def names_{n}() -> list[str]:
        return [name.upper() for name in NAMES_{n}]
    '''
)


def write_project(dest: Path, modules: int, per_directory: int = 100) -> Path:
    """Write the synthetic project with exactly `modules` Python modules into `dest`,
    `per_directory` to each package of ``synth.bulk``."""
    if modules < _FIXED + 1:
        raise ValueError(f"at least {_FIXED + 1} modules")
    fresh_dir(dest)
    (dest / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "synth{modules}"
            version = "1.0"
            requires-python = ">=3.9"

            [project.scripts]
            synth = "synth.cli:main"
            """
        ),
        encoding="utf-8",
    )
    pkg = dest / "synth"
    (pkg / "core").mkdir(parents=True)
    (pkg / "bulk").mkdir()
    (pkg / "__init__.py").write_text('"""Synthetic benchmark app."""\n', encoding="utf-8")
    (pkg / "core" / "__init__.py").write_text('"""Imported at start."""\n', encoding="utf-8")
    (pkg / "bulk" / "__init__.py").write_text('"""Never imported."""\n', encoding="utf-8")
    for i, name in enumerate(CORE):
        (pkg / "core" / f"{name}.py").write_text(_MODULE.format(name=name, n=i), encoding="utf-8")
    imports = "\n".join(f"from synth.core import {name}" for name in CORE)
    calls = " + ".join(f"{name}.compute_{i}(list(range(100)))" for i, name in enumerate(CORE))
    (pkg / "cli.py").write_text(
        f'"""Entry point."""\n\n{imports}\n\n\ndef main() -> int:\n'
        f"    print({calls})\n    return 0\n",
        encoding="utf-8",
    )
    remaining, group, n = modules - _FIXED, 0, 0
    while remaining > 0:
        take = min(per_directory, remaining)
        directory = pkg / "bulk" / f"g{group:04d}"
        directory.mkdir()
        (directory / "__init__.py").write_text('"""A group."""\n', encoding="utf-8")
        for _ in range(take - 1):
            (directory / f"m{n:05d}.py").write_text(
                _MODULE.format(name=f"m{n:05d}", n=n), encoding="utf-8"
            )
            n += 1
        remaining -= take
        group += 1
    count = sum(1 for _ in dest.rglob("*.py"))
    if count != modules:
        raise BenchError(f"generated {count} modules, wanted {modules}")
    return dest


def bench_synthetic(
    ctx: BuildContext,
    sizes: tuple[int, int],
    settings: Settings,
    raw_dir: Path,
    *,
    count_instructions: bool = False,
    per_directory: int = 100,
) -> dict[str, Any]:
    """Build both synthetic archives with bundler and time their starts; ratio large/small."""
    result: dict[str, Any] = {"modules": list(sizes), "per_directory": per_directory}
    result["errors"] = []
    archives: dict[str, Path] = {}
    flag = ["--no-install"] if ctx.modes.no_install_flag else []
    for modules in sizes:
        project = write_project(ctx.work / "synthetic" / f"synth-{modules}", modules, per_directory)
        out = ctx.work / "synthetic" / f"synth-{modules}.pyz"
        cmd = [*ctx.tools.bundle, "build", str(project), *flag, "--python", str(ctx.base.python)]
        cmd += ["-o", str(out), "-q"]
        log(f"synthetic: building the {modules}-module archive")
        try:
            seconds = timed_run(cmd, env=ctx.env(), cwd=ctx.work)
        except BenchError as exc:
            result["errors"].append(f"{modules} modules build: {exc}")
            continue
        archives[str(modules)] = out
        result[f"build_s_{modules}"] = seconds
        result[f"size_{modules}"] = out.stat().st_size
    if len(archives) != 2:
        return result
    env = controlled_env(path_first=ctx.base.python.parent, BUNDLER_CACHE=ctx.work / "synth-cache")
    commands = {f"{m} modules": [str(ctx.base.python), str(p)] for m, p in archives.items()}
    outputs = {run(argv, env=env).stdout for argv in commands.values()}
    if len(outputs) != 1:
        result["errors"].append(f"the two archives print different output: {sorted(outputs)}")
        return result
    log("synthetic: timing both archives")
    timings = hyperfine.measure(
        commands,
        runs=settings.runs,
        warmup=settings.warmup,
        env=env,
        export=raw_dir / f"synthetic-{sizes[1]}.json",
        rounds=settings.rounds,
    )
    small, large = (timings[f"{m} modules"] for m in sizes)
    result["start"] = {name: t.as_dict() for name, t in timings.items()}
    result["ratio"] = large.median / small.median
    result["cpu_ratio"] = (large.user + large.system) / (small.user + small.system)
    if count_instructions and callgrind.available():
        log("synthetic: counting instructions (callgrind)")
        counts = [callgrind.instructions(commands[f"{m} modules"], env, ctx.work) for m in sizes]
        result["instructions"] = counts
        result["instructions_ratio"] = counts[1] / counts[0]
    return result
