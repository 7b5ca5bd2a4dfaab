"""The project's wheel and metadata from its backend, cached under a key of everything the
backend reads: files, git state when the version comes from it, backend variables."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bundler.config import Overrides, load_config
from bundler.environment import query_interpreter
from bundler.project import scan_project
from bundler.staging.backend import Backend, project_metadata, project_wheel
from bundler.staging.pip import IndexOptions
from bundler.staging.tools import ToolSettings
from tests.conftest import write_project
from tests.staging.conftest import SETUPTOOLS
from tests.staging.test_wheel import WARNING_BACKEND

pytestmark = pytest.mark.usefixtures("pip_free")


def _backend(
    project: Path, links: tuple[str, ...] = (), verbose: bool = False
) -> tuple[Backend, list[str]]:
    said: list[str] = []
    backend = Backend(
        config=load_config(project, Overrides(output=Path("a.pyz"))),
        tree=scan_project(project),
        interpreter=query_interpreter(None),
        index=IndexOptions(links, no_index=True),
        settings=ToolSettings(verbose=verbose),
        cache=project.parent / "cache",
        isolation=True,
        refresh=False,
        progress=lambda _: None,
        status=said.append,
    )
    return backend, said


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


def _scm_project(root: Path, *, scm: bool) -> Path:
    requires = '"setuptools>=61", "setuptools-scm>=8"' if scm else '"setuptools>=61"'
    toml = (
        f"[build-system]\nrequires = [{requires}]\nbuild-backend = 'setuptools.build_meta'\n"
        '[project]\nname = "demo"\ndynamic = ["version"]\n'
    )
    project = write_project(root, {"pyproject.toml": toml, "demo/__init__.py": ""})
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "one")
    return project


def test_the_key_follows_git_only_when_the_version_comes_from_it(tmp_path: Path) -> None:
    scm = _scm_project(tmp_path / "scm", scm=True)
    plain = _scm_project(tmp_path / "plain", scm=False)
    keys = {p: _backend(p)[0].key("wheel") for p in (scm, plain)}
    for project in (scm, plain):
        _git(project, "tag", "v1.5.0")
    assert _backend(scm)[0].key("wheel") != keys[scm]
    assert _backend(plain)[0].key("wheel") == keys[plain]


def test_the_key_follows_the_variables_backends_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _scm_project(tmp_path / "scm", scm=True)
    before = _backend(project)[0].key("wheel")
    monkeypatch.setenv("SETUPTOOLS_SCM_PRETEND_VERSION", "9.9")
    assert _backend(project)[0].key("wheel") != before
    monkeypatch.delenv("SETUPTOOLS_SCM_PRETEND_VERSION")
    monkeypatch.setenv("TERM", "dumb")
    assert _backend(project)[0].key("wheel") == before


def test_backend_warnings_are_one_line_or_all_of_them_when_verbose(tmp_path: Path) -> None:
    toml = (
        "[build-system]\nrequires = []\nbuild-backend = 'warning_backend'\nbackend-path = ['.']\n"
    )
    files = {"pyproject.toml": toml + '[project]\nname = "demo"\nversion = "1.0"\n'}
    project = write_project(tmp_path / "proj", {**files, "warning_backend.py": WARNING_BACKEND})
    backend, said = _backend(project)
    with project_wheel(backend) as wheel:
        assert (wheel.project, wheel.built) == ("demo", True)
    assert said == [
        "building the wheel of proj",
        "warning: the build backend warned: `project.license` as a TOML table is deprecated "
        "(and 1 more; -v shows them)",
    ]
    backend, said = _backend(project, verbose=True)
    with project_wheel(backend) as wheel:
        assert wheel.built is False  # cached: the backend did not run, nothing to say
    assert said == []


def test_metadata_is_prepared_once(tmp_path: Path, backend_wheels: Path) -> None:
    files = {"pyproject.toml": SETUPTOOLS + '[project]\nname = "demo"\ndynamic = ["version"]\n'
             '[tool.setuptools.dynamic]\nversion = {attr = "demo.VERSION"}\n',
             "demo/__init__.py": "VERSION = '3.1'\n"}  # fmt: skip
    project = write_project(tmp_path / "proj", files)
    backend, said = _backend(project, (str(backend_wheels),))
    with project_metadata(backend) as dist_info:
        assert dist_info.name == "demo-3.1.dist-info"
    with project_metadata(_backend(project, (str(backend_wheels),))[0]) as again:
        assert again == dist_info
    assert said == ["asking the build backend of proj for its metadata"]
