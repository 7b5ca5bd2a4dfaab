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

from harness.builders import BuildContext, timed_with_cpu
from harness.common import BenchError, fresh_dir, log, remove, run

SCENARIOS = ("cold", "unchanged", "edited", "pin")
TOOLS = ("bundler", "bundler-pip", "shiv", "pex")

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
    """Seconds of each scenario for each tool (wall clock and CPU of the build's processes):
    every run, the medians, and whether the last archive of each kind ran the current
    source and pin. The tools take turns within each round, in a rotating order, so that
    the load of a shared machine falls on all of them alike."""
    root = fresh_dir(ctx.work / "rebuilds")
    runs = max(1, min(runs, len(VERSIONS) - 1))
    states = [_State(tool, _Project(fresh_dir(root / f"project-{tool.name}"))) for tool in
              _tools(ctx, root, wheelhouse)]  # fmt: skip
    for state in states:
        state.project.write()
    for scenario in SCENARIOS:
        log(f"rebuilds: {scenario}")
        for round_number in range(runs):
            turn = round_number % len(states)
            for state in states[turn:] + states[:turn]:
                state.build(ctx, root, scenario, round_number)
        if scenario != "cold":
            for state in states:
                state.check(ctx, root, scenario)
    return {
        "runs": runs,
        "distributions": len(PINS),
        "tools": {state.tool.name: state.results() for state in states},
    }


@dataclass
class _State:
    """One tool's project, timings and findings as the scenarios go."""

    tool: _Tool
    project: _Project
    wall: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SCENARIOS})
    cpu: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SCENARIOS})
    correct: dict[str, bool] = field(default_factory=dict)
    error: str | None = None

    def build(self, ctx: BuildContext, root: Path, scenario: str, round_number: int) -> None:
        if self.error is not None:
            return
        if scenario == "cold":
            for cache in self.tool.caches:
                remove(cache)
        elif scenario == "edited":
            self.project.edit += 1
        elif scenario == "pin":
            self.project.version = VERSIONS[round_number + 1]
        self.project.write()
        command = self.tool.command(self.project.path, self.archive(root))
        try:
            wall, cpu = timed_with_cpu(command, ctx.env(**self.tool.env), root)
        except BenchError as exc:
            self.error = str(exc)
            return
        self.wall[scenario].append(wall)
        self.cpu[scenario].append(cpu)

    def check(self, ctx: BuildContext, root: Path, scenario: str) -> None:
        if self.error is None:
            self.correct[scenario] = _runs_current(ctx, self.archive(root), self.project, root)

    def archive(self, root: Path) -> Path:
        return root / f"{self.tool.name}.pyz"

    def results(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": self.error.splitlines()[0], "errors": [self.error]}
        return {
            "seconds": self.wall,
            "cpu_seconds": self.cpu,
            "median": {name: statistics.median(values) for name, values in self.wall.items()},
            "cpu_median": {name: statistics.median(values) for name, values in self.cpu.items()},
            "correct": self.correct,
        }


def _tools(ctx: BuildContext, root: Path, wheelhouse: Path) -> list[_Tool]:
    index = ["--no-index", "--find-links", str(wheelhouse)]
    bundle_cache = root / "bundler-build-cache"
    pex_root = root / "pex-root"
    # bundler with each installer: uv (the default where importable; its own cache is
    # emptied for a cold build too) and pip, each with a build cache of its own.
    uv_cache, pip_bundle_cache = root / "uv-cache", root / "bundler-pip-build-cache"
    uv_env = {"BUNDLER_BUILD_CACHE": str(bundle_cache), "UV_CACHE_DIR": str(uv_cache)}
    pip_env = {"BUNDLER_BUILD_CACHE": str(pip_bundle_cache)}

    def bundler(project: Path, out: Path) -> list[str]:
        return [*ctx.tools.bundle, "build", str(project), "-o", str(out), *index, "-q"]

    def bundler_uv(project: Path, out: Path) -> list[str]:
        return [*bundler(project, out), "--installer", "uv"]

    def bundler_pip(project: Path, out: Path) -> list[str]:
        return [*bundler(project, out), "--installer", "pip"]

    def shiv(project: Path, out: Path) -> list[str]:
        python = ["--python", "/usr/bin/env python3"]
        return [str(ctx.tools.shiv), "-c", "docsapp", "-o", str(out), *python, *index, str(project)]

    def pex(project: Path, out: Path) -> list[str]:
        return [str(ctx.tools.pex), str(project), "-c", "docsapp", "-o", str(out), "--no-pypi",
                "-f", str(wheelhouse)]  # fmt: skip

    return [
        _Tool("bundler", bundler_uv, (bundle_cache, uv_cache), uv_env),
        _Tool("bundler-pip", bundler_pip, (pip_bundle_cache,), pip_env),
        _Tool("shiv", shiv, ()),
        _Tool("pex", pex, (pex_root,), {"PEX_ROOT": str(pex_root)}),
    ]


def _runs_current(ctx: BuildContext, archive: Path, project: _Project, root: Path) -> bool:
    """Whether the archive prints the project's current edit and pin."""
    ran = run([ctx.base.python, archive], env=ctx.env(), cwd=root, check=False)
    if ran.stdout.strip() != project.expected():
        log(f"rebuilds: {archive.name} printed {ran.stdout.strip()!r}{ran.stderr[-300:]!r}")
        return False
    return True
