"""The staging stage: the project's wheel and its requirements, installed by pip into a
private directory for the target interpreter, and cached.

Two cache areas, each keyed by everything that decides its contents:

    <cache>/wheels/<key>/    the project's wheel; key: a hash of the project's source
                             files, the build options and the target interpreter
    <cache>/staging/<key>/   ``site/``, what ``pip install --target`` made; key: the wheel's
                             contents, the requirements and constraints (their files'
                             contents), the index options and the target interpreter

A rebuild with nothing changed finds both entries and runs neither the build backend nor
pip. Keying the wheel by its sources, not by its bytes, is what lets the build be skipped.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from bundler.caches.build import build_cache_root, cached_entry
from bundler.config import Config, InstallOptions
from bundler.environment import Interpreter
from bundler.errors import StagingError
from bundler.staging.keys import (
    file_identity,
    hash_key,
    index_identity,
    interpreter_identity,
    requirement_identity,
    source_fingerprint,
    wheel_digest,
)
from bundler.staging.pip import IndexOptions, install_into_directory
from bundler.staging.wheel import build_project_wheel

__all__ = ["Staging", "stage"]

Say = Callable[[str], None]


@dataclass(frozen=True)
class Staging:
    """The directory a build resolves imports against, and how it came to be."""

    site_dir: Path
    project: str | None  # the project's distribution name, from its wheel
    wheel: str | None  # the file name of the project's wheel
    wheel_built: bool  # the build backend ran (else the wheel came from the cache)
    installed: bool  # pip ran (else the staging directory came from the cache)
    seconds: float

    @property
    def reused(self) -> bool:
        """Everything came from the cache: neither the build backend nor pip ran."""
        return not (self.wheel_built or self.installed)


@dataclass(frozen=True)
class _Wheel:
    path: Path
    project: str
    digest: str
    built: bool


@contextlib.contextmanager
def stage(
    config: Config,
    interpreter: Interpreter,
    *,
    verbose: bool = False,
    progress: Say = lambda _: None,
    status: Say = lambda _: None,
) -> Iterator[Staging]:
    """Build the project's wheel, install it and the requirements, and yield the result.

    The staging directory stays locked (shared) until the block ends, so a concurrent
    ``--no-cache`` build cannot replace it while this build reads it.
    """
    options = config.install
    if options is None:
        raise ValueError("stage() needs install options; the build was asked for --no-install")
    started = time.monotonic()
    root = build_cache_root()
    index = IndexOptions(options.find_links, options.no_index)
    context = _Context(config, options, interpreter, index, verbose, progress, status)
    with contextlib.ExitStack() as stack:
        wheel = stack.enter_context(_project_wheel(context, root)) if config.has_project else None
        key = _staging_key(context, wheel)
        progress(f"staging key {key[:16]}")
        entry = stack.enter_context(
            cached_entry(
                root / "staging",
                key,
                lambda directory: _install(context, wheel, directory),
                refresh=not options.use_cache,
            )
        )
        if entry.repaired:
            status(f"warning: {entry.path} was left incomplete by an interrupted build; redone")
        yield Staging(
            site_dir=entry.path / "site",
            project=wheel.project if wheel else None,
            wheel=wheel.path.name if wheel else None,
            wheel_built=bool(wheel and wheel.built),
            installed=not entry.reused,
            seconds=time.monotonic() - started,
        )


@dataclass(frozen=True)
class _Context:
    config: Config
    options: InstallOptions
    interpreter: Interpreter
    index: IndexOptions
    verbose: bool
    progress: Say
    status: Say


@contextlib.contextmanager
def _project_wheel(context: _Context, root: Path) -> Iterator[_Wheel]:
    config, options = context.config, context.options
    key = hash_key(
        {
            "sources": source_fingerprint(config.project_dir, ignore=[config.output]),
            "build-isolation": options.build_isolation,
            "index": index_identity(context.index),
            "interpreter": interpreter_identity(context.interpreter),
        }
    )
    context.progress(f"project wheel key {key[:16]}")

    def build_into(directory: Path) -> dict[str, Any]:
        context.status(f"building the wheel of {config.project_dir.name}")
        path = build_project_wheel(
            config.project_dir,
            directory,
            python=context.interpreter.executable,
            isolation=options.build_isolation,
            index=context.index,
            verbose=context.verbose,
            progress=context.progress,
        )
        return {"wheel": path.name, "digest": wheel_digest(path), "project": _wheel_name(path)}

    with cached_entry(root / "wheels", key, build_into, refresh=not options.use_cache) as entry:
        if entry.repaired:
            context.status(f"warning: {entry.path} was left incomplete; rebuilt it")
        yield _Wheel(
            path=entry.path / str(entry.info["wheel"]),
            project=str(entry.info["project"]),
            digest=str(entry.info["digest"]),
            built=not entry.reused,
        )


def _install(context: _Context, wheel: _Wheel | None, directory: Path) -> dict[str, Any]:
    options = context.options
    requirements = [str(wheel.path)] if wheel else []
    requirements += options.requirements
    what = _describe(wheel, options)
    context.status(f"installing {what} with pip for Python {context.interpreter.version_text}")
    install_into_directory(
        directory / "site",
        python=context.interpreter.executable,
        requirements=requirements,
        requirement_files=options.requirement_files,
        constraint_files=options.constraint_files,
        index=context.index,
        verbose=context.verbose,
        what=what,
    )
    return {
        "python": context.interpreter.executable,
        "wheel": wheel.path.name if wheel else None,
        "requirements": list(options.requirements),
    }


def _staging_key(context: _Context, wheel: _Wheel | None) -> str:
    options = context.options
    return hash_key(
        {
            "wheel": wheel.digest if wheel else None,
            "requirements": [requirement_identity(r) for r in options.requirements],
            "requirement-files": [file_identity(p) for p in options.requirement_files],
            "constraint-files": [file_identity(p) for p in options.constraint_files],
            "index": index_identity(context.index),
            "interpreter": interpreter_identity(context.interpreter),
        }
    )


def _wheel_name(path: Path) -> str:
    try:
        return str(parse_wheel_filename(path.name)[0])
    except InvalidWheelFilename:
        raise StagingError(
            f"the build backend wrote a wheel with an invalid name: {path.name}"
        ) from None


def _describe(wheel: _Wheel | None, options: InstallOptions) -> str:
    parts = ["the project"] if wheel else []
    parts += [f"'{r}'" for r in options.requirements]
    parts += [f"the requirements in {p.name}" for p in options.requirement_files]
    if len(parts) == 1:
        return f"{parts[0]} and its dependencies"
    return f"{', '.join(parts)} and their dependencies"
