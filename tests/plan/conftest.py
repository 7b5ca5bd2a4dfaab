"""Builders shared by the planner's tests: the plan (import graph, payload) of a small
project resolved over a site directory of the test's own, where it installed fake
distributions (``tests.helpers.environments.install_distribution``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bundler.config import ProjectMetadata
from bundler.entrypoint import EntryPoint
from bundler.environment import Environment, environment_for
from bundler.plan.payload import Payload, plan_payload
from bundler.resolve import Graph, resolve_imports
from tests.conftest import write_project
from tests.helpers.environments import fake_interpreter

# The first extension suffix of the interpreter the plans are made for.
SO = fake_interpreter().extension_suffixes[0]
APP = ProjectMetadata(name="app", version="1.0")
MAIN = "def main():\n    return 0\n"
# A module that is zip-unsafe: it opens a file beside itself, by a path built from __file__.
OPENS_BESIDE = "import os\nDATA = open(os.path.join(os.path.dirname(__file__), 'x.txt'))\n"


@dataclass(frozen=True)
class Planned:
    """What the planner starts from, and the payload it made."""

    graph: Graph
    env: Environment
    payload: Payload

    def module(self, name: str) -> tuple[str | None, bool, int, str]:
        """(member, is_package, load, origin) of the payload's module ``name``."""
        entry = next(m for m in self.payload.modules if m.name == name)
        return entry.member, entry.is_package, entry.load, entry.origin.value


def plan(
    env: Environment, root: Path, entry: str = "app:main", project: ProjectMetadata = APP
) -> Planned:
    """Resolve ``entry`` over ``env`` (``root``: the project's source tree), then plan the
    payload."""
    module, _, function = entry.partition(":")
    graph = resolve_imports(EntryPoint(module, function or None), env, root)
    return Planned(graph, env, plan_payload(graph, env, project))


def plan_project(
    tmp_path: Path,
    project: Mapping[str, str],
    entry: str = "app:main",
    metadata: ProjectMetadata = APP,
) -> Planned:
    """Plan the project whose source tree is ``project`` over ``tmp_path/site`` (where a
    test installs distributions first) and nothing else, as a build that does not install
    the project does."""
    root = write_project(tmp_path / "proj", project)
    env = environment_for(fake_interpreter(), [root, tmp_path / "site"])
    return plan(env, root, entry, metadata)


def plan_app(tmp_path: Path, imports: str) -> Planned:
    """Plan a one-module app ``app.py`` that does ``import <imports>``, over
    ``tmp_path/site``."""
    return plan_project(tmp_path, {"app.py": f"import {imports}\n{MAIN}"})
