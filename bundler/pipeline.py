"""The pipeline in one function: config -> staging (environment) -> resolver -> archive."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bundler.archive import ArchiveInfo, ArchiveResult, check_output_path, write_archive
from bundler.buildtargets import (
    TargetBuild,
    describe_target,
    target_info,
    target_interpreters,
    target_launcher,
    target_part,
    targets_range,
)
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
from bundler.inline import check_script_python
from bundler.misses import is_ignored
from bundler.plan.distributions import Scope
from bundler.plan.extraction import ExtractionPlan, plan_extraction
from bundler.plan.payload import Payload, file_size, plan_payload
from bundler.plan.pythons import PythonRange, python_range
from bundler.plan.unsafe import Overrides
from bundler.progress import Progress, human_size, quiet_progress
from bundler.project import ProjectTree, scan_project
from bundler.resolve import Graph, resolve_imports
from bundler.resolve.stdlib_versions import stdlib_warnings
from bundler.sbom import Sbom, attach_sbom, check_sbom_path, write_sbom
from bundler.scope import Undeclared, undeclared_distributions
from bundler.staging import Staging, stage, unstaged_environment

__all__ = ["BuildResult", "Plan", "build", "dry_run"]


@dataclass(frozen=True)
class BuildResult:
    """Every stage's result, for the CLI's report (the first target's, with several)."""

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
    sbom: Sbom | None = None  # the SBOM stored in the archive (and written by --sbom)
    # Every target the archive holds, the first being the one above; empty for one.
    targets: tuple[TargetBuild, ...] = ()


def build(
    config: Config, progress: Progress | None = None, *, verbose: bool = False
) -> BuildResult:
    """Build ``config.output`` from the project (or the distributions) ``config`` describes.

    ``progress`` is told each step that may be slow (building the wheel, pip, resolving,
    planning, writing) and the details ``-v`` shows; ``verbose`` echoes pip's and the
    backend's output. A missing output directory is created, and removed if the build fails.
    """
    shown = progress or quiet_progress()
    with output_directory(config.output), _sbom_directory(config.sbom):
        check_output_path(config.output, force=config.force)
        with _planned(config, shown, verbose) as plan:
            archive = _write(config, plan, shown)
            sbom = plan.sbom
            if config.sbom is not None and sbom is not None:
                sbom = write_sbom(sbom, config.sbom)
    return BuildResult(
        plan.entry,
        plan.environment,
        plan.graph,
        plan.payload,
        archive,
        plan.staging,
        plan.extraction,
        plan.info.shebang,
        plan.pythons,
        plan.undeclared,
        sbom,
        plan.targets if len(plan.targets) > 1 else (),
    )


@contextlib.contextmanager
def _sbom_directory(path: Path | None) -> Iterator[None]:
    """The directories above ``--sbom FILE`` made (and removed if the build fails), and
    the place checked before any slow work."""
    if path is None:
        yield
        return
    with output_directory(path):
        check_sbom_path(path)
        yield


@dataclass(frozen=True)
class Plan:
    """What a build would write (``bundle build --dry-run``): every stage but the last.
    The fields are the first target's; ``targets`` holds every target's stages."""

    entry: EntryPoint
    environment: Environment
    graph: Graph
    payload: Payload
    extraction: ExtractionPlan
    pythons: PythonRange
    info: ArchiveInfo
    staging: Staging | None
    undeclared: tuple[Undeclared, ...]
    sbom: Sbom | None
    targets: tuple[TargetBuild, ...] = ()


def dry_run(config: Config, progress: Progress | None = None, *, verbose: bool = False) -> Plan:
    """Every stage of ``build`` but writing: what would be bundled, extracted and pruned.
    The output is checked but neither written nor its directory created."""
    shown = progress or quiet_progress()
    if config.output.parent.is_dir():  # a real build would create it
        check_output_path(config.output, force=config.force)
    with _planned(config, shown, verbose) as plan:
        return plan


@contextlib.contextmanager
def _planned(config: Config, shown: Progress, verbose: bool) -> Iterator[Plan]:
    """The plan of the archive, while the environments it was made from exist (each
    target's staging stays locked until the archive is written)."""
    check_entry_point(config)
    check_configured_entry(config)
    tree = _project_tree(config)
    with contextlib.ExitStack() as stack:
        interpreters = target_interpreters(config, shown.detail)
        # Several targets: one wheel of the project, made by the interpreter running bundle.
        builder = query_interpreter(None) if len(interpreters) > 1 else None
        first = _stage_target(config, interpreters[0], tree, shown, verbose, stack, builder)
        entry = choose_entry_point(config, first.environment)
        check_entry_not_excluded(entry, config.exclude)
        builds = [_plan_target(config, entry, first, shown)]
        for interpreter in interpreters[1:]:
            staged = _stage_target(config, interpreter, tree, shown, verbose, stack, builder)
            builds.append(_plan_target(config, entry, staged, shown))
        main = builds[0]
        undeclared = undeclared_distributions(main.graph, main.environment)
        for item in undeclared:
            shown.warn(item.describe())
        gaps = stdlib_warnings(main.graph, main.app.requires_python)
        graph = dataclasses.replace(main.graph, warnings=(*main.graph.warnings, *gaps))
        launcher = target_launcher(config, builds)
        info = dataclasses.replace(
            target_info(config, entry, main, launcher),
            resolution=graph.resolution_table(),
            targets=tuple(map(describe_target, builds)),
        )
        if len(builds) > 1:  # the Pythons it holds a build for, not the first's range
            info = dataclasses.replace(info, python_range=targets_range(builds))
        parts = (entry, main.environment, graph, main.payload, main.extraction, main.pythons)
        yield Plan(*parts, info, main.staging, undeclared, main.sbom, tuple(builds))


@dataclass(frozen=True)
class _Staged:
    interpreter: Interpreter
    environment: Environment
    staging: Staging | None


def _stage_target(
    config: Config,
    interpreter: Interpreter,
    tree: ProjectTree | None,
    shown: Progress,
    verbose: bool,
    stack: contextlib.ExitStack,
    builder: Interpreter | None,
) -> _Staged:
    """The environment of one target, kept (and its staging locked) until ``stack`` ends."""
    context = _environment(config, interpreter, tree, shown, verbose, builder)
    env, staging = stack.enter_context(context)
    return _Staged(interpreter, env, staging)


def _plan_target(
    config: Config, entry: EntryPoint, staged: _Staged, shown: Progress
) -> TargetBuild:
    """Resolve and plan one target's payload (with its SBOM)."""
    env = staged.environment
    check_includes_exist(config, env)
    graph = _resolve(config, entry, env, shown)
    check_excludes_matter(config, env, graph)
    app = _app_metadata(config, env, graph)
    shown.step("planning the archive: native code, files read by path")
    payload = plan_payload(graph, env, app, _scope(config, staged.staging), config.exclude)
    hashes = staged.staging.hashes if staged.staging else {}
    payload, sbom = attach_sbom(payload, env, app, hashes)
    overrides = Overrides(extract=config.extract, zip_safe=config.zip_safe)
    extraction = plan_extraction(graph, payload, env, overrides)
    pythons = python_range(graph, env, payload, extraction.native, extraction.fallbacks)
    return TargetBuild(
        staged.interpreter, env, staged.staging, graph, app, payload, extraction, pythons, sbom
    )


def _write(config: Config, plan: Plan, shown: Progress) -> ArchiveResult:
    """Write the archive of every target, the first's payload as the main one."""
    launcher = plan.info.launcher
    parts = [target_part(b, target_info(config, plan.entry, b, launcher)) for b in plan.targets]
    shown.step(f"writing {config.output} ({_payload_size(plan.payload)})")
    archive = write_archive(
        plan.payload, plan.info, config.output, plan.extraction, force=config.force, targets=parts
    )
    shown.done(human_size(archive.size))
    return archive


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
    builder: Interpreter | None = None,
) -> Iterator[tuple[Environment, Staging | None]]:
    """The staging directories (default), or with --no-install the interpreter's
    environment."""
    if config.inline_script is not None and config.project is not None:
        spec, python = config.project.requires_python, interpreter.executable
        check_script_python(config.inline_script, spec, interpreter.version_text, python)

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
        config,
        interpreter,
        tree=tree,
        verbose=verbose,
        progress=shown.detail,
        status=status,
        builder=builder,
    ) as staging:
        sites = _script_dirs(config) + staging.site_dirs
        yield staged_environment(interpreter, sites, staging.project), staging


def _script_dirs(config: Config) -> tuple[Path, ...]:
    """A single-file script's directory, searched first as ``python script.py`` does."""
    return (config.project_dir,) if config.inline_script is not None else ()


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
