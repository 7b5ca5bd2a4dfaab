"""The markdown summary of one results dict (the JSON that ``run.py`` writes)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from harness import targets
from harness.appbench import VARIANTS, ratio_column

_TITLES = {
    "venv": "venv",
    "bundler": "bundler",
    "shiv": "shiv",
    "pex": "pex",
    "pex-venv": "pex --venv --sh-boot",
    "bundler-sh": "bundler ./app.pyz",
}


def render(results: dict[str, Any]) -> str:
    """The whole summary."""
    parts = [_header(results["meta"]), targets.render(results)]
    apps: dict[str, Any] = results.get("apps", {})
    if apps:
        parts += [_start_table(apps), _cross_checks(apps), _cold_table(apps)]
        parts += [_size_table(apps), _build_table(apps)]
    if "synthetic" in results:
        parts.append(_synthetic(results["synthetic"]))
    if "wide" in results:
        parts.append(_synthetic(results["wide"]))
    if "importtime" in results:
        parts.append(_importtime(results["importtime"]))
    if "foreign_python" in results:
        parts.append(_foreign(results["foreign_python"]))
    if "callgrind" in results:
        parts.append(_callgrind(results["callgrind"]))
    if "rebuilds" in results:
        parts.append(_rebuilds(results["rebuilds"]))
    parts.append(_errors(results))
    return "\n\n".join(p for p in parts if p) + "\n"


def _header(meta: dict[str, Any]) -> str:
    machine = meta["machine"]
    tools = meta["tools"]
    lines = [
        f"# bundler benchmarks ({meta['started'][:16].replace('T', ' ')} UTC, "
        f"{'quick' if meta['quick'] else 'full'} run, {meta['duration_s']:.0f} s)",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}, load average at start {machine['load_at_start']}",
        f"- Python {meta['python']['version']} ({meta['python']['how']}); "
        f"interpreter floor `python -c pass` {_ms(meta.get('python_floor_s'))} ms",
        f"- bundler {tools.get('bundler')} at {meta['bundler_rev']}; shiv {tools.get('shiv')}; "
        f"pex {tools.get('pex')}; {meta['hyperfine']}",
        f"- bundler build mode: {meta['bundler_modes']}",
        f"- Runs: {meta['settings']}; niceness {meta.get('nice', 0)}",
    ]
    return "\n".join(lines)


def _start_table(apps: dict[str, Any]) -> str:
    present = [v for v in VARIANTS if any(v in a.get("start", {}) for a in apps.values())]
    header = ["app", "venv median (ms)", *(_TITLES[v] for v in present if v != "venv")]
    rows = []
    for name, app in apps.items():
        start = app.get("start", {})
        row = [name, _ms(start.get("venv", {}).get("median"))]
        row += [_ratio(start.get(v, {}).get("ratio_to_venv")) for v in present if v != "venv"]
        rows.append(row)
    results = list(apps.values())
    medians = ["**median ratio**", ""]
    for v in present:
        if v != "venv":
            column = ratio_column(results, v)
            medians.append(f"**{_ratio(statistics.median(column))}**" if column else "-")
    rows.append(medians)
    bundler = ratio_column(results, "bundler")
    verdict = ""
    if bundler:
        med, worst = statistics.median(bundler), max(bundler)
        ok = med <= 1.0 and worst <= 1.1
        verdict = (
            f"\n\nTarget (median <= 1.00x, no app above 1.10x): median {med:.3f}x, "
            f"worst {worst:.3f}x: **{'met' if ok else 'not met'}**."
        )
    return (
        "## Start-up, warm: ratio of medians to the virtualenv\n\n"
        "Each app's smoke command; virtualenv = console script with compiled bytecode; archives "
        "run as `python ARCHIVE ...` (pex --sh-boot as `./app.pex`), their caches warm.\n\n"
        + _table(header, rows)
        + verdict
    )


def _cross_checks(apps: dict[str, Any]) -> str:
    present = [v for v in VARIANTS[1:] if any(v in a.get("start", {}) for a in apps.values())]
    header = ["app"]
    for v in present:
        header += [f"{_TITLES[v]} min", f"{_TITLES[v]} CPU"]
    rows = []
    for name, app in apps.items():
        start = app.get("start", {})
        row = [name]
        for v in present:
            entry = start.get(v, {})
            row += [_ratio(entry.get("min_ratio_to_venv")), _ratio(entry.get("cpu_ratio_to_venv"))]
        rows.append(row)
    return (
        "Cross-checks on a shared machine: ratio of the fastest runs (min) and of CPU time "
        "(user + system), both to the virtualenv's.\n\n" + _table(header, rows)
    )


def _cold_table(apps: dict[str, Any]) -> str:
    present = [v for v in VARIANTS if any(v in a.get("cold", {}) for a in apps.values())]
    if not present:
        return ""
    header = ["app", *(f"{_TITLES[v]} (ms, ratio)" for v in present)]
    rows = []
    for name, app in apps.items():
        cold = app.get("cold", {})
        row = [name]
        for v in present:
            entry = cold.get(v)
            row.append(
                f"{_ms(entry['median'])} ({_ratio(entry['ratio_to_venv'])})" if entry else "-"
            )
        rows.append(row)
    return (
        "## First start, cold: each tool's cache removed before every run\n\n"
        "Ratio to the virtualenv's warm median. shiv extracts its site-packages, pex unzips "
        "and installs its wheels (or builds its venv); bundler on the build's Python has "
        "nothing to extract for pure-Python apps.\n\n" + _table(header, rows)
    )


def _size_table(apps: dict[str, Any]) -> str:
    names = ["bundler", "shiv", "pex", "pex-venv", "bundler-no-install"]
    present = [n for n in names if any(n in a.get("sizes", {}) for a in apps.values())]
    header = ["app", *(f"{_TITLES.get(n, n)} (KiB)" for n in present)]
    header += ["bundler / shiv", "bundler / pex"]
    rows = []
    for name, app in apps.items():
        sizes = app.get("sizes", {})
        row = [name, *(_kib(sizes.get(n)) for n in present)]
        for other in ("shiv", "pex"):
            b, o = sizes.get("bundler"), sizes.get(other)
            row.append(_ratio(b / o) if b and o else "-")
        rows.append(row)
    return "## Archive size\n\n" + _table(header, rows)


def _build_table(apps: dict[str, Any]) -> str:
    header = [
        "app",
        "venv + pip install",
        "bundler cold (uv) [CPU]",
        "bundler cold (pip) [CPU]",
        "shiv [CPU]",
        "bundler warm",
        "bundler --no-install",
        "pex cold",
        "pex warm",
    ]
    rows = []
    for name, app in apps.items():
        builds = app.get("builds", {})
        staging = builds.get("bundler", {})
        rows.append(
            [
                name,
                _s(app.get("venv_install_s")),
                *(_with_cpu(builds.get(n, {})) for n in ("bundler", "bundler-pip", "shiv")),
                _s(_median(staging.get("warm_s"))),
                _s(_median(builds.get("bundler-no-install", {}).get("cold_s"))),
                _s(_median(builds.get("pex", {}).get("cold_s"))),
                _s(_median(builds.get("pex", {}).get("warm_s"))),
            ]
        )
    return (
        "## Build time (s, median), offline from the same wheelhouse\n\n"
        "bundler cold = `--no-cache` (uv, with its own cache emptied too, or pip, installing "
        "into a new staging dir); [CPU] = user+sys seconds of the build's processes; warm = the "
        "cached staging dir reused; `--no-install` resolves the app's existing venv (add "
        "the venv column for a like-for-like total). pex cold = empty PEX_ROOT.\n\n"
        + _table(header, rows)
    )


def _with_cpu(built: dict[str, Any]) -> str:
    """Median wall seconds of the cold builds, and their median CPU seconds in brackets."""
    cpu = built.get("cold_cpu_s")
    return _s(_median(built.get("cold_s"))) + (f" [{_s(_median(cpu))}]" if cpu else "")


def _synthetic(synth: dict[str, Any]) -> str:
    small, large = synth["modules"]
    width = synth.get("per_directory", 100)
    lines = [f"## Start-up vs archive size (bundler, synthetic app, {width} per directory)", ""]
    if "ratio" in synth:
        s, big = synth["start"][f"{small} modules"], synth["start"][f"{large} modules"]
        lines.append(
            f"{large} modules vs {small}: median start {_ms(big['median'])} ms vs "
            f"{_ms(s['median'])} ms, ratio **{synth['ratio']:.3f}** (target <= 1.05: "
            f"**{'met' if synth['ratio'] <= 1.05 else 'not met'}**); CPU time ratio "
            f"{synth['cpu_ratio']:.3f}."
        )
    if "instructions_ratio" in synth:
        small_n, large_n = synth["instructions"]
        lines.append(
            f"- Instructions (callgrind): {large_n:,} vs {small_n:,}, ratio "
            f"{synth['instructions_ratio']:.3f}"
        )
    for m in (small, large):
        if f"size_{m}" in synth:
            lines.append(
                f"- {m} modules: archive {_kib(synth[f'size_{m}'])} KiB, "
                f"built in {_s(synth[f'build_s_{m}'])} s"
            )
    return "\n".join(lines)


def _importtime(data: dict[str, Any]) -> str:
    header = [
        "Python",
        "start",
        "`_bundler_runtime*` self (ms)",
        "top-level runtime imports, cumulative (ms)",
        "all imports (ms)",
    ]
    rows = []
    for entry in data.get("runs", []):
        rows.append(
            [
                entry["python"],
                entry["start"],
                f"{entry['runtime_self_ms']:.2f}",
                f"{entry['runtime_cumulative_ms']:.2f}",
                f"{entry['all_imports_ms']:.2f}",
            ]
        )
    pulled = sorted({n for e in data.get("runs", []) for n in e["stdlib_pulled_in_by_runtime"]})
    note = f"\n\nModules the runtime imports first: {', '.join(pulled) or 'none'}." if rows else ""
    return (
        f"## Runtime import cost (`-X importtime`, {data.get('app')}, median)\n\n"
        "Self: the own time of every `_bundler_runtime*` module, lazily imported ones "
        "included. Cumulative: the runtime's top-level imports with the standard-library "
        "modules they import first (lazy imports inside the app's imports are not in it). "
        "On a Python other than the build's, the start-up modules are executed from the "
        "per-user cache without an import, so importtime does not see them: use the "
        "first/second start timings below for that case. PYTHONDONTWRITEBYTECODE unset.\n\n"
        + _table(header, rows)
        + note
    )


def _foreign(data: dict[str, Any]) -> str:
    if "error" in data:
        return f"## Start on Python {data.get('python')}\n\n{data['error']}"
    header = ["command", "median (ms)", "ratio to venv"]
    rows = [
        [name, _ms(entry["median"]), _ratio(entry["ratio_to_venv"])]
        for name, entry in data["timings"].items()
    ]
    return (
        f"## Start on Python {data['python']}, archive built on {data['built_on']} "
        f"({data['app']})\n\n" + _table(header, rows)
    )


def _callgrind(data: dict[str, Any]) -> str:
    if "error" in data:
        return f"## Instructions (callgrind)\n\n{data['error']}"
    header = ["variant", "instructions", "ratio to venv"]
    rows = [
        [name, f"{e['instructions']:,}", _ratio(e["ratio_to_venv"])]
        for name, e in data["counts"].items()
    ]
    return f"## Instructions (callgrind, {data['app']})\n\n" + _table(header, rows)


def _errors(results: dict[str, Any]) -> str:
    lines = []
    for name, app in results.get("apps", {}).items():
        lines += [f"- {name}: {e.splitlines()[0]}" for e in app.get("errors", [])]
    for section in ("synthetic", "importtime", "foreign_python", "callgrind"):
        for e in results.get(section, {}).get("errors", []):
            lines.append(f"- {section}: {e.splitlines()[0]}")
    lines += [f"- {e.splitlines()[0]}" for e in results.get("errors", [])]
    return "## Problems\n\n" + ("\n".join(lines) if lines else "None.")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def _median(values: Sequence[float] | None) -> float | None:
    return statistics.median(values) if values else None


def _ms(seconds: float | None) -> str:
    return f"{seconds * 1000:.1f}" if seconds is not None else "-"


def _s(seconds: float | None) -> str:
    return f"{seconds:.2f}" if seconds is not None else "-"


def _kib(size: int | None) -> str:
    return f"{size / 1024:,.0f}" if size is not None else "-"


def _ratio(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "-"


def _rebuilds(section: dict[str, Any]) -> str:
    """Build times of the 21-dependency project in each scenario, per tool."""
    tools: dict[str, Any] = section.get("tools", {})
    if not tools:
        return ""
    names = [name for name in ("bundler", "bundler-pip", "shiv", "pex") if name in tools]
    rows = {
        "cold": "cold (empty caches)",
        "unchanged": "unchanged",
        "edited": "one source file edited",
        "pin": "one pin changed",
    }
    lines = [
        "### Rebuilds: a project with "
        f"{section.get('distributions', '?')} pinned dependencies (Sphinx 8.1.3)",
        "",
        f"Median wall-clock seconds of {section.get('runs', '?')} builds per scenario, offline "
        "from one wheelhouse, the tools taking turns; in brackets the CPU seconds of the "
        "build's processes (steadier on a shared machine). Every edit and every pin is new; "
        "after the last build of each kind the archive is run and must print the new edit "
        "and pin (a stale build is marked STALE).",
        "",
        "| scenario | " + " | ".join(names) + " | bundler / shiv | bundler / pex |",
        "|---|" + "---|" * (len(names) + 2),
    ]
    for key, title in rows.items():
        cells = []
        for name in names:
            data = tools[name]
            if "error" in data:
                cells.append("failed")
                continue
            stale = key != "cold" and not data["correct"].get(key, True)
            cpu = data.get("cpu_median", {}).get(key)
            shown = f"{data['median'][key]:.2f}" + (f" ({cpu:.2f})" if cpu is not None else "")
            cells.append(shown + (" STALE" if stale else ""))
        ratios = f"{_tool_ratio(tools, key, 'shiv')} | {_tool_ratio(tools, key, 'pex')}"
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {ratios} |")
    return "\n".join(lines)


def _tool_ratio(tools: dict[str, Any], key: str, other: str) -> str:
    ours, theirs = tools.get("bundler", {}), tools.get(other, {})
    if "median" not in ours or "median" not in theirs or not theirs["median"][key]:
        return "-"
    wall = f"{ours['median'][key] / theirs['median'][key]:.2f}x"
    if ours.get("cpu_median") and theirs.get("cpu_median", {}).get(key):
        wall += f" ({ours['cpu_median'][key] / theirs['cpu_median'][key]:.2f}x)"
    return wall
