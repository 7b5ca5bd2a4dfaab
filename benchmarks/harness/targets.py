"""The targets of issue 14 (DESIGN.md, "Targets") in one table: each row as measured in
this run, against its target, with "met" or "not met"; a row whose section did not run
says so. The chart (chart.py) draws the same run."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

_Row = tuple[str, str, str, str]  # figure, measured, target, verdict


def render(results: dict[str, Any]) -> str:
    """The markdown table of every target."""
    apps: dict[str, Any] = results.get("apps", {})
    rows = [
        _warm(apps, "bundler", "`python app.pyz`", median_target=1.00, worst_target=None),
        _warm(apps, "bundler-sh", "`./app.pyz`", median_target=1.00, worst_target=1.03),
        _runtime_cost(results.get("importtime", {})),
        _per_app(apps, "archive size / shiv", _size_ratio, 1.0),
        _foreign(results.get("foreign_python", {})),
        _numpy(apps.get("numpy", {})),
        _wide(results.get("wide", {})),
        _per_app(apps, "cached rebuild / shiv build", _build_ratio("warm_s"), 1.0),
        _per_app(apps, "cold build / shiv build (uv)", _build_ratio("cold_s"), 1.0),
        # The same with pip, and both in CPU seconds (steadier on a shared machine).
        _per_app(apps, "cold build / shiv build (pip)", _build_ratio("cold_s", "bundler-pip"), 1.0),
        _per_app(
            apps,
            "cold build CPU / shiv's (uv)",
            _build_ratio("cold_cpu_s", "bundler", "cold_cpu_s"),
            1.0,
        ),
        _per_app(
            apps,
            "cold build CPU / shiv's (pip)",
            _build_ratio("cold_cpu_s", "bundler-pip", "cold_cpu_s"),
            1.0,
        ),
        _memory(results.get("memory", {})),
    ]
    lines = [
        "## Targets (issue 14)",
        "",
        "| figure | this run | target | |",
        "|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
    return "\n".join(lines)


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("**met**" if ok else "**not met**")


def _spread(values: Sequence[float]) -> str:
    return f"median {statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f}x)"


def _warm(
    apps: dict[str, Any],
    variant: str,
    how: str,
    *,
    median_target: float,
    worst_target: float | None,
) -> _Row:
    ratios = [
        float(app["start"][variant]["ratio_to_venv"])
        for app in apps.values()
        if app.get("start", {}).get(variant, {}).get("ratio_to_venv") is not None
    ]
    figure = f"warm start / virtualenv, {how}"
    target = f"median <= {median_target:.2f}x" + (
        f", every app <= {worst_target:.2f}x" if worst_target else ""
    )
    if not ratios:
        return figure, "not measured", target, "-"
    ok = statistics.median(ratios) <= median_target and (
        worst_target is None or max(ratios) <= worst_target
    )
    return figure, _spread(ratios), target, _verdict(ok)


def _runtime_cost(importtime: dict[str, Any]) -> _Row:
    figure, target = "the runtime's own import cost (build Python, cumulative)", "< 0.8 ms"
    warm = [r for r in importtime.get("runs", []) if r.get("start") == "warm"]
    if not warm:
        return figure, "not measured", target, "-"
    cost = float(warm[0]["runtime_cumulative_ms"])
    return (
        figure,
        f"{cost:.2f} ms (self {warm[0]['runtime_self_ms']:.2f} ms)",
        target,
        _verdict(cost < 0.8),
    )


def _size_ratio(app: dict[str, Any]) -> float | None:
    sizes = app.get("sizes", {})
    ours, shiv = sizes.get("bundler"), sizes.get("shiv")
    return ours / shiv if ours and shiv else None


def _build_ratio(
    key: str, variant: str = "bundler", shiv_key: str = "cold_s"
) -> Callable[[dict[str, Any]], float | None]:
    def ratio(app: dict[str, Any]) -> float | None:
        builds = app.get("builds", {})
        ours = builds.get(variant, {}).get(key) or []
        shiv = builds.get("shiv", {}).get(shiv_key) or []
        if not ours or not shiv:
            return None
        return float(statistics.median(ours) / statistics.median(shiv))

    return ratio


def _per_app(
    apps: dict[str, Any], figure: str, ratio: Callable[[dict[str, Any]], float | None], most: float
) -> _Row:
    found = {name: ratio(app) for name, app in apps.items()}
    values = {name: value for name, value in found.items() if value is not None}
    target = f"<= {most:.1f}x for every app"
    if not values:
        return figure, "not measured", target, "-"
    over = sorted(name for name, value in values.items() if value > most)
    shown = _spread(list(values.values())) + (f"; above: {', '.join(over)}" if over else "")
    return figure, shown, target, _verdict(not over)


def _foreign(data: dict[str, Any]) -> _Row:
    figure = f"first start on Python {data.get('python', '3.13')} (built on another) / its venv"
    target = "<= 1.20x (second <= 1.03x)"
    timings = data.get("timings", {})
    first = timings.get("archive first start", {}).get("ratio_to_venv")
    second = timings.get("archive second start", {}).get("ratio_to_venv")
    if first is None or second is None:
        return figure, "not measured", target, "-"
    shown = f"{first:.2f}x (second {second:.2f}x)"
    return figure, shown, target, _verdict(first <= 1.2 and second <= 1.03)


def _numpy(app: dict[str, Any]) -> _Row:
    figure, target = "small numpy app / its venv: first start; warm", "<= 1.50x; <= 1.03x"
    first = app.get("cold", {}).get("bundler", {}).get("ratio_to_venv")
    warm = app.get("start", {}).get("bundler", {}).get("ratio_to_venv")
    if first is None or warm is None:
        return figure, "not measured", target, "-"
    shiv = app.get("cold", {}).get("shiv", {}).get("ratio_to_venv")
    extra = f" (shiv first {shiv:.2f}x)" if shiv is not None else ""
    return (
        figure,
        f"{first:.2f}x; {warm:.2f}x{extra}",
        target,
        _verdict(first <= 1.5 and warm <= 1.03),
    )


def _wide(data: dict[str, Any]) -> _Row:
    small, large = data.get("modules", [10, 70000])
    width = data.get("per_directory", 1000)
    figure = f"start of a {large:,}-module archive ({width:,} per directory) / a {small}-module one"
    if "ratio" not in data:
        return figure, "not measured", "<= 1.05x", "-"
    shown = f"{data['ratio']:.3f}x (CPU {data['cpu_ratio']:.3f}x"
    if "instructions_ratio" in data:
        shown += f", instructions {data['instructions_ratio']:.3f}x"
    return figure, shown + ")", "<= 1.05x", _verdict(data["ratio"] <= 1.05)


def _memory(data: dict[str, Any]) -> _Row:
    figure = "peak RSS with a 1 GiB data file: build; run reading it; run not reading it"
    if "build" not in data:
        return figure, "not measured", "no read of the file whole", "-"
    mib = [data[key]["peak_rss"] / (1 << 20) for key in ("build", "run_reading", "run_noop")]
    shown = "; ".join(f"{value:.0f} MiB" for value in mib)
    return figure, shown, "far below 1 GiB", _verdict(max(mib) < 256)
