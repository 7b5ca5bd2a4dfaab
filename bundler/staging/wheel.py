"""Build the project's wheel with ``build`` (PEP 517), for the target interpreter.

``build``'s own isolated environment always uses the interpreter running it; a project with
compiled code must be built by the interpreter the archive is for. So the isolated
environment here is a virtual environment of the target, filled by pip with the project's
``build-system.requires``, and ``build.ProjectBuilder`` runs the backend's hooks in it.
Without isolation the hooks run in the target interpreter's own environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import build
import pyproject_hooks

from bundler.errors import StagingError
from bundler.staging.pip import IndexOptions, install_into_environment
from bundler.staging.tools import ToolOutput, relevant_tail, run_tool, summary_line

__all__ = ["build_project_wheel"]

_T = TypeVar("_T")


def build_project_wheel(
    project_dir: Path,
    output_dir: Path,
    *,
    python: str,
    isolation: bool,
    index: IndexOptions,
    verbose: bool,
    progress: Callable[[str], None],
) -> Path:
    """Build the wheel of the project in ``project_dir`` into ``output_dir``; return its path."""
    runner = _BackendRunner(verbose)
    with tempfile.TemporaryDirectory(prefix="bundle-build-env-") as scratch:
        if isolation:
            env = _TargetVenv.create(Path(scratch) / "env", python, verbose)
            builder = _builder(
                lambda: build.ProjectBuilder.from_isolated_env(env, project_dir, runner)
            )
            requires = sorted(builder.build_system_requires)
            progress(f"installing build requirements: {', '.join(requires) or 'none'}")
            _install(env, requires, index, verbose, "the project's build requirements")
            extra = sorted(
                _call(runner, isolation, lambda: builder.get_requires_for_build("wheel"))
            )
            if extra:
                progress(f"installing what the backend asked for: {', '.join(extra)}")
                _install(env, extra, index, verbose, "the build backend's extra requirements")
        else:
            builder = _builder(lambda: build.ProjectBuilder(project_dir, python, runner))
        progress("building the wheel")
        built = _call(runner, isolation, lambda: builder.build("wheel", output_dir))
    return Path(built)


@dataclass(frozen=True)
class _TargetVenv:
    """A virtual environment of the target interpreter: ``build``'s ``IsolatedEnv`` protocol."""

    path: Path
    python_executable: str

    @classmethod
    def create(cls, path: Path, python: str, verbose: bool) -> _TargetVenv:
        output = run_tool([python, "-m", "venv", "--without-pip", str(path)], verbose=verbose)
        if not output.ok:
            raise StagingError(
                f"cannot create a build environment with {python}: {summary_line(output.lines)}; "
                "check that its venv module works, or build with --no-build-isolation",
                details=relevant_tail(output.lines),
            )
        scripts = path / ("Scripts" if sys.platform == "win32" else "bin")
        name = "python.exe" if sys.platform == "win32" else "python"
        return cls(path, str(scripts / name))

    def make_extra_environ(self) -> Mapping[str, str]:
        """The backend runs with the environment's scripts first on PATH, no PYTHONPATH."""
        scripts = str(Path(self.python_executable).parent)
        path = os.environ.get("PATH")
        return {"PATH": f"{scripts}{os.pathsep}{path}" if path else scripts, "PYTHONPATH": ""}


class _BackendRunner:
    """Runs the backend's hook subprocesses quietly and keeps the output of the last one."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.last = ToolOutput(0, ())

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        self.last = run_tool(
            cmd, verbose=self.verbose, env=extra_environ, cwd=Path(cwd) if cwd else None
        )
        if not self.last.ok:
            raise subprocess.CalledProcessError(self.last.returncode, list(cmd))


def _builder(make: Callable[[], build.ProjectBuilder]) -> build.ProjectBuilder:
    try:
        return make()
    except build.BuildException as exc:
        raise StagingError(f"cannot build the project: {exc}") from None


def _install(
    env: _TargetVenv, requirements: Sequence[str], index: IndexOptions, verbose: bool, what: str
) -> None:
    if requirements:
        install_into_environment(
            env.python_executable, requirements, index=index, verbose=verbose, what=what
        )


def _call(runner: _BackendRunner, isolation: bool, hook: Callable[[], _T]) -> _T:
    try:
        return hook()
    except build.BuildBackendException as exc:
        raise _backend_error(exc, runner, isolation) from None
    except build.BuildException as exc:
        raise StagingError(f"cannot build the project's wheel: {exc}") from None


def _backend_error(
    exc: build.BuildBackendException, runner: _BackendRunner, isolation: bool
) -> StagingError:
    output = runner.last
    details = () if runner.verbose else relevant_tail(output.lines)  # -v showed it all
    cause = exc.exception
    if isinstance(cause, pyproject_hooks.BackendUnavailable):
        backend = cause.backend_name or "the build backend"
        fix = (
            "check build-system.requires and build-backend in pyproject.toml"
            if isolation
            else "install the project's build requirements for the target interpreter, "
            "or drop --no-build-isolation"
        )
        last = summary_line(cause.traceback.splitlines()) if cause.traceback else "not importable"
        return StagingError(f"cannot import {backend}: {last}; {fix}", details=details)
    if isinstance(cause, subprocess.CalledProcessError):
        return StagingError(
            f"the build backend failed to build the project's wheel: {summary_line(output.lines)}; "
            "fix the error above (-v shows all of the backend's output)",
            details=details,
        )
    return StagingError(f"the build backend failed: {exc}", details=details)
