"""The --no-install environment: the project's metadata from its static table, from its
dist-info when it was installed from this directory, else from its backend; and what it
declares."""

from __future__ import annotations

import dataclasses
import json
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from bundler.config import Overrides, load_config
from bundler.environment import Environment, Interpreter, query_interpreter
from bundler.project import scan_project
from bundler.staging import unstaged_environment
from tests.conftest import pyproject, write_project
from tests.helpers.environments import install_distribution, stdlib_only
from tests.staging.conftest import SETUPTOOLS

DYNAMIC = '[project]\nname = "demo"\ndynamic = ["version"]\ndependencies = ["inkwell"]\n'


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    install_distribution(site, "inkwell", {"inkwell/__init__.py": ""}, version="1.4.0")
    install_distribution(site, "stray", {"stray.py": ""})
    return site


@pytest.fixture
def interpreter(site: Path) -> Interpreter:
    bare = stdlib_only(query_interpreter(None))
    return dataclasses.replace(bare, sys_path=(site, *bare.sys_path))


def _environment(
    project: Path, interpreter: Interpreter, extras: tuple[str, ...] = ()
) -> AbstractContextManager[Environment]:
    config = load_config(project, Overrides(output=Path("a.pyz"), install=False, extras=extras))
    return unstaged_environment(config, interpreter, scan_project(project))


def test_a_static_project_declares_its_dependencies_and_extras(
    tmp_path: Path, interpreter: Interpreter
) -> None:
    extra = '[project.optional-dependencies]\nmore = ["stray"]\n'
    table = pyproject(dependencies=("inkwell",)).replace("[project.scripts]", "") + extra
    project = write_project(tmp_path / "proj", {"pyproject.toml": table})
    with _environment(project, interpreter) as env:
        assert (env.project, env.declared) == (None, frozenset({"inkwell"}))
    with _environment(project, interpreter, extras=("more",)) as env:
        assert env.declared == frozenset({"inkwell", "stray"})


def test_the_dist_info_installed_from_this_directory_is_the_projects(
    tmp_path: Path, site: Path, interpreter: Interpreter
) -> None:
    project = write_project(tmp_path / "proj", {"pyproject.toml": DYNAMIC})
    dist_info = install_distribution(site, "demo", version="2.5.dev3", requires=("inkwell",))
    (dist_info / "direct_url.json").write_text(
        json.dumps({"url": project.as_uri(), "dir_info": {"editable": True}})
    )
    with _environment(project, interpreter) as env:
        assert env.project == "demo"
        assert env.distribution("demo").version == "2.5.dev3"  # type: ignore[union-attr]
        assert env.declared == frozenset({"demo", "inkwell"})


def test_otherwise_the_backend_prepares_the_metadata(
    tmp_path: Path, interpreter: Interpreter, backend_wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(backend_wheels))
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(tmp_path / "cache"))
    toml = SETUPTOOLS + DYNAMIC + '[tool.setuptools.dynamic]\nversion = {attr = "demo.V"}\n'
    files = {"pyproject.toml": toml, "demo/__init__.py": "V = '4.2'\n"}
    project = write_project(tmp_path / "proj", files)
    with _environment(project, interpreter) as env:
        dist = env.distribution("demo")
        assert dist is not None and dist.version == "4.2"
        assert dist.requires == ("inkwell",)
        assert env.declared == frozenset({"demo", "inkwell"})
