"""One app end to end: install, build every variant, check outputs, time warm and cold starts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import hyperfine
from harness.apps import App
from harness.builders import (
    BuildContext,
    Built,
    build_bundler_no_install,
    build_bundler_staging,
    build_pex,
    build_shiv,
    build_venv,
    log_built,
)
from harness.common import BenchError, controlled_env, log, remove, run

VARIANTS = ("venv", "bundler", "bundler-sh", "shiv", "pex", "pex-venv")
"""Start-up variants, in table order. ``venv`` is the baseline of every ratio."""

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?")


@dataclass(frozen=True)
class Settings:
    """How many runs of everything (``--quick`` lowers them)."""

    runs: int
    warmup: int
    cold_runs: int
    build_cold: int
    build_warm: int
    rounds: int = 1
    """Warm runs are split into this many hyperfine invocations, in rotated order."""
    pex_venv: bool = True


@dataclass
class AppRun:
    """Everything measured for one app, and what later sections reuse."""

    result: dict[str, Any] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)
    """Variant -> argv of the smoke command (validated, warm)."""
    run_env: dict[str, str] = field(default_factory=dict)
    archives: dict[str, Path] = field(default_factory=dict)


def run_roots(ctx: BuildContext) -> dict[str, Path]:
    """Per-tool caches used at run time (separate from the build-time ones)."""
    base = ctx.work / "run-roots"
    return {"shiv": base / "shiv", "pex": base / "pex", "bundler": base / "bundler"}


def bench_app(
    ctx: BuildContext, app: App, settings: Settings, inputs: Path, raw_dir: Path
) -> AppRun:
    """Measure `app`; errors of one variant are recorded and the others go on."""
    out = AppRun()
    res = out.result
    res.update(
        kind="sample" if app.project else "pypi",
        requirements=list(app.requirements),
        project=app.project,
        command=[app.script, *app.args],
        errors=[],
    )
    archives_dir = ctx.work / "archives" / app.name
    archives_dir.mkdir(parents=True, exist_ok=True)

    log(f"{app.name}: installing into a virtualenv")
    venv_dir = ctx.work / "venvs" / app.name
    venv_python, install_s = build_venv(ctx, app, venv_dir)
    res["venv_install_s"] = install_s
    script = venv_dir / "bin" / app.script
    remove(inputs / "notes.json")
    for argv in app.setup_argv(inputs):
        run([script, *argv], env=controlled_env())

    builds: dict[str, Built] = {}
    if ctx.modes.staging:
        builds["bundler"] = build_bundler_staging(
            ctx,
            app,
            archives_dir / "app-staging.pyz",
            settings.build_cold,
            settings.build_warm,
        )
        log_built(app, "bundler (staging)", builds["bundler"])
        builds["bundler-pip"] = build_bundler_staging(
            ctx, app, archives_dir / "app-staging-pip.pyz", settings.build_cold, 0, "pip"
        )
        log_built(app, "bundler (staging, pip)", builds["bundler-pip"])
    builds["bundler-no-install"] = build_bundler_no_install(
        ctx, app, venv_python, archives_dir / "app-no-install.pyz", settings.build_cold
    )
    log_built(app, "bundler --no-install", builds["bundler-no-install"])
    builds["shiv"] = build_shiv(ctx, app, archives_dir / "app.shiv", settings.build_cold)
    log_built(app, "shiv", builds["shiv"])
    builds["pex"] = build_pex(
        ctx, app, archives_dir / "app.pex", settings.build_cold, settings.build_warm
    )
    log_built(app, "pex", builds["pex"])
    if settings.pex_venv:
        builds["pex-venv"] = build_pex(
            ctx, app, archives_dir / "app-venv.pex", 1, 0, venv_mode=True
        )
        log_built(app, "pex --venv --sh-boot", builds["pex-venv"])
    res["builds"] = {name: b.as_dict() for name, b in builds.items()}
    for name, built in builds.items():
        if built.error:
            res["errors"].append(f"{name} build: {built.error}")

    # The archive timed as "bundler": the default mode's, else the --no-install one.
    bundler_build = builds.get("bundler")
    if bundler_build is None or bundler_build.error:
        bundler_build = builds["bundler-no-install"]
        res["bundler_archive"] = "no-install"
    else:
        res["bundler_archive"] = "staging"
    archives = {
        "bundler": bundler_build.path if not bundler_build.error else None,
        "shiv": builds["shiv"].path if not builds["shiv"].error else None,
        "pex": builds["pex"].path if not builds["pex"].error else None,
        "pex-venv": (
            builds["pex-venv"].path
            if "pex-venv" in builds and not builds["pex-venv"].error
            else None
        ),
    }
    out.archives = {k: v for k, v in archives.items() if v is not None}
    res["sizes"] = {k: v.stat().st_size for k, v in out.archives.items()}
    if "bundler" in out.archives:  # the same archive, run as ./app.pyz (its /bin/sh header)
        out.archives["bundler-sh"] = out.archives["bundler"]
    if not builds["bundler-no-install"].error and builds["bundler-no-install"].size:
        res["sizes"]["bundler-no-install"] = builds["bundler-no-install"].size

    argv = app.argv(inputs)
    python = str(ctx.base.python)
    commands: dict[str, list[str]] = {"venv": [str(script), *argv]}
    for name, path in out.archives.items():
        direct = name in ("pex-venv", "bundler-sh")
        commands[name] = [str(path), *argv] if direct else [python, str(path), *argv]
    roots = run_roots(ctx)
    for root in roots.values():
        remove(root)
    out.run_env = controlled_env(
        path_first=ctx.base.python.parent,
        SHIV_ROOT=roots["shiv"],
        PEX_ROOT=roots["pex"],
        BUNDLER_CACHE=roots["bundler"],
    )
    out.commands = _validated(app, commands, out.run_env, inputs, res["errors"])

    log(f"{app.name}: timing warm starts of {', '.join(out.commands)}")
    try:
        warm = hyperfine.measure(
            out.commands,
            runs=settings.runs,
            warmup=settings.warmup,
            env=out.run_env,
            export=raw_dir / f"{app.name}-warm.json",
            cwd=inputs,
            rounds=settings.rounds,
        )
    except BenchError as exc:
        res["errors"].append(f"warm timing: {exc}")
        warm = {}
    res["start"] = _with_ratios(warm, warm.get("venv"))
    cold_names = [n for n in out.commands if n != "venv"]
    if cold_names and settings.cold_runs > 0:
        log(f"{app.name}: timing cold first starts (caches removed before each run)")
        root_of = {
            "bundler": roots["bundler"],
            "bundler-sh": roots["bundler"],
            "shiv": roots["shiv"],
            "pex": roots["pex"],
            "pex-venv": roots["pex"],
        }
        try:
            cold = hyperfine.measure(
                {n: out.commands[n] for n in cold_names},
                runs=settings.cold_runs,
                warmup=0,
                env=out.run_env,
                export=raw_dir / f"{app.name}-cold.json",
                cwd=inputs,
                prepare={n: ["rm", "-rf", str(root_of[n])] for n in cold_names},
            )
        except BenchError as exc:
            res["errors"].append(f"cold timing: {exc}")
            cold = {}
        res["cold"] = _with_ratios(cold, warm.get("venv"))
        # Leave every cache warm again for whatever runs next.
        for name in cold_names:
            run(out.commands[name], env=out.run_env, cwd=inputs, check=False)
    return out


def _validated(
    app: App,
    commands: dict[str, list[str]],
    env: dict[str, str],
    inputs: Path,
    errors: list[str],
) -> dict[str, list[str]]:
    """The commands whose output matches the virtualenv's (each run twice: caches get warm)."""
    expected = run(commands["venv"], env=env, cwd=inputs)
    if not expected.stdout.strip():
        errors.append("the venv's smoke command printed nothing")
    valid = {"venv": commands["venv"]}
    for name, argv in commands.items():
        if name == "venv":
            continue
        try:
            run(argv, env=env, cwd=inputs)
            second = run(argv, env=env, cwd=inputs)
        except BenchError as exc:
            errors.append(f"{name} run: {exc}")
            log(f"{app.name}: {name} FAILED to run: {str(exc).splitlines()[0]}")
            continue
        if _normal(second.stdout) != _normal(expected.stdout):
            errors.append(f"{name} output differs from the venv's")
            log(f"{app.name}: {name} output differs from the venv's; not timed")
            continue
        valid[name] = argv
    return valid


def _normal(text: str) -> str:
    return _TIMESTAMP.sub("<time>", text)


def _with_ratios(
    timings: dict[str, hyperfine.Timing], baseline: hyperfine.Timing | None
) -> dict[str, dict[str, Any]]:
    """Each timing with its ratios to the venv: of medians (the headline), of minimums and of
    CPU time (user + system; not inflated by waiting for a busy CPU) as cross-checks."""
    table: dict[str, dict[str, Any]] = {}
    for name, timing in timings.items():
        entry = timing.as_dict()
        entry["ratio_to_venv"] = timing.median / baseline.median if baseline else None
        entry["min_ratio_to_venv"] = timing.min / baseline.min if baseline else None
        entry["cpu_ratio_to_venv"] = (
            (timing.user + timing.system) / (baseline.user + baseline.system) if baseline else None
        )
        table[name] = entry
    return table


def ratio_column(results: Sequence[dict[str, Any]], variant: str) -> list[float]:
    """The start-up ratios of `variant` across app results (apps where it was timed)."""
    values = []
    for result in results:
        entry = result.get("start", {}).get(variant)
        if entry and entry.get("ratio_to_venv") is not None:
            values.append(float(entry["ratio_to_venv"]))
    return values
