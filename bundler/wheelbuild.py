"""Build the project's wheel with ``build`` (PEP 517), for the target interpreter.

``build``'s own isolated environment always uses the interpreter running it; a project with
compiled code must be built by the interpreter the archive is for. So the isolated
environment here is a virtual environment of the target, filled by pip with the project's
``build-system.requires``, and ``build.ProjectBuilder`` runs the backend's hooks in it.
Without isolation the hooks run in the target interpreter's own environment.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import build
import pyproject_hooks

from bundler.errors import StagingError
from bundler.pipinstall import IndexOptions, install_into_environment
from bundler.toolrun import ToolOutput, relevant_tail, run_tool, summary_line

__all__ = ["build_project_wheel", "file_digest", "source_fingerprint", "wheel_digest"]

# Directories that never hold a project's sources: version control, virtual environments,
# caches, and what builds write. Names starting with "." are skipped as well.
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})
# Skipped only at the top of the project: where setuptools and build put their output.
_SKIPPED_TOP_DIRS = frozenset({"build", "dist"})
# Files that tools rewrite without changing the sources (coverage data, Finder's notes).
_SKIPPED_FILES = (".coverage", ".DS_Store")

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


def source_fingerprint(project_dir: Path, ignore: Collection[Path] = ()) -> str:
    """A hash of every source file of the project (names and contents).

    What a build backend may read is not knowable in advance, so every file counts except
    hidden directories (version control, caches), virtual environments, ``build/``,
    ``dist/``, ``*.egg-info``, coverage data and the paths in ``ignore`` (such as the
    archive being written into the project).
    """
    skipped = {os.path.abspath(path) for path in ignore}
    digest = hashlib.sha256()
    for path in _source_files(project_dir.resolve(), skipped):
        relative = path.relative_to(project_dir.resolve()).as_posix()
        digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
        if path.is_symlink():
            digest.update(b"link:" + os.readlink(path).encode("utf-8", "surrogateescape"))
        else:
            digest.update(file_digest(path).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def wheel_digest(wheel: Path) -> str:
    """A hash of a wheel's members and their contents, blind to zip timestamps and order.

    Two builds of unchanged sources give the same digest even with a backend that stamps
    each build with the time.
    """
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith("/"):
                    continue
                content = hashlib.sha256(archive.read(name)).digest()
                digest.update(name.encode() + b"\0" + base64.b64encode(content) + b"\n")
    except (OSError, zipfile.BadZipFile) as exc:
        raise StagingError(
            f"the build backend wrote an unreadable wheel {wheel.name}: {exc}"
        ) from None
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's contents, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _source_files(root: Path, skipped: set[str]) -> Iterator[Path]:
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        subdirs[:] = sorted(
            name
            for name in subdirs
            if not _is_skipped_dir(here / name, top=here == root)
            and os.path.abspath(here / name) not in skipped
        )
        for name in sorted(files):
            path = here / name
            if (
                os.path.abspath(path) not in skipped
                and not name.endswith((".pyc", ".pyo"))
                and not name.startswith(_SKIPPED_FILES)
            ):
                yield path


def _is_skipped_dir(path: Path, *, top: bool) -> bool:
    name = path.name
    return (
        name.startswith(".")
        or name in _SKIPPED_DIRS
        or name.endswith(".egg-info")
        or (top and name in _SKIPPED_TOP_DIRS)
        or (path / "pyvenv.cfg").is_file()  # a virtual environment kept in the project
        or path.is_symlink()
    )


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
