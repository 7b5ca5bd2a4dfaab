"""Isolated build environments: virtual environments of the target interpreter holding a
backend's build requirements, made once per set of requirements and kept in the build cache.

Making one is most of the cost of building a wheel (a venv, then pip installing setuptools
or hatchling), so an edited project reuses the environment of its last build and pays only
for the backend itself. An environment is keyed by its requirements, where pip looks and
the interpreter; it is filled where it stays (scripts that pip writes name the venv's
path), under the entry's lock, and is used only once its marker exists.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bundler.caches.build import cached_entry
from bundler.errors import StagingError
from bundler.staging.keys import hash_key, index_identity
from bundler.staging.pip import IndexOptions, install_into_environment
from bundler.staging.reasons import backend_reason
from bundler.staging.tools import ToolSettings, relevant_tail, run_tool
from bundler.staging.uv import UvRun, uv_install_into_environment

__all__ = ["BuildEnvironments", "TargetVenv"]


@dataclass(frozen=True)
class TargetVenv:
    """A virtual environment of the target interpreter: ``build``'s ``IsolatedEnv`` protocol."""

    path: Path
    python_executable: str

    @classmethod
    def at(cls, path: Path) -> TargetVenv:
        """The environment whose directory is ``path``."""
        scripts = path / ("Scripts" if sys.platform == "win32" else "bin")
        name = "python.exe" if sys.platform == "win32" else "python"
        return cls(path, str(scripts / name))

    def make_extra_environ(self) -> Mapping[str, str]:
        """The backend runs with the environment's scripts first on PATH, no PYTHONPATH."""
        scripts = str(Path(self.python_executable).parent)
        path = os.environ.get("PATH")
        return {"PATH": f"{scripts}{os.pathsep}{path}" if path else scripts, "PYTHONPATH": ""}


@dataclass(frozen=True)
class BuildEnvironments:
    """Where build environments come from: the cache ``area`` (None: a new one each time,
    in the build's scratch directory), for the interpreter ``python``."""

    python: str
    index: IndexOptions
    settings: ToolSettings
    area: Path | None = None
    refresh: bool = False  # --no-cache: make them again
    interpreter: Mapping[str, Any] = field(default_factory=dict)  # its identity, for keys

    @contextlib.contextmanager
    def enter(self, requires: Sequence[str]) -> Iterator[TargetVenv]:
        """An environment with ``requires`` installed, for as long as the block runs."""
        if self.area is None:
            with tempfile.TemporaryDirectory(
                prefix="bundle-build-env-", dir=self.settings.temp_dir
            ) as scratch:
                yield self._create(Path(scratch), requires)
            return
        facts = {
            "build-environment": sorted(requires),
            "executable": self.python,
            "index": index_identity(self.index),
            "interpreter": dict(self.interpreter),
        }

        def fill(directory: Path) -> dict[str, Any]:
            self._create(directory, requires)
            return {"requires": sorted(requires)}

        key = hash_key(facts)
        with cached_entry(self.area, key, fill, refresh=self.refresh, in_place=True) as entry:
            yield TargetVenv.at(entry.path / "env")

    def _create(self, directory: Path, requires: Sequence[str]) -> TargetVenv:
        path = directory / "env"
        command = [self.python, "-m", "venv", "--without-pip", str(path)]
        output = run_tool(command, settings=self.settings, what="creating a build environment")
        if not output.ok:
            raise StagingError(
                f"cannot create a build environment with {self.python}: "
                f"{backend_reason(output.lines)}; check that its venv module works, or build "
                "with --no-build-isolation",
                details=relevant_tail(output.lines),
            )
        venv = TargetVenv.at(path)
        what = "the project's build requirements"
        if requires and self.index.installer == "uv":
            run = UvRun(venv.python_executable, self.index, self.settings, what)
            uv_install_into_environment(requires, run)
        elif requires:
            install_into_environment(
                venv.python_executable,
                requires,
                index=self.index,
                settings=self.settings,
                what=what,
            )
        return venv
