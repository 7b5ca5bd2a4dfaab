"""The pipeline in one function: config -> environment -> resolver -> payload -> archive."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bundler.archive import ArchiveInfo, ArchiveResult, check_output_path, write_archive
from bundler.config import Config
from bundler.entrypoint import EntryPoint, choose_entry_point
from bundler.environment import Environment, inspect_environment
from bundler.errors import ResolveError
from bundler.payload import Payload, plan_payload
from bundler.resolver import Graph, resolve_imports

__all__ = ["BuildResult", "build"]


@dataclass(frozen=True)
class BuildResult:
    """Every stage's result, for the CLI's report."""

    entry: EntryPoint
    environment: Environment
    graph: Graph
    payload: Payload
    archive: ArchiveResult


def build(config: Config, progress: Callable[[str], None] = lambda _: None) -> BuildResult:
    """Build ``config.output`` from the project described by ``config``."""
    check_output_path(config.output)
    entry = choose_entry_point(config)
    progress(f"inspecting {config.python or 'the current interpreter'}")
    env = inspect_environment(config.python, [config.source_root])
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
    payload = plan_payload(graph, env, config.project)
    progress(f"writing {config.output}")
    info = ArchiveInfo(
        name=config.project.name,
        version=config.project.version,
        entry_module=entry.module,
        entry_function=entry.function,
        requires_python=config.project.requires_python,
        shebang=config.shebang,
        inherit_path=config.inherit_path,
        compile=config.compile,
    )
    archive = write_archive(payload, info, config.output)
    return BuildResult(entry, env, graph, payload, archive)
