"""The pipeline in one function: config -> environment (staging) -> resolver -> payload ->
archive."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bundler.archive import ArchiveInfo, ArchiveResult, check_output_path, write_archive
from bundler.config import Config, ProjectMetadata
from bundler.entrypoint import EntryPoint, check_entry_point, choose_entry_point
from bundler.environment import (
    Distribution,
    Environment,
    Interpreter,
    environment_for,
    query_interpreter,
    staged_environment,
)
from bundler.errors import ResolveError
from bundler.plan.distributions import Scope
from bundler.plan.extraction import ExtractionPlan, plan_extraction
from bundler.plan.payload import Payload, plan_payload
from bundler.plan.pythons import PythonRange, python_range
from bundler.plan.unsafe import Overrides
from bundler.resolve import Graph, resolve_imports
from bundler.staging import Staging, stage

__all__ = ["BuildResult", "build"]


@dataclass(frozen=True)
class BuildResult:
    """Every stage's result, for the CLI's report."""

    entry: EntryPoint
    environment: Environment
    graph: Graph
    payload: Payload
    archive: ArchiveResult
    staging: Staging | None = None  # None with --no-install
    extraction: ExtractionPlan = dataclasses.field(default_factory=ExtractionPlan)
    pythons: PythonRange = dataclasses.field(default_factory=PythonRange)


def build(
    config: Config,
    progress: Callable[[str], None] = lambda _: None,
    status: Callable[[str], None] = lambda _: None,
    *,
    verbose: bool = False,
) -> BuildResult:
    """Build ``config.output`` from the project (or the distributions) ``config`` describes.

    ``progress`` gets details for ``-v``; ``status`` the slow steps a user should see
    (building the wheel, running pip); ``verbose`` echoes pip's and the backend's output.
    """
    check_output_path(config.output)
    check_entry_point(config)
    progress(f"inspecting {config.python or 'the current interpreter'}")
    interpreter = query_interpreter(config.python)
    with _environment(config, interpreter, progress, status, verbose) as (env, staging):
        entry = choose_entry_point(config, env)
        progress(f"resolving imports from {entry}")
        graph = resolve_imports(
            entry, env, config.source_root, include=config.include, exclude=config.exclude
        )
        required = [m for m in graph.missing if not m.optional]
        if config.strict and required:
            more = f" and {len(required) - 1} more" if len(required) > 1 else ""
            raise ResolveError(
                f"{required[0].describe()}{more}; install it, --exclude it, or drop --strict"
            )
        app = _app_metadata(config, env, graph)
        payload = plan_payload(graph, env, app, _scope(config, staging))
        overrides = Overrides(extract=config.extract, zip_safe=config.zip_safe)
        extraction = plan_extraction(graph, payload, env, overrides)
        pythons = python_range(graph, env, payload, extraction.native, extraction.fallbacks)
        progress(f"writing {config.output}")
        info = _archive_info(config, app, entry, pythons)
        archive = write_archive(payload, info, config.output, extraction)
    return BuildResult(entry, env, graph, payload, archive, staging, extraction, pythons)


@contextlib.contextmanager
def _environment(
    config: Config,
    interpreter: Interpreter,
    progress: Callable[[str], None],
    status: Callable[[str], None],
    verbose: bool,
) -> Iterator[tuple[Environment, Staging | None]]:
    """The staging directory (default), or with --no-install the interpreter's environment."""
    if config.install is None:
        extra = [config.source_root] if config.has_project else []
        yield environment_for(interpreter, extra), None
        return
    with stage(config, interpreter, verbose=verbose, progress=progress, status=status) as staging:
        yield staged_environment(interpreter, staging.site_dir, staging.project), staging


def _archive_info(
    config: Config, app: ProjectMetadata, entry: EntryPoint, pythons: PythonRange
) -> ArchiveInfo:
    return ArchiveInfo(
        name=app.name,
        version=app.version,
        entry_module=entry.module,
        entry_function=entry.function,
        requires_python=app.requires_python,
        shebang=config.shebang,
        inherit_path=config.inherit_path,
        compile=config.compile,
        pythons=pythons.index_table(),
        python_range=pythons.describe(),
        extract=config.extract,
        zip_safe=config.zip_safe,
        prune=config.prune,
    )


def _scope(config: Config, staging: Staging | None) -> Scope:
    """Every installed distribution, unless --prune; without an install, what is reached
    and what it declares (the interpreter's environment holds much more than the app)."""
    if config.prune:
        return Scope.REACHED
    return Scope.ALL if staging is not None else Scope.DECLARED


def _app_metadata(config: Config, env: Environment, graph: Graph) -> ProjectMetadata:
    """Name, version and requires-python of the app.

    The project's installed distribution knows them best (its build backend filled in
    any dynamic fields); then its [project] table; without a project, the distribution
    that holds the entry module.
    """
    installed = env.distribution(env.project) if env.project else None
    if installed is not None:
        return _metadata_from(installed, config.project)
    if config.project is not None:
        return config.project
    module = graph.modules.get(graph.entry.module)
    owner = env.owner_of(module.path) if module is not None and module.path else None
    if owner is not None:
        return _metadata_from(owner, None)
    return ProjectMetadata(name=graph.entry.module.partition(".")[0], version="0")


def _metadata_from(dist: Distribution, declared: ProjectMetadata | None) -> ProjectMetadata:
    if declared is None:
        return ProjectMetadata(dist.name, dist.version, dist.requires_python)
    return dataclasses.replace(
        declared, name=dist.name, version=dist.version, requires_python=dist.requires_python
    )
