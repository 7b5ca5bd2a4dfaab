"""The staging stage over real pip and build backends, offline: what is built and installed,
what is reused, and what makes a new staging directory. Each test has its own build cache."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from bundler.config import Config, Overrides, load_config
from bundler.environment import Interpreter, query_interpreter
from bundler.errors import ConfigError, LockError, StagingError
from bundler.project import scan_project
from bundler.staging import Staging, stage
from tests.conftest import write_project
from tests.staging.conftest import SETUPTOOLS, backend_project, setuptools_project

pytestmark = pytest.mark.usefixtures("pip_free", "build_cache")

WHEEL = "demo-1.0-py3-none-any.whl"


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return query_interpreter(None)


@pytest.fixture(params=["pip", "uv"])
def installer(request: pytest.FixtureRequest) -> str:
    """The tests that take it run with each installer: the same semantics, the same layout."""
    return str(request.param)


@pytest.fixture
def links(backend_wheels: Path, wheelhouse: Path) -> tuple[str, ...]:
    """The wheelhouses pip may look in (and nothing else: --no-index)."""
    return (str(backend_wheels), str(wheelhouse))


def _config(project: Path | None, links: tuple[str, ...], **overrides: Any) -> Config:
    cli = Overrides(output=Path("app.pyz"), find_links=links, no_index=True, **overrides)
    return load_config(project, cli)


def _built_and_installed(
    interpreter: Interpreter, dependencies: bool = False, installer: str = "pip"
) -> list[str]:
    """What a user is told when both the build backend and the installer run."""
    version = interpreter.version_text
    deps = [f"installing the project's dependencies with {installer} for Python {version}"]
    return [
        "building the wheel of proj",
        *(deps if dependencies else []),
        f"installing the project with {installer} for Python {version}",
    ]


def _stage(config: Config, interpreter: Interpreter) -> tuple[Staging, list[str]]:
    """Stage, and return the result with the status lines a user would see."""
    said: list[str] = []
    tree = scan_project(config.project_dir) if config.has_project else None
    with stage(config, interpreter, tree=tree, status=said.append) as staging:
        for site in staging.site_dirs:
            assert (site / ".." / "bundle-entry.json").is_file()
    return staging, said


def _with_dependencies(root: Path, *dependencies: str, extra: str = "") -> Path:
    """A setuptools project ``demo`` 1.0 that requires ``dependencies``."""
    table = (
        f'[project]\nname = "demo"\nversion = "1.0"\ndependencies = {list(dependencies)!r}\n'
    ).replace("'", '"')
    files = {"pyproject.toml": SETUPTOOLS + table + extra, "demo/__init__.py": "VALUE = 1\n"}
    return write_project(root, files)


def test_first_stage_builds_and_installs_and_the_next_reuses_everything(
    tmp_path: Path,
    links: tuple[str, ...],
    interpreter: Interpreter,
    build_cache: Path,
    installer: str,
) -> None:
    config = _config(setuptools_project(tmp_path / "proj"), links, installer=installer)
    first, said = _stage(config, interpreter)
    assert said == _built_and_installed(interpreter, installer=installer)
    assert first.installer == installer
    assert (first.project, first.wheel, first.wheel_built, first.installed) == (
        "demo",
        WHEEL,
        True,
        True,
    )
    assert first.site_dir.parent.parent == build_cache / "projects"
    assert first.site_dirs == (first.site_dir,)  # nothing else to install
    assert (first.site_dir / "demo" / "__init__.py").read_text() == "VALUE = 1\n"
    assert (first.site_dir / "demo-1.0.dist-info" / "METADATA").is_file()

    second, said = _stage(config, interpreter)
    assert said == []
    assert (second.site_dir, second.project, second.wheel) == (first.site_dir, "demo", WHEEL)
    assert (second.wheel_built, second.installed, second.reused) == (False, False, True)


def test_source_edit_reinstalls_the_project_alone(
    tmp_path: Path, links: tuple[str, ...], interpreter: Interpreter, installer: str
) -> None:
    project = _with_dependencies(tmp_path / "proj", "tallyho")
    config = _config(project, links, installer=installer)
    before, said = _stage(config, interpreter)
    assert said == _built_and_installed(interpreter, dependencies=True, installer=installer)
    assert before.dependencies_installed is True
    assert sorted(os.listdir(before.site_dirs[1])) == [
        "inkwell",
        "inkwell-1.4.0.dist-info",
        "tallyho",
        "tallyho-0.9.2.dist-info",
    ]
    (project / "demo" / "__init__.py").write_text("VALUE = 2\n")
    after, said = _stage(config, interpreter)
    assert said == _built_and_installed(interpreter, installer=installer)  # not the dependencies
    assert (after.wheel_built, after.installed, after.dependencies_installed) == (True, True, False)
    assert after.site_dir != before.site_dir
    assert after.site_dirs[1] == before.site_dirs[1]
    assert (after.site_dir / "demo" / "__init__.py").read_text() == "VALUE = 2\n"
    assert (before.site_dir / "demo" / "__init__.py").read_text() == "VALUE = 1\n"


def test_a_new_requirement_reinstalls_the_dependencies(
    tmp_path: Path, links: tuple[str, ...], interpreter: Interpreter
) -> None:
    project = _with_dependencies(tmp_path / "proj", "inkwell")
    before, _ = _stage(_config(project, links), interpreter)
    _with_dependencies(project, "inkwell", "tallyho")
    after, said = _stage(_config(project, links), interpreter)
    assert said == _built_and_installed(interpreter, dependencies=True)
    assert after.site_dirs[1] != before.site_dirs[1]


def test_extras_install_what_they_add_and_an_unknown_one_is_named(
    tmp_path: Path, links: tuple[str, ...], interpreter: Interpreter, installer: str
) -> None:
    extra = '[project.optional-dependencies]\ncount = ["tallyho"]\n'
    project = _with_dependencies(tmp_path / "proj", "inkwell", extra=extra)
    plain, _ = _stage(_config(project, links, installer=installer), interpreter)
    assert "tallyho" not in os.listdir(plain.site_dirs[1])
    counted, _ = _stage(
        _config(project, links, extras=("count",), installer=installer), interpreter
    )
    assert counted.extras == ("count",)
    assert "tallyho" in os.listdir(counted.site_dirs[1])
    with pytest.raises(ConfigError) as caught:
        _stage(_config(project, links, extras=("colour",)), interpreter)
    assert str(caught.value) == "demo has no extra 'colour' (its extras: count)"


def test_a_lock_must_provide_what_the_project_requires(
    tmp_path: Path,
    links: tuple[str, ...],
    interpreter: Interpreter,
    wheelhouse: Path,
    installer: str,
) -> None:
    project = _with_dependencies(tmp_path / "proj", "tallyho>=0.9")
    wheel = next(wheelhouse.glob("inkwell-*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"inkwell==1.4.0 --hash=sha256:{digest}\n")
    config = _config(project, links, requirement_files=(lock,), installer=installer)
    with pytest.raises(LockError) as caught:
        _stage(config, interpreter)
    assert str(caught.value) == (
        "requirements.lock does not provide tallyho>=0.9, which the project requires: add it "
        "to the lock with its hashes, or build without the lock"
    )


def test_no_cache_builds_and_installs_again_into_the_same_entry(
    tmp_path: Path, links: tuple[str, ...], interpreter: Interpreter, installer: str
) -> None:
    project = setuptools_project(tmp_path / "proj")
    cached, _ = _stage(_config(project, links, installer=installer), interpreter)
    fresh, said = _stage(_config(project, links, use_cache=False, installer=installer), interpreter)
    assert said == _built_and_installed(interpreter, installer=installer)
    assert (fresh.wheel_built, fresh.installed, fresh.site_dir) == (True, True, cached.site_dir)


def test_staging_key_follows_requirements_and_constraint_file_contents(
    tmp_path: Path,
    links: tuple[str, ...],
    interpreter: Interpreter,
    monkeypatch: pytest.MonkeyPatch,
    installer: str,
) -> None:
    """Without a project: pip or uv installs what --with names, under constraints.txt."""
    monkeypatch.chdir(tmp_path)
    pins = tmp_path / "constraints.txt"
    pins.write_text("inkwell>=1.0\n")
    constrained = {"constraint_files": (Path("constraints.txt"),), "installer": installer}
    inkwell = _config(None, links, requirements=("inkwell",), **constrained)
    version = interpreter.version_text

    first, said = _stage(inkwell, interpreter)
    assert said == [
        f"installing 'inkwell' and its dependencies with {installer} for Python {version}"
    ]
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
        f"installing 'inkwell', 'tallyho' and their dependencies with {installer} for Python "
        f"{version}"
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
    assert [p.suffix for p in (build_cache / "dependencies").iterdir()] == [".lock"]


def test_failed_install_by_uv_leaves_no_staging_entry(
    tmp_path: Path,
    links: tuple[str, ...],
    interpreter: Interpreter,
    build_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StagingError) as caught:
        _stage(_config(None, links, requirements=("nosuch",), installer="uv"), interpreter)
    assert str(caught.value) == (
        "uv could not install 'nosuch' and its dependencies: No solution found when "
        "resolving dependencies: Because nosuch was not found in the provided package "
        "locations and you require nosuch, we can conclude that your requirements are "
        "unsatisfiable; uv's last lines are above; -v shows all of its output"
    )
    assert [p.suffix for p in (build_cache / "dependencies").iterdir()] == [".lock"]
    assert list((build_cache / "tmp").iterdir()) == []  # uv's prefix went with the scratch


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
    installing = load_config(setuptools_project(tmp_path / "two"), Overrides(output=Path("a")))
    with pytest.raises(ValueError, match=r"stage\(\) needs the project's tree"):
        stage(installing, interpreter).__enter__()


@pytest.mark.parametrize(
    ("wheel_built", "installed", "reused"),
    [(False, False, True), (True, False, False), (False, True, False), (True, True, False)],
)
def test_staging_is_reused_only_when_neither_backend_nor_pip_ran(
    wheel_built: bool, installed: bool, reused: bool
) -> None:
    staging = Staging(Path("/s/site"), "demo", WHEEL, wheel_built, installed, seconds=0.0)
    assert staging.reused is reused


def test_each_installer_has_its_own_entries_holding_the_same_files_and_hashes(
    tmp_path: Path, links: tuple[str, ...], interpreter: Interpreter
) -> None:
    project = _with_dependencies(tmp_path / "proj", "tallyho")
    by_pip, _ = _stage(_config(project, links, installer="pip"), interpreter)
    by_uv, said = _stage(_config(project, links, installer="uv"), interpreter)
    assert said[1:] == _built_and_installed(interpreter, dependencies=True, installer="uv")[1:]
    for pip_site, uv_site in zip(by_pip.site_dirs, by_uv.site_dirs):
        assert pip_site != uv_site
        assert _files(pip_site) == _files(uv_site)
    assert sorted(by_pip.hashes) == ["inkwell", "tallyho"]
    assert by_uv.hashes == by_pip.hashes


def _files(site: Path) -> dict[str, bytes]:
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file()
    }
