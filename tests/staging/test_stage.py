"""The staging stage over real pip and build backends, offline: what is built and installed,
what is reused, and what makes a new staging directory. Each test has its own build cache."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bundler.config import Config, Overrides, load_config
from bundler.environment import Interpreter, query_interpreter
from bundler.errors import StagingError
from bundler.staging import Staging, stage
from tests.staging.conftest import backend_project, setuptools_project

pytestmark = pytest.mark.usefixtures("pip_free", "build_cache")

WHEEL = "demo-1.0-py3-none-any.whl"


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return query_interpreter(None)


@pytest.fixture
def links(backend_wheels: Path, wheelhouse: Path) -> tuple[str, ...]:
    """The wheelhouses pip may look in (and nothing else: --no-index)."""
    return (str(backend_wheels), str(wheelhouse))


def _config(project: Path | None, links: tuple[str, ...], **overrides: Any) -> Config:
    cli = Overrides(output=Path("app.pyz"), find_links=links, no_index=True, **overrides)
    return load_config(project, cli)


def _built_and_installed(interpreter: Interpreter) -> list[str]:
    """What a user is told when both the build backend and pip run."""
    return [
        "building the wheel of proj",
        "installing the project and its dependencies with pip for Python "
        f"{interpreter.version_text}",
    ]


def _stage(config: Config, interpreter: Interpreter) -> tuple[Staging, list[str]]:
    """Stage, and return the result with the status lines a user would see."""
    said: list[str] = []
    with stage(config, interpreter, status=said.append) as staging:
        assert (staging.site_dir / ".." / "bundle-entry.json").is_file()
    return staging, said


def test_first_stage_builds_and_installs_and_the_next_reuses_everything(
    tmp_path: Path, links: tuple[str, ...], interpreter: Interpreter, build_cache: Path
) -> None:
    config = _config(setuptools_project(tmp_path / "proj"), links)
    first, said = _stage(config, interpreter)
    assert said == _built_and_installed(interpreter)
    assert (first.project, first.wheel, first.wheel_built, first.installed) == (
        "demo",
        WHEEL,
        True,
        True,
    )
    assert first.site_dir.parent.parent == build_cache / "staging"
    assert (first.site_dir / "demo" / "__init__.py").read_text() == "VALUE = 1\n"
    assert (first.site_dir / "demo-1.0.dist-info" / "METADATA").is_file()

    second, said = _stage(config, interpreter)
    assert said == []
    assert (second.site_dir, second.project, second.wheel) == (first.site_dir, "demo", WHEEL)
    assert (second.wheel_built, second.installed, second.reused) == (False, False, True)


def test_source_edit_rebuilds_the_wheel_and_installs_it_anew(
    tmp_path: Path, links: tuple[str, ...], interpreter: Interpreter
) -> None:
    project = setuptools_project(tmp_path / "proj")
    config = _config(project, links)
    before, _ = _stage(config, interpreter)
    (project / "demo" / "__init__.py").write_text("VALUE = 2\n")
    after, said = _stage(config, interpreter)
    assert said == _built_and_installed(interpreter)
    assert (after.wheel_built, after.installed) == (True, True)
    assert after.site_dir != before.site_dir
    assert (after.site_dir / "demo" / "__init__.py").read_text() == "VALUE = 2\n"
    assert (before.site_dir / "demo" / "__init__.py").read_text() == "VALUE = 1\n"


def test_no_cache_builds_and_installs_again_into_the_same_entry(
    tmp_path: Path, links: tuple[str, ...], interpreter: Interpreter
) -> None:
    project = setuptools_project(tmp_path / "proj")
    cached, _ = _stage(_config(project, links), interpreter)
    fresh, said = _stage(_config(project, links, use_cache=False), interpreter)
    assert said == _built_and_installed(interpreter)
    assert (fresh.wheel_built, fresh.installed, fresh.site_dir) == (True, True, cached.site_dir)


def test_staging_key_follows_requirements_and_constraint_file_contents(
    tmp_path: Path,
    links: tuple[str, ...],
    interpreter: Interpreter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a project: pip installs what --with names, under constraints.txt."""
    monkeypatch.chdir(tmp_path)
    pins = tmp_path / "constraints.txt"
    pins.write_text("inkwell>=1.0\n")
    constrained = {"constraint_files": (Path("constraints.txt"),)}
    inkwell = _config(None, links, requirements=("inkwell",), **constrained)
    version = interpreter.version_text

    first, said = _stage(inkwell, interpreter)
    assert said == [f"installing 'inkwell' and its dependencies with pip for Python {version}"]
    assert (first.project, first.wheel, first.wheel_built, first.installed) == (
        None,
        None,
        False,
        True,
    )
    again, said = _stage(inkwell, interpreter)
    assert (again.site_dir, again.reused, said) == (first.site_dir, True, [])

    pins.write_text("inkwell==1.4.0\n")
    repinned, _ = _stage(inkwell, interpreter)
    assert repinned.installed is True
    assert repinned.site_dir != first.site_dir

    both = _config(None, links, requirements=("inkwell", "tallyho"), **constrained)
    more, said = _stage(both, interpreter)
    assert said == [
        f"installing 'inkwell', 'tallyho' and their dependencies with pip for Python {version}"
    ]
    assert more.site_dir not in (first.site_dir, repinned.site_dir)
    assert sorted(os.listdir(more.site_dir)) == [
        "inkwell",
        "inkwell-1.4.0.dist-info",
        "tallyho",
        "tallyho-0.9.2.dist-info",
    ]


def test_failed_install_leaves_no_staging_entry(
    tmp_path: Path,
    links: tuple[str, ...],
    interpreter: Interpreter,
    build_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StagingError) as caught:
        _stage(_config(None, links, requirements=("nosuch",)), interpreter)
    assert str(caught.value) == (
        "pip could not install 'nosuch' and its dependencies: No matching distribution found "
        f"for nosuch; with --no-index pip only looks in {', '.join(links)}: add it there"
    )
    assert [p.suffix for p in (build_cache / "staging").iterdir()] == [".lock"]


MISNAMED_WHEEL = """\
import os
import zipfile


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with zipfile.ZipFile(os.path.join(wheel_directory, "demo.whl"), "w") as wheel:
        wheel.writestr("demo/__init__.py", "")
    return "demo.whl"
"""


def test_wheel_with_an_invalid_name_is_refused_and_not_cached(
    tmp_path: Path, links: tuple[str, ...], interpreter: Interpreter, build_cache: Path
) -> None:
    project = backend_project(tmp_path / "proj", "misnamed", MISNAMED_WHEEL)
    with pytest.raises(StagingError) as caught:
        _stage(_config(project, links), interpreter)
    assert str(caught.value) == "the build backend wrote a wheel with an invalid name: demo.whl"
    assert [p.suffix for p in (build_cache / "wheels").iterdir()] == [".lock"]


def test_stage_needs_install_options(tmp_path: Path, interpreter: Interpreter) -> None:
    config = load_config(
        setuptools_project(tmp_path / "proj"), Overrides(output=Path("a.pyz"), install=False)
    )
    with pytest.raises(ValueError, match=r"stage\(\) needs install options"):
        stage(config, interpreter).__enter__()


@pytest.mark.parametrize(
    ("wheel_built", "installed", "reused"),
    [(False, False, True), (True, False, False), (False, True, False), (True, True, False)],
)
def test_staging_is_reused_only_when_neither_backend_nor_pip_ran(
    wheel_built: bool, installed: bool, reused: bool
) -> None:
    staging = Staging(Path("/s/site"), "demo", WHEEL, wheel_built, installed, seconds=0.0)
    assert staging.reused is reused
