"""Build times as a developer meets them: a project with 21 pinned dependencies (Sphinx and
what it needs), built cold, rebuilt unchanged, rebuilt after one source file is edited, and
rebuilt after one pin changes; bundler against shiv and pex, from the same wheelhouse.

Each edit and each pin is new (never a state a cache saw before), and after the last build
of each kind the archive is run: its output must show the edit and the pin, so a build that
reused something stale is reported, not timed as fast.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.builders import BuildContext
from harness.common import BenchError, fresh_dir, log, remove, run, timed_run

SCENARIOS = ("cold", "unchanged", "edited", "pin")
TOOLS = ("bundler", "shiv", "pex")

# Sphinx 8.1.3 and the 20 distributions it needs, as pip resolves them for 3.11 (21 in all;
# charset-normalizer and MarkupSafe are native wheels).
PINS = (
    "sphinx==8.1.3",
    "alabaster==1.0.0",
    "babel==2.17.0",
    "docutils==0.21.2",
    "imagesize==2.0.1",
    "jinja2==3.1.6",
    "packaging==26.4",
    "pygments==2.21.0",
    "requests==2.34.2",
    "snowballstemmer==3.1.1",
    "sphinxcontrib-applehelp==2.0.0",
    "sphinxcontrib-devhelp==2.0.0",
    "sphinxcontrib-htmlhelp==2.1.0",
    "sphinxcontrib-jsmath==2.0.0",
    "sphinxcontrib-qthelp==2.0.0",
    "sphinxcontrib-serializinghtml==2.0.0",
    "certifi==2026.10.19.post1",
    "charset-normalizer==3.5.3",
    "idna==3.20",
    "markupsafe==3.0.4",
    "urllib3==2.8.0",
)
# The pin that changes: each rebuild moves babel to a version no build has seen yet.
CHANGED = "babel"
VERSIONS = ("2.17.0", "2.16.0", "2.15.0", "2.14.0")

_SETUPTOOLS = (
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
)
_MAIN = """\
import babel
import sphinx
from sphinx.application import Sphinx

EDIT = {edit}


def main():
    print("edit", EDIT, "babel", babel.__version__, "sphinx", sphinx.__version__, Sphinx.__name__)
"""


def requirement_sets() -> list[list[str]]:
    """What the wheelhouse needs for this section, as sets pip can download at once (one
    per version of the changed pin)."""
    return [list(PINS), *([f"{CHANGED}=={version}"] for version in VERSIONS[1:])]


@dataclass
class _Project:
    """The benchmarked project, with its current edit and pin."""

    path: Path
    edit: int = 0
    version: str = VERSIONS[0]

    def write(self) -> None:
        pins = [p for p in PINS if not p.startswith(f"{CHANGED}==")]
        pins.append(f"{CHANGED}=={self.version}")
        table = (
            '[project]\nname = "docsapp"\nversion = "1.0"\n'
            f"dependencies = {json.dumps(sorted(pins))}\n"
            '[project.scripts]\ndocsapp = "docsapp:main"\n'
            '[tool.setuptools]\npackages = ["docsapp"]\n'
        )
        (self.path / "docsapp").mkdir(parents=True, exist_ok=True)
        (self.path / "pyproject.toml").write_text(_SETUPTOOLS + table, encoding="utf-8")
        (self.path / "docsapp" / "__init__.py").write_text(
            _MAIN.format(edit=self.edit), encoding="utf-8"
        )

    def expected(self) -> str:
        return f"edit {self.edit} babel {self.version} sphinx 8.1.3 Sphinx"


@dataclass
class _Tool:
    """How one tool builds the project, and what it keeps between builds."""

    name: str
    command: Callable[[Path, Path], list[str]]
    caches: tuple[Path, ...]
    env: dict[str, str] = field(default_factory=dict)


def bench_rebuilds(ctx: BuildContext, wheelhouse: Path, runs: int) -> dict[str, Any]:
    """Seconds of each scenario for each tool: every run, the median, and whether the last
    archive of each kind ran the current source and pin."""
    root = fresh_dir(ctx.work / "rebuilds")
    runs = max(1, min(runs, len(VERSIONS) - 1))
    results: dict[str, Any] = {"runs": runs, "distributions": len(PINS), "tools": {}}
    for tool in _tools(ctx, root, wheelhouse):
        log(f"rebuilds: {tool.name}")
        try:
            results["tools"][tool.name] = _scenarios(ctx, tool, root, runs)
        except BenchError as exc:
            results["tools"][tool.name] = {"error": str(exc).splitlines()[0], "errors": [str(exc)]}
    return results


def _tools(ctx: BuildContext, root: Path, wheelhouse: Path) -> list[_Tool]:
    index = ["--no-index", "--find-links", str(wheelhouse)]
    bundle_cache = root / "bundler-build-cache"
    pex_root = root / "pex-root"

    def bundler(project: Path, out: Path) -> list[str]:
        return [*ctx.tools.bundle, "build", str(project), "-o", str(out), *index, "-q"]

    def shiv(project: Path, out: Path) -> list[str]:
        python = ["--python", "/usr/bin/env python3"]
        return [str(ctx.tools.shiv), "-c", "docsapp", "-o", str(out), *python, *index, str(project)]

    def pex(project: Path, out: Path) -> list[str]:
        return [str(ctx.tools.pex), str(project), "-c", "docsapp", "-o", str(out), "--no-pypi",
                "-f", str(wheelhouse)]  # fmt: skip

    return [
        _Tool("bundler", bundler, (bundle_cache,), {"BUNDLER_BUILD_CACHE": str(bundle_cache)}),
        _Tool("shiv", shiv, ()),
        _Tool("pex", pex, (pex_root,), {"PEX_ROOT": str(pex_root)}),
    ]


def _scenarios(ctx: BuildContext, tool: _Tool, root: Path, runs: int) -> dict[str, Any]:
    project = _Project(fresh_dir(root / f"project-{tool.name}"))
    project.write()
    out = root / f"{tool.name}.pyz"
    env = ctx.env(**tool.env)

    def build() -> float:
        return timed_run(tool.command(project.path, out), env=env, cwd=root)

    times: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    correct: dict[str, bool] = {}
    for _ in range(runs):
        for cache in tool.caches:
            remove(cache)
        times["cold"].append(build())
    for _ in range(runs):
        times["unchanged"].append(build())
    correct["unchanged"] = _runs_current(ctx, out, project, root)
    for _ in range(runs):
        project.edit += 1
        project.write()
        times["edited"].append(build())
    correct["edited"] = _runs_current(ctx, out, project, root)
    for version in VERSIONS[1 : runs + 1]:
        project.version = version
        project.write()
        times["pin"].append(build())
    correct["pin"] = _runs_current(ctx, out, project, root)
    return {
        "seconds": times,
        "median": {name: statistics.median(values) for name, values in times.items()},
        "correct": correct,
    }


def _runs_current(ctx: BuildContext, archive: Path, project: _Project, root: Path) -> bool:
    """Whether the archive prints the project's current edit and pin."""
    ran = run([ctx.base.python, archive], env=ctx.env(), cwd=root, check=False)
    if ran.stdout.strip() != project.expected():
        log(f"rebuilds: {archive.name} printed {ran.stdout.strip()!r}{ran.stderr[-300:]!r}")
        return False
    return True
