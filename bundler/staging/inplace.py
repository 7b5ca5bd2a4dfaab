"""The environment of a ``--no-install`` build: the target interpreter's as it is, with the
project's sources first, and the project's real metadata.

Nothing is installed, but the archive still needs the project's name, version and
requirements, and a dynamic version is not in ``pyproject.toml``. They come from the
project's static ``[project]`` table when it is complete; else from its dist-info in the
environment when it was installed from this very directory (``pip install -e .`` too);
else from its build backend's ``prepare_metadata_for_build_wheel``, cached like a wheel.
Never from defaults. What the project declares it needs (with its extras, for this
interpreter) becomes the environment's ``declared`` closure, so that distributions the
environment merely happens to hold can be told apart.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from bundler.caches.build import build_cache_root
from bundler.config import Config
from bundler.distribution import (
    Distribution,
    applies,
    parse_requirement,
    read_distribution,
    required_closure,
)
from bundler.environment import Environment, Interpreter, environment_for
from bundler.errors import StagingError
from bundler.project import ProjectTree
from bundler.staging.backend import Backend, project_metadata
from bundler.staging.pip import IndexOptions
from bundler.staging.scratch import scratch_directory
from bundler.staging.tools import ToolSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

__all__ = ["unstaged_environment"]

Say = Callable[[str], None]


@contextlib.contextmanager
def unstaged_environment(
    config: Config,
    interpreter: Interpreter,
    tree: ProjectTree | None,
    *,
    verbose: bool = False,
    progress: Say = lambda _: None,
    status: Say = lambda _: None,
) -> Iterator[Environment]:
    """The interpreter's environment with the project first, and its metadata."""
    if not config.has_project or tree is None:
        yield environment_for(interpreter)
        return
    extra = [config.source_root]
    env = environment_for(interpreter, extra)
    project = config.project
    if project is not None and not project.dynamic:
        yield dataclasses.replace(env, declared=_declared_statically(config, env))
        return
    installed = _installed_from(config, env.distributions)
    if installed is not None:
        progress(f"the project's metadata: {installed.dist_info}")
        yield environment_for(interpreter, extra, installed.name, config.extras)
        return
    cache = build_cache_root()
    with scratch_directory(cache / "tmp") as scratch:
        backend = Backend(
            config=config,
            tree=tree,
            interpreter=interpreter,
            index=IndexOptions(),
            settings=ToolSettings(verbose, config.timeout, scratch),
            cache=cache,
            isolation=True,
            refresh=False,
            progress=progress,
            status=status,
        )
        with project_metadata(backend) as dist_info:
            found = read_distribution(dist_info)
            if found is None:
                raise StagingError(f"the build backend wrote unreadable metadata: {dist_info}")
            progress(f"the project's metadata, from its build backend: {dist_info}")
            yield environment_for(
                interpreter, [*extra, dist_info.parent], found.name, config.extras
            )


def _installed_from(config: Config, distributions: Sequence[Distribution]) -> Distribution | None:
    """The distribution installed from the project's directory (editable or not), if any."""
    here = os.path.realpath(config.project_dir)
    for dist in distributions:
        try:
            data = json.loads((dist.dist_info / "direct_url.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        url = str(data.get("url", "")) if isinstance(data, dict) else ""
        if url.startswith("file:"):
            path = url2pathname(unquote(urlparse(url).path))
            if os.path.realpath(path) == here:
                return dist
    return None


def _declared_statically(config: Config, env: Environment) -> frozenset[str]:
    """The closure of a static ``[project]`` table's requirements, with the extras asked."""
    table = _project_table(config.project_dir / "pyproject.toml")
    texts = list(table.get("dependencies", []))
    optional = table.get("optional-dependencies", {})
    for extra in config.extras:
        texts += list(optional.get(extra, [])) if isinstance(optional, dict) else []
    roots = []
    for text in texts:
        requirement = parse_requirement(str(text))
        if requirement is not None and applies(requirement, env.interpreter.markers):
            roots.append((requirement.name, tuple(sorted(requirement.extras))))
    return required_closure(roots, env.distributions, env.interpreter.markers)


def _project_table(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            table = tomllib.load(stream).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return table if isinstance(table, dict) else {}
