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
    query_interpreter,
    staged_environment,
)
from bundler.errors import ResolveError
from bundler.plan.extraction import ExtractionPlan, plan_extraction
from bundler.plan.payload import Payload, plan_payload
from bundler.plan.unsafe import Overrides
from bundler.project import ProjectTree, scan_project
from bundler.resolve import Graph, resolve_imports
from bundler.scope import Undeclared, undeclared_distributions
from bundler.staging import Staging, stage, unstaged_environment

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
    # With --no-install: bundled distributions the project does not declare, and why.
    undeclared: tuple[Undeclared, ...] = ()


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
    tree = _project_tree(config)
    progress(f"inspecting {config.python or 'the current interpreter'}")
    interpreter = query_interpreter(config.python)
    with _environment(config, interpreter, tree, progress, status, verbose) as (env, staging):
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
        undeclared = undeclared_distributions(graph, env)
        for item in undeclared:
            status(f"warning: {item.describe()}")
        app = _app_metadata(config, env, graph)
        payload = plan_payload(graph, env, app)
        overrides = Overrides(extract=config.extract, zip_safe=config.zip_safe)
        extraction = plan_extraction(graph, payload, env, overrides)
        progress(f"writing {config.output}")
        info = ArchiveInfo(
            name=app.name,
            version=app.version,
            entry_module=entry.module,
            entry_function=entry.function,
            requires_python=app.requires_python,
            shebang=config.shebang,
            inherit_path=config.inherit_path,
            compile=config.compile,
        )
        archive = write_archive(payload, info, config.output, extraction)
    return BuildResult(entry, env, graph, payload, archive, staging, extraction, undeclared)


def _project_tree(config: Config) -> ProjectTree | None:
    """The project's files, checked before anything reads them (links leaving the project,
    dangling or looping are refused), in both modes."""
    if not config.has_project:
        return None
    return scan_project(
        config.project_dir, ignore=[config.output], follow_symlinks=config.follow_symlinks
    )


@contextlib.contextmanager
def _environment(
    config: Config,
    interpreter: Interpreter,
    tree: ProjectTree | None,
    progress: Callable[[str], None],
    status: Callable[[str], None],
    verbose: bool,
) -> Iterator[tuple[Environment, Staging | None]]:
    """The staging directories (default), or with --no-install the interpreter's
    environment."""
    if config.install is None:
        with unstaged_environment(
            config, interpreter, tree, verbose=verbose, progress=progress, status=status
        ) as env:
            yield env, None
        return
    with stage(
        config, interpreter, tree=tree, verbose=verbose, progress=progress, status=status
    ) as staging:
        yield staged_environment(interpreter, staging.site_dirs, staging.project), staging


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
    """The installed (or backend-prepared) metadata, which knows every dynamic field."""
    groups = dict(dist.entry_points)
    found = ProjectMetadata(
        name=dist.name,
        version=dist.version,
        requires_python=dist.requires_python,
        dependencies=dist.requires,
        scripts=groups.pop("console_scripts", {}),
        gui_scripts=groups.pop("gui_scripts", {}),
        entry_points=groups,
        summary=dist.summary,
    )
    if declared is None:
        return found
    return dataclasses.replace(
        declared,
        name=dist.name,
        version=dist.version,
        requires_python=dist.requires_python,
        summary=dist.summary or declared.summary,
    )
