"""The staging stage: the project's wheel and what it needs, installed by pip or uv (the
installer, ``--installer``) for the target interpreter into cached directories that imports
resolve against, laid out the same whichever installed them (``canonical``).

Cache areas, each entry keyed by everything that decides its contents:

    <cache>/wheels/<key>/        the project's wheel (``backend``): the project's files,
                                 VCS state, build options, interpreter
    <cache>/build-envs/<key>/    a build environment (``buildenv``): build requirements
    <cache>/dependencies/<key>/  ``site/``: the dependency set (``requirements``), installed
                                 by pip: requirement strings, files' contents, local paths'
                                 contents, index options, installer, interpreter
    <cache>/projects/<key>/      ``site/``: the project's wheel alone, ``--no-deps``: the
                                 wheel's contents, the installer and the interpreter
    <cache>/tmp/                 the scratch directory of each running build

The dependencies are keyed by what the project requires, not by its wheel, so editing a
source file rebuilds the wheel and reinstalls it alone. A rebuild with nothing changed
finds every entry and runs neither the backend nor pip.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from bundler.caches.build import BuildCacheEntry, build_cache_root, cached_entry
from bundler.config import Config, InstallOptions
from bundler.environment import Interpreter, supported_tags
from bundler.project import ProjectTree
from bundler.staging.backend import Backend, BuiltWheel, project_wheel
from bundler.staging.canonical import canonical_layout
from bundler.staging.installed import check_locked, tidy_installed
from bundler.staging.keys import hash_key, index_identity, interpreter_identity, path_identity
from bundler.staging.pip import (
    IndexOptions,
    PipRequest,
    install_into_directory,
    installed_hashes,
)
from bundler.staging.requirements import Dependencies, Target, plan_dependencies, read_wheel_info
from bundler.staging.scratch import scratch_directory
from bundler.staging.tools import ToolSettings
from bundler.staging.uv import UvRun, uv_install_into_directory

__all__ = ["Staging", "stage"]

Say = Callable[[str], None]
# How people write the implementations' names (sys.implementation.name is lowercase).
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}


@dataclass(frozen=True)
class Staging:
    """The directories a build resolves imports against, and how they came to be."""

    site_dir: Path  # the project's own (or, without a project, the dependencies')
    project: str | None  # the project's distribution name, from its wheel
    wheel: str | None  # the file name of the project's wheel
    wheel_built: bool  # the build backend ran (else the wheel came from the cache)
    installed: bool  # pip ran (else every directory came from the cache)
    seconds: float
    dependencies_installed: bool = False  # pip installed the dependency set
    extras: tuple[str, ...] = ()  # the project's extras that were installed
    # Normalised name -> SHA-256 of the file pip or uv installed it from (for the SBOM).
    hashes: Mapping[str, str] = field(default_factory=dict)
    more_site_dirs: tuple[Path, ...] = ()  # the dependencies', after the project's own
    installer: str = "pip"  # what installed (or would have): "pip" or "uv"

    @property
    def site_dirs(self) -> tuple[Path, ...]:
        """Every directory, the project's first: the order imports search them."""
        return (self.site_dir, *self.more_site_dirs)

    @property
    def reused(self) -> bool:
        """Everything came from the cache: neither the build backend nor pip ran."""
        return not (self.wheel_built or self.installed)


@dataclass(frozen=True)
class _Context:
    config: Config
    options: InstallOptions
    interpreter: Interpreter
    index: IndexOptions
    settings: ToolSettings
    cache: Path
    progress: Say
    status: Say
    identities: dict[str, Any] = field(default_factory=dict)  # path -> identity, memoised

    def identity(self, path: Path) -> Any:
        """What pip reads of a local path, computed once per build."""
        key = os.path.normpath(path)
        if key not in self.identities:
            self.identities[key] = path_identity(Path(key))
        return self.identities[key]


@contextlib.contextmanager
def stage(
    config: Config,
    interpreter: Interpreter,
    *,
    tree: ProjectTree | None = None,
    verbose: bool = False,
    progress: Say = lambda _: None,
    status: Say = lambda _: None,
    builder: Interpreter | None = None,
) -> Iterator[Staging]:
    """Build the project's wheel, install what it needs and it, and yield the result.

    ``tree`` is the project as ``bundler.project.scan_project`` walked it. The entries stay
    locked (shared) until the block ends, so a concurrent ``--no-cache`` build cannot replace
    them while this build reads them. ``builder`` builds the one wheel of several targets.
    """
    options = config.install
    if options is None:
        raise ValueError("stage() needs install options; the build was asked for --no-install")
    if config.has_project and tree is None:
        raise ValueError("stage() needs the project's tree to build its wheel")
    started, cache = time.monotonic(), build_cache_root()
    index = IndexOptions(options.find_links, options.no_index, options.installer)
    with scratch_directory(cache / "tmp") as scratch, contextlib.ExitStack() as stack:
        settings = ToolSettings(verbose, config.timeout, scratch)
        context = _Context(config, options, interpreter, index, settings, cache, progress, status)
        wheel = _wheel(context, tree, builder, stack) if tree is not None else None
        info = read_wheel_info(wheel.path) if wheel else None
        deps = plan_dependencies(config, options, info, _target(interpreter), Path.cwd())
        dependencies = None
        if not deps.empty:
            dependencies = stack.enter_context(_dependencies(context, deps))
            if deps.checked and deps.lock_name:
                check_locked(dependencies.path / "site", deps.checked, deps.lock_name)
        layer = stack.enter_context(_project_layer(context, wheel)) if wheel else None
        entries = [entry for entry in (layer, dependencies) if entry is not None]
        sites = [entry.path / "site" for entry in entries]
        yield Staging(
            site_dir=sites[0] if sites else scratch / "site",
            more_site_dirs=tuple(sites[1:]),
            project=wheel.project if wheel else None,
            wheel=wheel.path.name if wheel else None,
            wheel_built=bool(wheel and wheel.built),
            installed=any(not entry.reused for entry in entries),
            seconds=time.monotonic() - started,
            dependencies_installed=bool(dependencies and not dependencies.reused),
            extras=deps.extras,
            hashes=_hashes(dependencies),
            installer=options.installer,
        )


def _hashes(dependencies: BuildCacheEntry | None) -> dict[str, str]:
    """What pip's report said of the files it installed the dependencies from."""
    return dict(dependencies.info.get("hashes", {})) if dependencies else {}


def _backend(context: _Context, tree: ProjectTree, builder: Interpreter | None = None) -> Backend:
    return Backend(
        config=context.config,
        tree=tree,
        interpreter=builder or context.interpreter,
        index=context.index,
        settings=context.settings,
        cache=context.cache,
        isolation=context.options.build_isolation,
        refresh=not context.options.use_cache,
        progress=context.progress,
        status=context.status,
    )


def _wheel(
    context: _Context, tree: ProjectTree, builder: Interpreter | None, stack: contextlib.ExitStack
) -> BuiltWheel:
    """The project's wheel: made by ``builder`` if given, and again by the target's
    interpreter if it is not pure Python (and that interpreter is here)."""
    wheel = stack.enter_context(project_wheel(_backend(context, tree, builder)))
    if builder is not None and context.interpreter.foreign is None and not _pure(wheel.path):
        wheel = stack.enter_context(project_wheel(_backend(context, tree)))
    return wheel


def _pure(wheel: Path) -> bool:
    """Whether a wheel's tags say it runs on every Python 3 and platform."""
    try:
        tags = parse_wheel_filename(wheel.name)[3]
    except InvalidWheelFilename:
        return False
    return all(t.abi == "none" and t.platform == "any" and t.interpreter == "py3" for t in tags)


def _target(interpreter: Interpreter) -> Target:
    implementation = _IMPLEMENTATIONS.get(interpreter.implementation, interpreter.implementation)
    description = f"{implementation} {interpreter.version_text} on {interpreter.platform}"
    if interpreter.foreign is not None:
        description = f"target {interpreter.foreign.name}"
    return Target(
        markers=interpreter.markers,
        description=description,
        tags=lambda: supported_tags(interpreter),
    )


def _by(context: _Context) -> str:
    """Who installs for whom, in messages: ``pip for Python 3.12.1``, ``uv for target
    cp39-win_amd64``."""
    foreign = context.interpreter.foreign
    whom = f"target {foreign.name}" if foreign else f"Python {context.interpreter.version_text}"
    return f"{context.index.installer} for {whom}"


@contextlib.contextmanager
def _dependencies(context: _Context, deps: Dependencies) -> Iterator[BuildCacheEntry]:
    """The dependency set installed by pip, keyed by what pip reads to install it."""
    facts = {
        "requirements": list(deps.requirements),
        "lines": list(deps.lines),
        "constraints": list(deps.constraints),
        "require-hashes": deps.require_hashes,
        "locked": [list(deps.locked.hashed), list(deps.locked.unhashed)] if deps.locked else None,
        "paths": {str(p): context.identity(p) for p in sorted(set(deps.paths))},
        "index": index_identity(context.index),
        "interpreter": interpreter_identity(context.interpreter),
    }
    key = hash_key(facts)
    context.progress(f"dependencies key {key[:16]}")

    def install(directory: Path) -> dict[str, Any]:
        context.status(f"installing {deps.described} with {_by(context)}")
        hashes: dict[str, str] = {}
        scratch = context.settings.temp_dir or directory
        for number, request in enumerate(_requests(deps, scratch)):
            report = scratch / f"pip-report-{number}.json"
            request = dataclasses.replace(request, report=report)
            hashes.update(_install(context, directory / "site", request, deps.described))
            report.unlink(missing_ok=True)
        local = tidy_installed(directory / "site")
        canonical_layout(directory / "site")
        inputs = {str(path): context.identity(path) for path in local}
        return {"local-inputs": inputs, "requirements": list(deps.requirements), "hashes": hashes}

    def unchanged(info: Mapping[str, Any]) -> bool:
        inputs = info.get("local-inputs", {})
        return all(context.identity(Path(path)) == seen for path, seen in inputs.items())

    with _cached(context, "dependencies", key, install, unchanged) as entry:
        yield entry


@contextlib.contextmanager
def _project_layer(context: _Context, wheel: BuiltWheel) -> Iterator[BuildCacheEntry]:
    """The project's wheel installed alone (``--no-deps``) into a directory of its own."""
    facts = {
        "wheel": wheel.digest,
        "installer": context.index.installer,
        "interpreter": interpreter_identity(context.interpreter),
    }
    key = hash_key(facts)

    def install(directory: Path) -> dict[str, Any]:
        context.status(f"installing the project with {_by(context)}")
        request = PipRequest(requirements=(str(wheel.path),), no_deps=True)
        _install(context, directory / "site", request, "the project's wheel")
        tidy_installed(directory / "site")
        canonical_layout(directory / "site")
        return {"wheel": wheel.path.name}

    with _cached(context, "projects", key, install, lambda _: True) as entry:
        yield entry


def _requests(deps: Dependencies, scratch: Path) -> list[PipRequest]:
    """The pip runs that install ``deps``: one, or two for a lock with unhashed entries."""
    if deps.locked is not None:
        requests = []
        if deps.locked.hashed:
            # Requirement lines, not a lock: uv reads a file named pylock*.toml as one.
            lines = _write(scratch, f"{deps.lock_name or 'pylock'}.txt", deps.locked.hashed)
            requests.append(PipRequest(requirement_files=lines, no_deps=True, require_hashes=True))
        if deps.locked.unhashed:
            requests.append(PipRequest(requirements=deps.locked.unhashed, no_deps=True))
        return requests
    return [
        PipRequest(
            requirements=deps.requirements,
            requirement_files=_write(scratch, "requirements.txt", deps.lines),
            constraint_files=_write(scratch, "constraints.txt", deps.constraints),
            require_hashes=deps.require_hashes,
        )
    ]


def _write(scratch: Path, name: str, lines: tuple[str, ...]) -> tuple[Path, ...]:
    """``lines`` as a file for pip (none for no lines)."""
    if not lines:
        return ()
    path = scratch / "requirements" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return (path,)


def _install(context: _Context, site: Path, request: PipRequest, what: str) -> dict[str, str]:
    """Install ``request`` into ``site`` with the chosen installer; the SHA-256 of the files
    it installed from, when the request asks for a report."""
    python, foreign = context.interpreter.executable, context.interpreter.foreign
    if context.index.installer == "uv":
        run = UvRun(python, context.index, context.settings, what, foreign)
        return uv_install_into_directory(site, request, run)
    install_into_directory(
        site,
        request,
        python=python,
        index=context.index,
        settings=context.settings,
        what=what,
        foreign=foreign,
    )
    return installed_hashes(request.report) if request.report else {}


@contextlib.contextmanager
def _cached(
    context: _Context,
    area: str,
    key: str,
    fill: Callable[[Path], Mapping[str, Any]],
    valid: Callable[[Mapping[str, Any]], bool],
) -> Iterator[BuildCacheEntry]:
    refresh = not context.options.use_cache
    with cached_entry(context.cache / area, key, fill, refresh=refresh, valid=valid) as entry:
        if entry.repaired:
            context.status(
                f"warning: {entry.path} was left incomplete by an interrupted build; redone"
            )
        yield entry
