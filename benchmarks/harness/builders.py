"""Build one app every way that is compared: virtualenv, bundler, shiv, pex.

Every build installs the app's pinned requirements offline from the same local wheelhouse
(a sample project is there as a wheel, built once by ``tooling.sample_wheels``). Build
times are wall-clock seconds of the tool's command; "cold" builds start with the tool's own
caches empty, "warm" ones reuse them (only bundler's staging mode and pex keep a build
cache; shiv has none, and bundler's ``--no-install`` mode resolves an existing environment,
so it has only one kind)."""

from __future__ import annotations

import configparser
import os
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.apps import App
from harness.common import BenchError, controlled_env, fresh_dir, log, remove, run, timed_run
from harness.interpreters import Interpreter
from harness.tooling import Tools, make_venv


@dataclass(frozen=True)
class BundlerModes:
    """What the checkout's ``bundle build`` can do."""

    staging: bool
    """``--with`` exists: the default mode builds and pip-installs into a staging dir."""
    no_install_flag: bool
    """``--no-install`` exists (before staging, resolving an environment was the default)."""


@dataclass
class Built:
    """The outcome of building one variant of one app."""

    path: Path | None = None
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    cold_cpu: list[float] = field(default_factory=list)  # user+sys of the build's processes
    error: str | None = None
    how: str = ""

    @property
    def size(self) -> int | None:
        """The archive's size in bytes (None when the build failed)."""
        return self.path.stat().st_size if self.path and self.path.exists() else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready facts about this build."""
        return {
            "path": str(self.path) if self.path else None,
            "size": self.size,
            "cold_s": self.cold,
            "cold_cpu_s": self.cold_cpu,
            "warm_s": self.warm,
            "error": self.error,
            "how": self.how,
        }


@dataclass(frozen=True)
class BuildContext:
    """What every build of one run shares."""

    tools: Tools
    base: Interpreter
    wheelhouse: Path
    work: Path
    modes: BundlerModes

    def env(self, **settings: str | os.PathLike[str] | None) -> dict[str, str]:
        """The build environment: controlled, pex and bundler caches inside the work dir."""
        defaults: dict[str, str | os.PathLike[str] | None] = {
            "PEX_ROOT": self.work / "pex-build-root",
            "BUNDLER_BUILD_CACHE": self.work / "bundler-build-cache",
            "BUNDLER_CACHE": self.work / "bundler-cache-build",
            "SOURCE_DATE_EPOCH": "315532800",
        }
        defaults.update(settings)
        return controlled_env(path_first=self.base.python.parent, **defaults)

    @property
    def index_args(self) -> list[str]:
        """pip's offline options, as shiv and bundler take them."""
        return ["--no-index", "--find-links", str(self.wheelhouse)]


def detect_modes(tools: Tools) -> BundlerModes:
    """Read ``bundle build --help`` to see which build modes this checkout has."""
    text = run([*tools.bundle, "build", "--help"], env=controlled_env()).stdout
    return BundlerModes(staging="--with" in text, no_install_flag="--no-install" in text)


def _sources(app: App) -> list[str]:
    """What pip, shiv, pex and bundler install: the app's pinned requirements."""
    return list(app.requirements)


def build_venv(ctx: BuildContext, app: App, dest: Path) -> tuple[Path, float]:
    """A virtualenv with the app installed, bytecode compiled; returns (python, seconds)."""
    started = time.perf_counter()
    python = make_venv(ctx.base, dest)
    run(
        [*ctx.tools.pip(python), "install", "--quiet", *ctx.index_args, *_sources(app)],
        env=ctx.env(),
    )
    seconds = time.perf_counter() - started
    # Warm bytecode: everything in the venv compiled by the interpreter under test. A file
    # that does not compile (wordstats' dependency ships a Python 2 module) fails compileall
    # but is never imported, so the status is not checked.
    run([python, "-m", "compileall", "-q", "-j0", dest / "lib"], env=controlled_env(), check=False)
    return python, seconds


def console_entry(venv_python: Path, script: str) -> str:
    """``module:function`` of console script `script` installed in the venv of `venv_python`."""
    purelib = run(
        [venv_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    for entry_points in sorted(Path(purelib).glob("*.dist-info/entry_points.txt")):
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(entry_points, encoding="utf-8")
        if parser.has_option("console_scripts", script):
            return parser.get("console_scripts", script).split("[")[0].strip()
    raise BenchError(f"no console script {script!r} in {purelib}")


def build_bundler_staging(
    ctx: BuildContext, app: App, out: Path, cold: int, warm: int, installer: str = "uv"
) -> Built:
    """bundler's default mode: install the ``--with`` requirements into a staging dir with
    ``installer`` (uv: bundle's default where it is importable). A cold uv build also
    starts with uv's own cache empty, as shiv's pip has nothing cached from a wheelhouse."""
    built = Built(how=f"bundle build (staging: build + {installer} install, offline)")
    cwd = fresh_dir(ctx.work / "empty-cwd")
    uv_cache = ctx.work / "uv-cache"
    cmd = [*ctx.tools.bundle, "build", "--installer", installer]
    cmd += [f"--with={r}" for r in app.requirements]
    cmd += ["-c", app.script, "--python", str(ctx.base.python), *ctx.index_args, "-o", str(out)]
    cmd += ["-q"]
    try:
        for _ in range(cold):
            remove(uv_cache)
            env = ctx.env(UV_CACHE_DIR=uv_cache)
            wall, cpu = timed_with_cpu([*cmd, "--no-cache"], env=env, cwd=cwd)
            built.cold.append(wall)
            built.cold_cpu.append(cpu)
        for _ in range(warm):
            built.warm.append(timed_run(cmd, env=ctx.env(UV_CACHE_DIR=uv_cache), cwd=cwd))
        built.path = out
    except BenchError as exc:
        built.error = str(exc)
    return built


def build_bundler_no_install(
    ctx: BuildContext, app: App, venv_python: Path, out: Path, runs: int
) -> Built:
    """bundler resolving against the app's existing virtualenv (``--no-install``)."""
    flag = ["--no-install"] if ctx.modes.no_install_flag else []
    built = Built(how=f"bundle build {' '.join(flag)} --python <the app's venv>".replace("  ", " "))
    try:
        # A project with nothing in it, so that only the venv's distributions are bundled.
        stub = fresh_dir(ctx.work / "stubs" / app.name)
        (stub / "pyproject.toml").write_text(
            f'[project]\nname = "{app.name}-bench"\nversion = "0"\n', encoding="utf-8"
        )
        target = [str(stub), "-e", console_entry(venv_python, app.script)]
        cmd = [*ctx.tools.bundle, "build", *target, *flag, "--python", str(venv_python)]
        cmd += ["-o", str(out), "-q"]
        for _ in range(runs):
            built.cold.append(timed_run(cmd, env=ctx.env(), cwd=ctx.work))
        built.path = out
    except BenchError as exc:
        built.error = str(exc)
    return built


def build_shiv(ctx: BuildContext, app: App, out: Path, runs: int) -> Built:
    """shiv: pip-installs into a temporary site-packages and zips it (no build cache)."""
    built = Built(how="shiv -c SCRIPT --no-index --find-links WHEELHOUSE")
    cmd = [
        str(ctx.tools.shiv),
        "-c",
        app.script,
        "-o",
        str(out),
        "--python",
        "/usr/bin/env python3",
    ]
    cmd += [*ctx.index_args, *_sources(app)]
    try:
        for _ in range(runs):
            wall, cpu = timed_with_cpu(cmd, env=ctx.env(), cwd=ctx.work)
            built.cold.append(wall)
            built.cold_cpu.append(cpu)
        built.path = out
    except BenchError as exc:
        built.error = str(exc)
    return built


def timed_with_cpu(
    command: Sequence[str | os.PathLike[str]], env: dict[str, str], cwd: Path
) -> tuple[float, float]:
    """Wall-clock seconds of ``command``, and CPU seconds (user+sys) of it and its children:
    steadier than wall time on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run(command, env=env, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def build_pex(
    ctx: BuildContext,
    app: App,
    out: Path,
    cold: int,
    warm: int,
    *,
    venv_mode: bool = False,
) -> Built:
    """pex (default zipapp layout, or ``--venv --sh-boot``); cold builds start without PEX_ROOT."""
    extra = ["--venv", "--sh-boot"] if venv_mode else []
    built = Built(how=f"pex {' '.join(extra)} -c SCRIPT --no-pypi -f WHEELHOUSE".replace("  ", " "))
    cmd = [str(ctx.tools.pex), "-c", app.script, "-o", str(out), *extra]
    cmd += ["--no-pypi", "-f", str(ctx.wheelhouse), *_sources(app)]
    root = ctx.work / "pex-build-root"
    try:
        for _ in range(cold):
            remove(root)
            built.cold.append(timed_run(cmd, env=ctx.env(PEX_ROOT=root), cwd=ctx.work))
        for _ in range(warm):
            built.warm.append(timed_run(cmd, env=ctx.env(PEX_ROOT=root), cwd=ctx.work))
        built.path = out
    except BenchError as exc:
        built.error = str(exc)
    return built


def log_built(app: App, name: str, built: Built) -> None:
    """One progress line about a build."""
    if built.error:
        first = built.error.splitlines()[0]
        log(f"{app.name}: {name} build FAILED: {first}")
    else:
        times = ", ".join(f"{t:.2f}" for t in built.cold + built.warm)
        log(f"{app.name}: {name} built ({built.size} bytes; {times} s)")
