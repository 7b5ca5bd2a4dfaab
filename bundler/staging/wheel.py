"""Build the project's wheel (or only its metadata) with ``build`` (PEP 517), for the target
interpreter.

``build``'s own isolated environment always uses the interpreter running it; a project with
compiled code must be built by the interpreter the archive is for. So the isolated
environment here is a virtual environment of the target, filled by pip with the project's
``build-system.requires`` (``buildenv``), and ``build.ProjectBuilder`` runs the backend's
hooks in it. Without isolation the hooks run in the target interpreter's own environment.

Warnings the backend raises (setuptools' deprecations) come back from its subprocess; they
are collected and handed to the caller, which shows them as ``-q``/``-v`` say.
"""

from __future__ import annotations

import contextlib
import subprocess
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import build
import pyproject_hooks

from bundler.errors import BundleError, StagingError
from bundler.staging.buildenv import BuildEnvironments
from bundler.staging.reasons import backend_reason
from bundler.staging.tools import ToolOutput, ToolSettings, relevant_tail, run_tool

__all__ = ["BackendJob", "BackendResult", "build_project_wheel", "prepare_project_metadata"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class BackendJob:
    """How the backend runs: for which interpreter, isolated or not, in which environments."""

    python: str
    isolation: bool
    environments: BuildEnvironments
    settings: ToolSettings
    progress: Callable[[str], None]


@dataclass(frozen=True)
class BackendResult:
    """What a hook made (a wheel, a ``.dist-info`` directory) and the warnings it raised."""

    path: Path
    warnings: tuple[str, ...] = ()


def build_project_wheel(project_dir: Path, output_dir: Path, job: BackendJob) -> BackendResult:
    """Build the wheel of the project in ``project_dir`` into ``output_dir``."""
    return _run_hook(project_dir, job, lambda builder: builder.build("wheel", output_dir))


def prepare_project_metadata(project_dir: Path, output_dir: Path, job: BackendJob) -> BackendResult:
    """The project's ``.dist-info`` as the backend's ``prepare_metadata_for_build_wheel``
    makes it (or, for a backend without that hook, from a wheel it builds)."""
    return _run_hook(project_dir, job, lambda builder: builder.metadata_path(output_dir))


def _run_hook(
    project_dir: Path, job: BackendJob, hook: Callable[[build.ProjectBuilder], str]
) -> BackendResult:
    runner = _BackendRunner(job.settings)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _builder(project_dir, job, runner) as builder:
            job.progress("running the build backend")
            made = _call(runner, job.isolation, lambda: hook(builder))
    said = tuple(
        str(warning.message).strip()
        for warning in caught
        if issubclass(warning.category, pyproject_hooks.BuildBackendWarning)
    )
    return BackendResult(Path(made), said)


@contextlib.contextmanager
def _builder(
    project_dir: Path, job: BackendJob, runner: _BackendRunner
) -> Iterator[build.ProjectBuilder]:
    """``build.ProjectBuilder`` in an environment with the backend's requirements: those
    of ``build-system.requires``, plus any the backend asks for (a second environment)."""
    plain = _project(lambda: build.ProjectBuilder(project_dir, job.python, runner))
    if not job.isolation:
        yield plain
        return
    requires = sorted(plain.build_system_requires)
    job.progress(f"build requirements: {', '.join(requires) or 'none'}")
    with job.environments.enter(requires) as env:
        builder = _project(lambda: build.ProjectBuilder.from_isolated_env(env, project_dir, runner))
        asked = _call(runner, True, lambda: builder.get_requires_for_build("wheel"))
        extra = sorted(asked - set(requires))
        if not extra:
            yield builder
            return
    job.progress(f"the backend also asked for: {', '.join(extra)}")
    with job.environments.enter(sorted({*requires, *extra})) as env:
        yield _project(lambda: build.ProjectBuilder.from_isolated_env(env, project_dir, runner))


class _BackendRunner:
    """Runs the backend's hook subprocesses quietly and keeps the output of the last one."""

    def __init__(self, settings: ToolSettings) -> None:
        self.settings = settings
        self.last = ToolOutput(0, ())

    def __call__(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        self.last = run_tool(
            cmd,
            settings=self.settings,
            what="the build backend",
            env=extra_environ,
            cwd=Path(cwd) if cwd else None,
        )
        if not self.last.ok:
            raise subprocess.CalledProcessError(self.last.returncode, list(cmd))


def _project(make: Callable[[], build.ProjectBuilder]) -> build.ProjectBuilder:
    try:
        return make()
    except build.BuildException as exc:
        raise StagingError(f"cannot build the project: {exc}") from None


def _call(runner: _BackendRunner, isolation: bool, hook: Callable[[], _T]) -> _T:
    try:
        return hook()
    except build.BuildBackendException as exc:
        if isinstance(exc.exception, BundleError):
            raise exc.exception from None  # a timeout, already one line
        raise _backend_error(exc, runner, isolation) from None
    except build.BuildException as exc:
        raise StagingError(f"cannot build the project's wheel: {exc}") from None


def _backend_error(
    exc: build.BuildBackendException, runner: _BackendRunner, isolation: bool
) -> StagingError:
    output = runner.last
    details = () if runner.settings.verbose else relevant_tail(output.lines)  # -v showed it
    cause = exc.exception
    if isinstance(cause, pyproject_hooks.BackendUnavailable):
        backend = cause.backend_name or "the build backend"
        fix = (
            "check build-system.requires and build-backend in pyproject.toml"
            if isolation
            else "install the project's build requirements for the target interpreter, "
            "or drop --no-build-isolation"
        )
        last = backend_reason(cause.traceback.splitlines()) if cause.traceback else "not importable"
        return StagingError(f"cannot import {backend}: {last}; {fix}", details=details)
    if isinstance(cause, subprocess.CalledProcessError):
        return StagingError(
            f"the build backend failed to build the project's wheel: "
            f"{backend_reason(output.lines)}; fix the error above (-v shows all of the "
            "backend's output)",
            details=details,
        )
    return StagingError(f"the build backend failed: {exc}", details=details)
