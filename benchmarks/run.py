"""Benchmark bundler against a virtualenv, shiv and pex, in one run, on one interpreter.

    python benchmarks/run.py [--quick] [--apps NAME ...] [--out results.json]

Needs Python 3.11+, hyperfine and network access to PyPI the first time (the tool venv and
the wheelhouse are cached under ~/.cache/bundler-bench; every build is offline). Writes the
results as JSON (``--out``, default ``benchmarks/results/results-<time>.json``) and a
markdown summary beside it, and prints the summary. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import callgrind, hyperfine, importtime, memory, rebuilds, report, synthetic
from harness.appbench import AppRun, Settings, bench_app
from harness.apps import APPS, DEFAULT_APPS, QUICK_APPS, App, write_inputs
from harness.builders import BuildContext, build_venv, detect_modes
from harness.common import (
    CACHE_ROOT,
    REPO,
    RESULTS_DIR,
    BenchError,
    controlled_env,
    fresh_dir,
    log,
    run,
)
from harness.interpreters import Interpreter, clean_copy, describe, pyenv_python
from harness.tooling import (
    Tools,
    download_wheelhouse,
    local_wheelhouse,
    not_pure,
    sample_wheels,
    tool_venv,
)

SECTIONS = ("apps", "synthetic", "wide", "memory", "importtime", "foreign", "callgrind", "rebuilds")
# Warm runs are interleaved in rounds of 3 runs per command (see hyperfine.measure).
FULL = Settings(runs=30, warmup=3, cold_runs=3, build_cold=3, build_warm=2)
QUICK = Settings(runs=12, warmup=2, cold_runs=2, build_cold=1, build_warm=1)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; returns the exit status."""
    args = _parser().parse_args(argv)
    if sys.version_info < (3, 11):
        print("run.py needs Python 3.11+ (it reads pyproject.toml with tomllib)", file=sys.stderr)
        return 2
    if args.nice:
        # Every command the harness starts inherits this priority (root may raise it).
        os.nice(args.nice)
    started = time.monotonic()
    stamp = datetime.datetime.now(datetime.timezone.utc)
    settings = _settings(args)
    apps = _app_names(args)
    skipped = set(args.skip)
    if args.quick:
        skipped.update(("callgrind", "wide", "memory"))
    out = Path(args.out) if args.out else RESULTS_DIR / f"results-{stamp:%Y%m%dT%H%M%SZ}.json"
    raw_dir = RESULTS_DIR / f"raw-{stamp:%Y%m%dT%H%M%SZ}"
    work = fresh_dir(Path(args.work) if args.work else CACHE_ROOT / "work")

    results: dict[str, Any] = {"meta": {}, "apps": {}, "errors": []}
    meta = results["meta"]
    meta.update(
        started=stamp.isoformat(),
        quick=args.quick,
        machine=_machine(),
        hyperfine=hyperfine.version(),
        bundler_rev=_git_rev(),
        settings=vars(settings),
        nice=os.nice(0),
        apps=apps,
        skipped=sorted(skipped),
    )

    original = describe(Path(args.python or sys.executable))
    base = original if args.no_clean_python else clean_copy(original, CACHE_ROOT / "pythons")
    meta["python"] = {
        "version": base.version,
        "executable": str(base.python),
        "original_prefix": str(original.prefix),
        "how": "as given"
        if args.no_clean_python
        else "clean copy: same binary and stdlib, empty site-packages",
    }
    tools = tool_venv(base)
    meta["tools"] = tools.versions
    requirements = [r for name in apps for r in APPS[name].requirements]
    downloaded = download_wheelhouse(tools, base, requirements)
    meta["impure_wheels"] = not_pure(downloaded)
    wheelhouse = local_wheelhouse(downloaded, work / "wheelhouse")
    sample_requirements = sample_wheels(tools, [APPS[n] for n in apps], wheelhouse)
    chosen = {
        name: dataclasses.replace(APPS[name], requirements=(sample_requirements[name],))
        if name in sample_requirements
        else APPS[name]
        for name in apps
    }
    modes = detect_modes(tools)
    meta["bundler_modes"] = (
        "staging (--with) and --no-install" if modes.staging else "--no-install only (legacy)"
    )
    ctx = BuildContext(tools=tools, base=base, wheelhouse=wheelhouse, work=work, modes=modes)
    inputs = write_inputs(work / "inputs")

    floor = hyperfine.measure(
        {"python -c pass": [str(base.python), "-c", "pass"]},
        runs=settings.runs,
        warmup=settings.warmup,
        env=controlled_env(),
        export=raw_dir / "floor.json",
    )
    meta["python_floor_s"] = floor["python -c pass"].median

    app_runs: dict[str, AppRun] = {}
    if "apps" not in skipped:
        for name in apps:
            log(f"=== {name}")
            try:
                app_runs[name] = bench_app(ctx, chosen[name], settings, inputs, raw_dir)
                results["apps"][name] = app_runs[name].result
            except BenchError as exc:
                log(f"{name}: FAILED: {str(exc).splitlines()[0]}")
                results["apps"][name] = {"errors": [str(exc)]}

    if "synthetic" not in skipped:
        log("=== synthetic: 50 vs 5000 modules")
        try:
            results["synthetic"] = synthetic.bench_synthetic(
                ctx, (50, 5000), settings, raw_dir, count_instructions="callgrind" not in skipped
            )
        except BenchError as exc:
            results["synthetic"] = {"modules": [50, 5000], "errors": [str(exc)]}

    if "wide" not in skipped:
        log("=== wide: 10 vs 70,000 modules, 1,000 to a directory")
        try:
            results["wide"] = synthetic.bench_synthetic(
                ctx,
                (10, 70000),
                settings,
                raw_dir,
                count_instructions="callgrind" not in skipped,
                per_directory=1000,
            )
        except BenchError as exc:
            results["wide"] = {"modules": [10, 70000], "errors": [str(exc)]}

    if "memory" not in skipped:
        log("=== memory: peak RSS of a build and a run with a 1 GiB data file")
        try:
            results["memory"] = memory.bench_memory(ctx)
        except BenchError as exc:
            results["memory"] = {"errors": [str(exc)]}

    target = _importtime_app(app_runs)
    if target is None and ({"importtime", "foreign"} - skipped):
        results["errors"].append("importtime/foreign: no app with a working bundler archive")
    elif target is not None and ({"importtime", "foreign"} - skipped):
        _foreign_sections(
            results, ctx, chosen, target, base, inputs, settings, skipped, args, raw_dir
        )

    if "callgrind" not in skipped:
        results["callgrind"] = _callgrind(app_runs, inputs)

    if "rebuilds" not in skipped:
        log("=== rebuilds: cold, unchanged, one file edited, one pin changed")
        try:
            for needed in rebuilds.requirement_sets():
                docs_wheels = download_wheelhouse(tools, base, needed)
            runs = args.rebuild_runs or (1 if args.quick else 3)
            results["rebuilds"] = rebuilds.bench_rebuilds(ctx, docs_wheels, runs)
        except BenchError as exc:
            results["rebuilds"] = {"errors": [str(exc)]}

    meta["duration_s"] = time.monotonic() - started
    _write(results, out, raw_dir)
    _chart(tools, out)
    if not args.keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _foreign_sections(
    results: dict[str, Any],
    ctx: BuildContext,
    chosen: dict[str, App],
    target: tuple[str, AppRun],
    base: Interpreter,
    inputs: Path,
    settings: Settings,
    skipped: set[str],
    args: argparse.Namespace,
    raw_dir: Path,
) -> None:
    """importtime on the build Python and on 3.13 (first and second start); 3.13 starts."""
    name, app_run = target
    archive = app_run.archives["bundler"]
    app = chosen[name]
    argv = [str(archive), *app.argv(inputs)]
    runs = 5 if args.quick else 15
    other: Interpreter | None = None
    other_python = Path(args.other_python) if args.other_python else pyenv_python("3.13")
    if other_python is not None:
        found = describe(other_python)
        other = found if args.no_clean_python else clean_copy(found, CACHE_ROOT / "pythons")
    if "importtime" not in skipped:
        log(f"=== importtime ({name})")
        entries = []
        for python, label, first in [(base, "warm", False)] + (
            [(other, "first start", True), (other, "second start", False)] if other else []
        ):
            assert python is not None
            cache = ctx.work / f"importtime-cache-{python.version}"
            measured = importtime.measure_importtime(
                python.python, argv, runs=runs, cache=cache, first_start=first, cwd=inputs
            )
            entries.append({"python": python.version, "start": label, **measured})
        results["importtime"] = {"app": name, "runs": entries}
        if other is None:
            results["importtime"]["errors"] = ["no Python 3.13 found (pyenv); pass --other-python"]
    if "foreign" not in skipped and other is not None:
        log(f"=== start on Python {other.version} ({name})")
        try:
            foreign_ctx = BuildContext(
                tools=ctx.tools,
                base=other,
                wheelhouse=ctx.wheelhouse,
                work=ctx.work,
                modes=ctx.modes,
            )
            venv_dir = ctx.work / "venvs" / f"{name}-{other.version}"
            build_venv(foreign_ctx, app, venv_dir)
            app_inputs = inputs
            timings = importtime.foreign_python_starts(
                other.python,
                venv_dir / "bin" / app.script,
                archive,
                app.argv(app_inputs),
                runs=settings.runs,
                cold_runs=max(settings.cold_runs, 3),
                rounds=settings.rounds,
                cache=ctx.work / f"foreign-cache-{other.version}",
                cwd=app_inputs,
                raw_dir=raw_dir,
            )
            results["foreign_python"] = {
                "python": other.version,
                "built_on": base.version,
                "app": name,
                **({"error": timings["error"]} if "error" in timings else {"timings": timings}),
            }
        except BenchError as exc:
            results["foreign_python"] = {
                "python": other.version,
                "errors": [str(exc)],
                "error": str(exc).splitlines()[0],
            }


def _importtime_app(app_runs: dict[str, AppRun]) -> tuple[str, AppRun] | None:
    """notekeeper (the sample CLI) if its archive works, else the first app whose does."""
    ordered = sorted(app_runs.items(), key=lambda item: item[0] != "notekeeper")
    for name, app_run in ordered:
        if "bundler" in app_run.commands:
            return name, app_run
    return None


def _callgrind(app_runs: dict[str, AppRun], inputs: Path) -> dict[str, Any]:
    if not callgrind.available():
        return {"error": "valgrind is not installed"}
    preferred = sorted(app_runs, key=lambda n: n != "pygments")
    for name in preferred:
        commands: dict[str, list[str]] = {
            v: app_runs[name].commands[v]
            for v in ("venv", "bundler", "shiv")
            if v in app_runs[name].commands
        }
        if "venv" in commands and "bundler" in commands:
            log(f"=== callgrind ({name})")
            try:
                counts = callgrind.compare(commands, app_runs[name].run_env, inputs)
            except BenchError as exc:
                return {"app": name, "error": str(exc).splitlines()[0], "errors": [str(exc)]}
            return {"app": name, "counts": counts}
    return {"error": "no app with both a venv and a bundler command"}


def _write(results: dict[str, Any], out: Path, raw_dir: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    raw_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, sort_keys=False, default=str)
    out.write_text(text + "\n", encoding="utf-8")
    summary = report.render(results)
    out.with_suffix(".md").write_text(summary, encoding="utf-8")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(text + "\n", encoding="utf-8")
    (RESULTS_DIR / "latest.md").write_text(summary, encoding="utf-8")
    log(f"wrote {out}, {out.with_suffix('.md')} and hyperfine's raw JSON in {raw_dir}")
    print(summary)


def _chart(tools: Tools, out: Path) -> None:
    """The chart of this run (PNG beside the JSON, latest.png, and benchmarks/chart.png,
    which the README shows), drawn by the tool venv, which has matplotlib."""
    png = out.with_suffix(".png")
    try:
        run([tools.python, REPO / "benchmarks" / "harness" / "chart.py", out, png])
    except BenchError as exc:
        log(f"chart: FAILED: {str(exc).splitlines()[0]}")
        return
    shutil.copyfile(png, RESULTS_DIR / "latest.png")
    shutil.copyfile(png, REPO / "benchmarks" / "chart.png")
    log(f"wrote the chart {png} and benchmarks/chart.png")


def _settings(args: argparse.Namespace) -> Settings:
    chosen = QUICK if args.quick else FULL
    return Settings(
        runs=args.runs or chosen.runs,
        warmup=chosen.warmup if args.warmup is None else args.warmup,
        cold_runs=chosen.cold_runs if args.cold_runs is None else args.cold_runs,
        build_cold=args.build_runs or chosen.build_cold,
        build_warm=args.build_runs or chosen.build_warm,
        rounds=max(1, (args.runs or chosen.runs) // 3),
        pex_venv=not args.no_pex_venv,
    )


def _app_names(args: argparse.Namespace) -> list[str]:
    if not args.apps:
        return list(QUICK_APPS if args.quick else DEFAULT_APPS)
    names = [n for item in args.apps for n in item.split(",") if n]
    unknown = [n for n in names if n not in APPS]
    if unknown:
        raise SystemExit(f"unknown app(s) {', '.join(unknown)}; choose from {', '.join(APPS)}")
    return names


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    memory_gib = 0.0
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in stream if ln.startswith("model name")), cpu
            )
        with open("/proc/meminfo", encoding="utf-8") as stream:
            kib = next(int(ln.split()[1]) for ln in stream if ln.startswith("MemTotal"))
            memory_gib = round(kib / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "kernel": platform.release(),
        "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _git_rev() -> str:
    try:
        rev = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]).stdout.strip()
        dirty = run(["git", "-C", REPO, "status", "--porcelain", "--", "bundler"]).stdout.strip()
    except BenchError:
        return "unknown"
    return f"{rev} (+ uncommitted changes in bundler/)" if dirty else rev


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Compare bundler with a virtualenv, shiv and pex: start-up, size, build."
    )
    parser.add_argument("--quick", action="store_true", help="2 apps, fewer runs (< 3 min)")
    parser.add_argument(
        "--apps", nargs="+", metavar="NAME", help=f"apps to measure, of: {', '.join(APPS)}"
    )
    parser.add_argument("--out", metavar="FILE", help="results JSON (markdown goes beside it)")
    parser.add_argument(
        "--python", metavar="PATH", help="interpreter under test (default: this one's base)"
    )
    parser.add_argument(
        "--other-python",
        metavar="PATH",
        help="the foreign Python for importtime/first start (default: pyenv's newest 3.13)",
    )
    parser.add_argument(
        "--no-clean-python",
        action="store_true",
        help="use the interpreters as they are, site-packages included",
    )
    parser.add_argument(
        "--skip", action="append", default=[], choices=SECTIONS, help="leave a section out"
    )
    parser.add_argument("--runs", type=int, help="hyperfine runs per command")
    parser.add_argument("--warmup", type=int, help="hyperfine warm-up runs per command")
    parser.add_argument("--cold-runs", type=int, help="cold first-start runs per command")
    parser.add_argument("--build-runs", type=int, help="builds per tool (cold and warm)")
    parser.add_argument(
        "--rebuild-runs", type=int, help="builds per scenario in the rebuilds section (1-3)"
    )
    parser.add_argument("--no-pex-venv", action="store_true", help="skip pex --venv --sh-boot")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        metavar="N",
        help="change the harness's scheduling priority by N (e.g. -10, as root, on a shared "
        "machine; every command it runs inherits it)",
    )
    parser.add_argument("--work", metavar="DIR", help="scratch directory (default: in the cache)")
    parser.add_argument("--keep-work", action="store_true", help="keep the scratch directory")
    return parser


if __name__ == "__main__":
    sys.exit(main())
