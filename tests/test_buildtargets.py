"""The interpreters a build stages for, the targets' names, and what the manifest and the
writer are told of each target."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bundler.archive.index import ArchiveInfo
from bundler.buildtargets import (
    TargetBuild,
    describe_target,
    target_interpreters,
    target_launcher,
    target_name,
    target_part,
    targets_range,
)
from bundler.config import Overrides, load_config
from bundler.environment import Interpreter, foreign_interpreter
from bundler.errors import TargetError
from bundler.plan.extraction import ExtractionPlan
from bundler.plan.payload import Payload
from bundler.plan.pythons import PythonRange
from bundler.targets import ForeignTarget
from tests.conftest import pyproject, write_project
from tests.helpers.environments import fake_interpreter

CP = f"cp{sys.version_info[0]}{sys.version_info[1]}"


def _project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj", {"pyproject.toml": pyproject(), "demo.py": ""})


def test_targets_come_after_the_interpreters_and_each_once(tmp_path: Path) -> None:
    overrides = Overrides(
        output=tmp_path / "app.pyz",
        pythons=(sys.executable, sys.executable),
        target_pythons=("3.9",),
        platforms=("win_amd64", "win_amd64"),
    )
    shown: list[str] = []
    found = target_interpreters(load_config(_project(tmp_path), overrides), shown.append)
    names = [target_name(interpreter) for interpreter in found]
    here = found[0].platform.replace("-", "_").replace(".", "_")
    assert names == [f"{CP}-{here}", "cp39-win_amd64"]
    assert shown == [f"inspecting {sys.executable}"] * 2
    assert found[0].foreign is None and found[1].foreign == ForeignTarget((3, 9), "win_amd64")


def test_without_python_only_the_targets_named_are_built(tmp_path: Path) -> None:
    overrides = Overrides(output=tmp_path / "app.pyz", platforms=("win32",))
    found = target_interpreters(load_config(_project(tmp_path), overrides), lambda _: None)
    assert [target_name(interpreter) for interpreter in found] == [f"{CP}-win32"]


def test_targets_need_pip(tmp_path: Path) -> None:
    overrides = Overrides(output=tmp_path / "app.pyz", install=False, target_pythons=("3.9",))
    with pytest.raises(TargetError) as caught:
        target_interpreters(load_config(_project(tmp_path), overrides), lambda _: None)
    assert str(caught.value) == (
        "--target-python, --platform and [tool.bundle] targets need pip to install for each "
        "target: drop --no-install"
    )


def test_a_foreign_interpreter_keeps_the_builds_stdlib() -> None:
    host = fake_interpreter()
    foreign = foreign_interpreter(host, ForeignTarget((3, 13), "macosx_11_0_arm64"))
    assert foreign.version == (3, 13, 0) and foreign.cache_tag == "cpython-313"
    assert foreign.stdlib_dirs == host.stdlib_dirs
    assert foreign.markers["sys_platform"] == "darwin"
    assert foreign.extension_suffixes[0] == ".cpython-313-darwin.so"
    assert target_name(foreign) == "cp313-macosx_11_0_arm64"
    assert target_name(host) == "cp311-linux_x86_64"


def test_describe_and_part_of_a_target() -> None:
    interpreter = foreign_interpreter(fake_interpreter(), ForeignTarget((3, 10), "win_amd64"))
    payload = Payload({}, (), ("PyYAML-6.0.dist-info", "app_x-1.0.dist-info"))
    build = TargetBuild(
        interpreter, None, None, None, None, payload, ExtractionPlan(), PythonRange()
    )  # type: ignore[arg-type]
    described = describe_target(build)
    assert described.document() == {
        "name": "cp310-win_amd64",
        "python": "3.10",
        "implementation": "cp",
        "abi": "cp310",
        "platform": "win_amd64",
        "distributions": ["PyYAML", "app_x"],
        "native": [],
    }
    info = ArchiveInfo("app", "1.0", "app", None, None, "#!", False, True)
    part = target_part(build, info)
    assert (part.name, part.python, part.abi, part.platform) == (
        "cp310-win_amd64",
        (3, 10),
        "cp310",
        "win_amd64",
    )


def _build_for(interpreter: Interpreter) -> TargetBuild:
    payload = Payload({}, (), ())
    return TargetBuild(
        interpreter, None, None, None, None, payload, ExtractionPlan(), PythonRange()
    )  # type: ignore[arg-type]


def test_the_header_tries_the_pythons_an_archive_of_several_targets_holds(
    tmp_path: Path,
) -> None:
    host = fake_interpreter()  # 3.11
    builds = [
        _build_for(host),
        _build_for(foreign_interpreter(host, ForeignTarget((3, 9), "linux_x86_64"))),
        _build_for(foreign_interpreter(host, ForeignTarget((3, 13), "linux_x86_64"))),
    ]
    config = load_config(_project(tmp_path), Overrides(output=tmp_path / "a.pyz"))
    assert target_launcher(config, builds) == (
        "python3.11",
        "python3.13",
        "python3.9",
        "python3",
        "python",
    )
    # One target: every Python of its range, the build's first.
    single = target_launcher(config, builds[:1])
    assert single[0] == "python3.11" and {"python3.9", "python3.12"} <= set(single)


def test_an_archive_of_several_targets_runs_on_the_pythons_it_holds() -> None:
    host = fake_interpreter()  # 3.11
    builds = [_build_for(host)] + [
        _build_for(foreign_interpreter(host, ForeignTarget((3, minor), platform)))
        for minor, platform in ((9, "linux_x86_64"), (13, "linux_x86_64"), (13, "win_amd64"))
    ]
    assert targets_range(builds) == "3.9, 3.11 or 3.13"
    assert targets_range(builds[2:]) == "3.13"
