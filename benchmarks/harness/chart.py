"""The README's chart: start-up and size against the virtualenv, shiv and pex, from one
results JSON. Needs matplotlib (``pip install .[bench]``); the harness runs it with its
tool venv's interpreter, which has the ``bench`` extra.

    python benchmarks/harness/chart.py RESULTS.json OUT.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

_VARIANTS = (
    ("bundler", "bundler", "#1f77b4"),
    ("bundler-sh", "bundler ./app.pyz", "#aec7e8"),
    ("shiv", "shiv", "#ff7f0e"),
    ("pex", "pex", "#2ca02c"),
    ("pex-venv", "pex --venv --sh-boot", "#98df8a"),
)


def draw(results: dict[str, Any], out: Path) -> None:
    """Two panels: warm start / venv per app, and archive size / shiv per app."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    apps = {n: a for n, a in results.get("apps", {}).items() if a.get("start")}
    names = list(apps)
    present = [v for v in _VARIANTS if any(v[0] in a["start"] for a in apps.values())]
    figure, (start, size) = plt.subplots(1, 2, figsize=(13, 5.2))
    width = 0.8 / len(present)
    for index, (key, label, colour) in enumerate(present):
        ratios = [apps[n]["start"].get(key, {}).get("ratio_to_venv") or 0 for n in names]
        positions = [i + (index - (len(present) - 1) / 2) * width for i in range(len(names))]
        start.bar(positions, ratios, width, label=label, color=colour)
    start.axhline(1.0, color="black", linewidth=0.8)
    start.set_yscale("log")
    start.set_xticks(range(len(names)), names, rotation=30, ha="right")
    start.set_ylabel("warm start / virtualenv (log scale; 1.0 = venv)")
    start.set_title("Start-up, warm (median)")
    start.legend(fontsize="small")
    for index, key in enumerate(("bundler", "shiv", "pex")):
        sizes = [apps[n].get("sizes", {}) for n in names]
        ratios = [(s.get(key) or 0) / s["shiv"] if s.get("shiv") else 0 for s in sizes]
        positions = [i + (index - 1) * 0.27 for i in range(len(names))]
        colour = {"bundler": "#1f77b4", "shiv": "#ff7f0e", "pex": "#2ca02c"}[key]
        size.bar(positions, ratios, 0.27, label=key, color=colour)
    size.axhline(1.0, color="black", linewidth=0.8)
    size.set_yscale("log")
    size.set_xticks(range(len(names)), names, rotation=30, ha="right")
    size.set_ylabel("archive size / shiv's (log scale)")
    size.set_title("Archive size")
    size.legend(fontsize="small")
    meta = results["meta"]
    machine, tools = meta["machine"], meta["tools"]
    figure.suptitle(
        f"bundler {tools.get('bundler')} ({meta['bundler_rev']}), shiv {tools.get('shiv')}, "
        f"pex {tools.get('pex')}; Python {meta['python']['version']}; "
        f"{meta['started'][:10]}; {machine['cpu']}, {machine['cores']} cores",
        fontsize="medium",
    )
    for axes in (start, size):
        axes.yaxis.set_major_formatter(FormatStrFormatter("%.1fx"))
        axes.yaxis.set_minor_formatter(NullFormatter())
        axes.set_yticks([0.5, 1, 2, 4, 8, 16, 32, 64])
        axes.grid(axis="y", linewidth=0.3)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)


if __name__ == "__main__":
    draw(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")), Path(sys.argv[2]))
