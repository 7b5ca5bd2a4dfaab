"""The project's wheel, or only its metadata, made by its build backend and cached under a
key of everything the backend reads: the project's files (through links, as walked by
``bundler.project``), its VCS state when the version comes from there, the environment
variables backends obey, the build options, where pip looks and the target interpreter."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from bundler.caches.build import cached_entry
from bundler.config import Config
from bundler.environment import Interpreter
from bundler.errors import StagingError
from bundler.project import ProjectTree
from bundler.staging.buildenv import BuildEnvironments
from bundler.staging.keys import (
    hash_key,
    index_identity,
    interpreter_identity,
    tree_fingerprint,
    wheel_digest,
)
from bundler.staging.pip import IndexOptions
from bundler.staging.tools import ToolSettings
from bundler.staging.vcs import backend_environment, vcs_identity, version_from_vcs
from bundler.staging.wheel import BackendJob, build_project_wheel, prepare_project_metadata

__all__ = ["Backend", "BuiltWheel", "project_metadata", "project_wheel"]

Say = Callable[[str], None]


@dataclass(frozen=True)
class Backend:
    """Everything a backend run needs, and where its results are cached."""

    config: Config
    tree: ProjectTree
    interpreter: Interpreter
    index: IndexOptions
    settings: ToolSettings
    cache: Path
    isolation: bool
    refresh: bool
    progress: Say
    status: Say

    def job(self) -> BackendJob:
        """How to run the backend, with build environments kept in the cache."""
        environments = BuildEnvironments(
            python=self.interpreter.executable,
            index=self.index,
            settings=self.settings,
            area=self.cache / "build-envs",
            refresh=self.refresh,
            interpreter=interpreter_identity(self.interpreter),
        )
        return BackendJob(
            self.interpreter.executable,
            self.isolation,
            environments,
            self.settings,
            self.progress,
        )

    def key(self, what: str) -> str:
        """The key of a ``what`` ("wheel", "metadata") made from these sources."""
        project_dir = self.config.project_dir
        vcs = vcs_identity(project_dir) if version_from_vcs(project_dir) else None
        facts = {
            what: tree_fingerprint(self.tree),
            "vcs": vcs,
            "backend-environment": backend_environment(),
            "build-isolation": self.isolation,
            "index": index_identity(self.index),
            "interpreter": interpreter_identity(self.interpreter),
        }
        key = hash_key(facts)
        self.progress(f"project {what} key {key[:16]}" + (" (with its git state)" if vcs else ""))
        return key


@dataclass(frozen=True)
class BuiltWheel:
    """The project's wheel in the build cache, and whether the backend just made it."""

    path: Path
    project: str
    digest: str
    built: bool


@contextlib.contextmanager
def project_wheel(backend: Backend) -> Iterator[BuiltWheel]:
    """The project's wheel, built by its backend unless the cache has it."""
    config = backend.config

    def build_into(directory: Path) -> dict[str, Any]:
        backend.status(f"building the wheel of {config.project_dir.name}")
        made = build_project_wheel(config.project_dir, directory, backend.job())
        _report_warnings(backend, made.warnings)
        path = made.path
        return {"wheel": path.name, "digest": wheel_digest(path), "project": _wheel_name(path)}

    with _entry(backend, "wheels", backend.key("wheel"), build_into) as info:
        yield BuiltWheel(
            path=info.path / str(info.info["wheel"]),
            project=str(info.info["project"]),
            digest=str(info.info["digest"]),
            built=not info.reused,
        )


@contextlib.contextmanager
def project_metadata(backend: Backend) -> Iterator[Path]:
    """The project's ``.dist-info`` as its backend prepares it (for ``--no-install``)."""
    config = backend.config

    def prepare_into(directory: Path) -> dict[str, Any]:
        backend.status(f"asking the build backend of {config.project_dir.name} for its metadata")
        made = prepare_project_metadata(config.project_dir, directory / "site", backend.job())
        _report_warnings(backend, made.warnings)
        return {"dist-info": made.path.name}

    with _entry(backend, "metadata", backend.key("metadata"), prepare_into) as info:
        yield info.path / "site" / str(info.info["dist-info"])


@contextlib.contextmanager
def _entry(
    backend: Backend, area: str, key: str, fill: Callable[[Path], Mapping[str, Any]]
) -> Iterator[Any]:
    with cached_entry(backend.cache / area, key, fill, refresh=backend.refresh) as entry:
        if entry.repaired:
            backend.status(f"warning: {entry.path} was left incomplete; rebuilt it")
        yield entry


def _report_warnings(backend: Backend, warnings: tuple[str, ...]) -> None:
    """The backend's warnings: all of them with -v, else the first line of the first."""
    if not warnings:
        return
    if backend.settings.verbose:
        for text in warnings:
            backend.status(f"warning from the build backend: {text}")
        return
    first = warnings[0].splitlines()[0].strip()
    more = f"and {len(warnings) - 1} more; " if len(warnings) > 1 else ""
    backend.status(f"warning: the build backend warned: {first} ({more}-v shows them)")


def _wheel_name(path: Path) -> str:
    try:
        return str(parse_wheel_filename(path.name)[0])
    except InvalidWheelFilename:
        raise StagingError(
            f"the build backend wrote a wheel with an invalid name: {path.name}"
        ) from None
