"""The dependency set: the built wheel's requirements for the target with the extras asked
for (and written on the script), --with, requirements files, locks."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from bundler.config import Config, Overrides, load_config
from bundler.errors import ConfigError, LockError, StagingError
from bundler.staging.requirements import (
    Dependencies,
    Target,
    WheelInfo,
    plan_dependencies,
    read_wheel_info,
)
from tests.conftest import pyproject, write_project
from tests.helpers.wheels import write_wheel
from tests.test_distribution import LINUX_311

TARGET = Target(LINUX_311, "CPython 3.11.7 on linux-x86_64", lambda: ("py3-none-any",))
WHEEL = WheelInfo(
    name="demo",
    version="1.0",
    requires=(
        "inkwell>=1",
        'tomli; python_version < "3.11"',
        'click>=8; extra == "cli"',
        'colorama; extra == "cli" and sys_platform == "win32"',
    ),
    provides_extras=("cli",),
    scripts={"demo": "demo.cli:main [cli]"},
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj", {"pyproject.toml": pyproject()})


def _plan(
    project: Path, wheel: WheelInfo | None = WHEEL, cwd: Path | None = None, **overrides: Any
) -> Dependencies:
    config: Config = load_config(project, Overrides(output=Path("a.pyz"), **overrides))
    assert config.install is not None
    return plan_dependencies(config, config.install, wheel, TARGET, cwd or project.parent)


def test_the_scripts_extra_and_markers_for_the_target(project: Path) -> None:
    planned = _plan(project)
    assert planned.requirements == ("inkwell>=1", "click>=8")
    assert (planned.extras, planned.described) == (("cli",), "the project's dependencies")
    plain = _plan(project, entry="demo.cli:other")  # -e: no script, no extra
    assert plain.requirements == ("inkwell>=1",)


@pytest.mark.parametrize("given", [".[cli]", "demo[cli]"])
def test_with_naming_the_project_asks_for_its_extras(project: Path, given: str) -> None:
    planned = _plan(project, entry="demo.cli:other", cwd=project, requirements=(given,))
    assert (planned.requirements, planned.extras) == (("inkwell>=1", "click>=8"), ("cli",))


def test_an_unknown_extra_is_named_with_those_there_are(project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _plan(project, extras=("colour",))
    assert str(caught.value) == "demo has no extra 'colour' (its extras: cli)"
    with pytest.raises(ConfigError, match="--extra needs a project"):
        _plan(project, wheel=None, extras=("cli",), requirements=("inkwell",))


def test_with_paths_become_absolute_and_are_recorded(project: Path) -> None:
    lib = write_project(project.parent / "lib", {"pyproject.toml": pyproject("lib")})
    planned = _plan(project, entry="x:y", requirements=("./lib", "tallyho"))
    assert planned.requirements == ("inkwell>=1", str(lib), "tallyho")
    assert planned.paths == (lib,)
    assert planned.described == (
        "the project's requirements, './lib', 'tallyho' and their dependencies"
    )


def test_hashes_in_a_file_make_it_the_lock_and_the_rest_checks(project: Path) -> None:
    lock = project / "requirements.lock"
    lock.write_text("inkwell==1.4.0 --hash=sha256:00\n")
    planned = _plan(project, entry="x:y", requirement_files=(lock,), requirements=("tallyho",))
    assert (planned.requirements, planned.lines) == ((), ("inkwell==1.4.0 --hash=sha256:00",))
    assert (planned.require_hashes, planned.lock_name) == (True, "requirements.lock")
    assert [(str(r), who) for r, who in planned.checked] == [
        ("inkwell>=1", "the project"),
        ("tallyho", "--with"),
    ]


def test_a_pylock_is_installed_alone(project: Path) -> None:
    lock = project / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\n[[packages]]\nname = "inkwell"\nversion = "1.4.0"\n'
        'wheels = [{url = "https://x/inkwell-1.4.0-py3-none-any.whl", hashes = {sha256 = "00"}}]\n'
    )
    planned = _plan(project, entry="x:y", requirement_files=(lock,))
    assert planned.locked is not None and planned.lock_name == "pylock.toml"
    assert planned.locked.hashed == (
        "inkwell @ https://x/inkwell-1.4.0-py3-none-any.whl --hash=sha256:00",
    )
    other = project / "more.txt"
    other.write_text("tallyho\n")
    with pytest.raises(LockError) as caught:
        _plan(project, entry="x:y", requirement_files=(lock, other))
    assert str(caught.value) == (
        "pylock.toml is the whole set of distributions to install: pass it alone, without "
        "other requirements or constraints files"
    )


def test_nothing_to_install_is_empty(project: Path) -> None:
    bare = WheelInfo("demo", "1.0")
    assert _plan(project, wheel=bare).empty


def test_a_wheels_metadata_is_read(tmp_path: Path) -> None:
    wheel = write_wheel(
        tmp_path,
        "demo",
        "1.0",
        {"demo/__init__.py": ""},
        requires=["inkwell>=1"],
        entry_points={"console_scripts": {"demo": "demo:main [cli]"}},
    )
    assert read_wheel_info(wheel) == WheelInfo(
        "demo", "1.0", ("inkwell>=1",), (), {"demo": "demo:main [cli]"}
    )
    broken = tmp_path / "broken.whl"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("demo/__init__.py", "")
    with pytest.raises(
        StagingError, match=r"the build backend wrote an unreadable wheel broken\.whl"
    ):
        read_wheel_info(broken)
