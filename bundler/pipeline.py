"""The pipeline in one function: config -> environment (staging) -> resolver -> payload ->
archive."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from bundler.archive import ArchiveInfo, ArchiveResult, check_output_path, write_archive
from bundler.archive.header import SH_SHEBANG, interpreter_commands
from bundler.config import DEFAULT_SHEBANG, Config, ProjectMetadata
from bundler.entrypoint import EntryPoint, check_entry_point, choose_entry_point
from bundler.environment import (
    Distribution,
    Environment,
    Interpreter,
    query_interpreter,
    staged_environment,
)
from bundler.errors import ResolveError
from bundler.guards import (
    check_configured_entry,
    check_entry_not_excluded,
    check_excludes_matter,
    check_includes_exist,
    output_directory,
)
from bundler.interpreters import find_interpreter
from bundler.misses import is_ignored
from bundler.plan.distributions import Scope
from bundler.plan.extraction import ExtractionPlan, plan_extraction
from bundler.plan.payload import Payload, file_size, plan_payload
from bundler.plan.pythons import PythonRange, python_range
from bundler.plan.unsafe import Overrides
from bundler.progress import Progress, human_size, quiet_progress
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
    shebang: str = DEFAULT_SHEBANG
    pythons: PythonRange = dataclasses.field(default_factory=PythonRange)
    # With --no-install: bundled distributions the project does not declare, and why.
    undeclared: tuple[Undeclared, ...] = ()


def build(
    config: Config, progress: Progress | None = None, *, verbose: bool = False
) -> BuildResult:
    """Build ``config.output`` from the project (or the distributions) ``config`` describes.

    ``progress`` is told each step that may be slow (building the wheel, pip, resolving,
    planning, writing) and the details ``-v`` shows; ``verbose`` echoes pip's and the
    backend's output. A missing output directory is created, and removed if the build fails.
    """
    shown = progress or quiet_progress()
    with output_directory(config.output):
        check_output_path(config.output, force=config.force)
        check_entry_point(config)
        check_configured_entry(config)
        tree = _project_tree(config)
        python = find_interpreter(config.python)
        shown.detail(f"inspecting {python or 'the current interpreter'}")
        interpreter = query_interpreter(python)
        with _environment(config, interpreter, tree, shown, verbose) as (env, staging):
            entry = choose_entry_point(config, env)
            check_entry_not_excluded(entry, config.exclude)
            check_includes_exist(config, env)
            graph = _resolve(config, entry, env, shown)
            check_excludes_matter(config, env, graph)
            undeclared = undeclared_distributions(graph, env)
            for item in undeclared:
                shown.warn(item.describe())
            app = _app_metadata(config, env, graph)
            shown.step("planning the archive: native code, files read by path")
            payload = plan_payload(graph, env, app, _scope(config, staging))
            overrides = Overrides(extract=config.extract, zip_safe=config.zip_safe)
            extraction = plan_extraction(graph, payload, env, overrides)
            pythons = python_range(graph, env, payload, extraction.native, extraction.fallbacks)
            launcher = _launcher(config, pythons, interpreter)
            shebang = SH_SHEBANG if launcher else config.shebang
            info = _archive_info(config, app, entry, shebang, pythons, launcher)
            shown.step(f"writing {config.output} ({_payload_size(payload)})")
            archive = write_archive(payload, info, config.output, extraction, force=config.force)
            shown.done(human_size(archive.size))
    return BuildResult(
        entry, env, graph, payload, archive, staging, extraction, info.shebang, pythons, undeclared
    )


def _launcher(config: Config, pythons: PythonRange, interpreter: Interpreter) -> tuple[str, ...]:
    """The Pythons the archive's /bin/sh header tries, unless a shebang was chosen."""
    if config.shebang_given:
        return ()
    return interpreter_commands(pythons.minors, interpreter.version[1])


def _archive_info(
    config: Config,
    app: ProjectMetadata,
    entry: EntryPoint,
    shebang: str,
    pythons: PythonRange,
    launcher: tuple[str, ...] = (),
) -> ArchiveInfo:
    return ArchiveInfo(
        name=app.name,
        version=app.version,
        entry_module=entry.module,
        entry_function=entry.function,
        requires_python=app.requires_python,
        shebang=shebang,
        inherit_path=config.inherit_path,
        compile=config.compile,
        pythons=pythons.index_table(),
        python_range=pythons.describe(),
        extract=config.extract,
        zip_safe=config.zip_safe,
        prune=config.prune,
        launcher=launcher,
    )


def _scope(config: Config, staging: Staging | None) -> Scope:
    """Every installed distribution, unless --prune; without an install, what is reached
    and what it declares (the interpreter's environment holds much more than the app)."""
    if config.prune:
        return Scope.REACHED
    return Scope.ALL if staging is not None else Scope.DECLARED


def _resolve(config: Config, entry: EntryPoint, env: Environment, shown: Progress) -> Graph:
    shown.step(f"resolving imports from {entry}")
    graph = resolve_imports(
        entry, env, config.source_root, include=config.include, exclude=config.exclude
    )
    if config.ignore_missing:
        kept = (m for m in graph.missing if not is_ignored(m.name, config.ignore_missing))
        graph = dataclasses.replace(graph, missing=tuple(kept))
    shown.done(f"{len(list(graph.bundled()))} modules to bundle")
    required = [m for m in graph.missing if not m.optional]
    if config.strict and required:
        more = f" and {len(required) - 1} more" if len(required) > 1 else ""
        raise ResolveError(
            f"{required[0].describe()}{more}; install it, --exclude it, or drop --strict"
        )
    return graph


def _payload_size(payload: Payload) -> str:
    size = 0
    for source in payload.files.values():
        with contextlib.suppress(OSError):  # the writer names a file that vanished
            size += file_size(source)
    return f"{len(payload.files)} files, {human_size(size)}"


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
    shown: Progress,
    verbose: bool,
) -> Iterator[tuple[Environment, Staging | None]]:
    """The staging directories (default), or with --no-install the interpreter's
    environment."""

    def status(message: str) -> None:
        # Staging says "warning: ..." through the same callback as its slow steps.
        if message.startswith("warning: "):
            shown.warn(message[len("warning: ") :])
        else:
            shown.step(message)

    if config.install is None:
        with unstaged_environment(
            config, interpreter, tree, verbose=verbose, progress=shown.detail, status=status
        ) as env:
            yield env, None
        return
    with stage(
        config, interpreter, tree=tree, verbose=verbose, progress=shown.detail, status=status
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
