"""uv as the installer: its command lines, targets it can and cannot name, a failure as one
line, and installs into a directory laid out as pip lays it out (see test_canonical)."""

from __future__ import annotations

import hashlib
import sys
import venv
from pathlib import Path

import pytest

from bundler.errors import StagingError, TargetError, ToolTimeoutError
from bundler.staging.buildenv import TargetVenv
from bundler.staging.pip import IndexOptions, PipRequest
from bundler.staging.tools import ToolSettings
from bundler.staging.uv import (
    UvRun,
    uv_install_into_directory,
    uv_install_into_environment,
    uv_platform,
    uv_reason,
)
from bundler.targets import ForeignTarget
from tests.helpers.wheels import write_wheel
from tests.staging.conftest import foreign_target_wheels

pytestmark = pytest.mark.usefixtures("pip_free")


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("manylinux_2_28_x86_64", ("x86_64-manylinux_2_28", {})),
        ("manylinux2014_aarch64", ("aarch64-manylinux2014", {})),
        ("win_amd64", ("x86_64-pc-windows-msvc", {})),
        ("win32", ("i686-pc-windows-msvc", {})),
        ("macosx_11_0_arm64", ("aarch64-apple-darwin", {"MACOSX_DEPLOYMENT_TARGET": "11.0"})),
        ("macosx_10_9_x86_64", ("x86_64-apple-darwin", {"MACOSX_DEPLOYMENT_TARGET": "10.9"})),
    ],
)
def test_targets_uv_names_exactly(platform: str, expected: tuple[str, dict[str, str]]) -> None:
    assert uv_platform(ForeignTarget((3, 12), platform)) == expected


@pytest.mark.parametrize(
    "platform", ["musllinux_1_2_x86_64", "macosx_11_0_universal2", "manylinux_2_5_x86_64"]
)
def test_a_target_uv_cannot_name_is_one_line_pointing_at_pip(platform: str) -> None:
    with pytest.raises(TargetError) as caught:
        uv_platform(ForeignTarget((3, 12), platform))
    assert str(caught.value) == (
        f"uv cannot install for target cp312-{platform}: it has no --python-platform for "
        f"exactly {platform}; build with --installer pip (or BUNDLER_INSTALLER=pip)"
    )
    assert caught.value.exit_status == 2


def test_reason_is_the_error_and_its_cause() -> None:
    lines = [
        "Using CPython 3.11.7 interpreter at: /usr/bin/python3",
        "error: No solution found when resolving dependencies",
        "  cause: Because only shipper==1.0 is available and you require shipper>5, we can "
        "conclude that your requirements are unsatisfiable.",
    ]
    assert uv_reason(lines) == (
        "No solution found when resolving dependencies: Because only shipper==1.0 is "
        "available and you require shipper>5, we can conclude that your requirements are "
        "unsatisfiable; uv's last lines are above; -v shows all of its output"
    )


def test_reason_ends_at_a_blank_line_and_carries_uvs_hint() -> None:
    lines = [
        "error: Failed to download `shipper==1.0`",
        "  cause: Hash mismatch for `shipper==1.0`",
        "",
        "         Expected:",
        "hint: check the pins",
    ]
    assert uv_reason(lines) == (
        "Failed to download `shipper==1.0`: Hash mismatch for `shipper==1.0`; check the pins"
    )


def _run(house: Path, tmp_path: Path, **changes: object) -> UvRun:
    index = IndexOptions((str(house),), no_index=True, installer="uv")
    settings = changes.pop("settings", ToolSettings(temp_dir=tmp_path))
    return UvRun(sys.executable, index, settings, "the project's dependencies", **changes)  # type: ignore[arg-type]


def test_a_foreign_target_gets_its_wheels_and_its_markers(tmp_path: Path) -> None:
    house = foreign_target_wheels(tmp_path / "wheels")
    site = tmp_path / "site"
    run = _run(house, tmp_path, foreign=ForeignTarget((3, 9), "win_amd64"))
    request = PipRequest(requirements=("native", "winner"), report=tmp_path / "report")
    hashes = uv_install_into_directory(site, request, run)
    assert (site / "native.py").read_text() == "WHERE = 'win'\n"
    installed = sorted(p.name.split("-")[0] for p in site.glob("*.dist-info"))
    assert installed == ["backport", "colour", "native", "winner"]
    windows = next(house.glob("native-*win_amd64.whl"))
    assert hashes["native"] == hashlib.sha256(windows.read_bytes()).hexdigest()


def test_hashes_only_when_a_report_is_asked_for(tmp_path: Path) -> None:
    house = tmp_path / "wheels"
    write_wheel(house, "plain", "1.0", {"plain.py": ""})
    request = PipRequest(requirements=("plain",))
    assert uv_install_into_directory(tmp_path / "site", request, _run(house, tmp_path)) == {}
    assert (tmp_path / "site" / "plain.py").is_file()


def test_failure_is_one_line_naming_what_it_installed(tmp_path: Path) -> None:
    house = tmp_path / "wheels"
    write_wheel(house, "plain", "1.0", {"plain.py": ""})
    request = PipRequest(requirements=("plain>5",))
    with pytest.raises(StagingError) as caught:
        uv_install_into_directory(tmp_path / "site", request, _run(house, tmp_path))
    assert str(caught.value) == (
        "uv could not install the project's dependencies: No solution found when resolving "
        "dependencies: Because only plain==1.0 is available and you require plain>5, we can "
        "conclude that your requirements are unsatisfiable; uv's last lines are above; -v "
        "shows all of its output"
    )
    assert not (tmp_path / "site").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wheels"]  # no prefix left behind


def test_a_wrong_hash_is_refused(tmp_path: Path) -> None:
    house = tmp_path / "wheels"
    write_wheel(house, "plain", "1.0", {"plain.py": ""})
    pins = tmp_path / "pins.txt"
    pins.write_text("plain==1.0 --hash=sha256:" + "0" * 64 + "\n")
    request = PipRequest(requirement_files=(pins,), require_hashes=True)
    with pytest.raises(StagingError) as caught:
        uv_install_into_directory(tmp_path / "site", request, _run(house, tmp_path))
    assert str(caught.value).startswith(
        "uv could not install the project's dependencies: Failed to download `plain==1.0`: "
        "Hash mismatch for `plain==1.0`"
    )


def test_a_run_past_its_timeout_is_ended(tmp_path: Path) -> None:
    house = tmp_path / "wheels"
    write_wheel(house, "plain", "1.0", {"plain.py": ""})
    settings = ToolSettings(timeout=0.001, temp_dir=tmp_path)
    with pytest.raises(ToolTimeoutError) as caught:
        run = _run(house, tmp_path, settings=settings)
        uv_install_into_directory(tmp_path / "site", PipRequest(requirements=("plain",)), run)
    assert str(caught.value).startswith(
        "uv installing the project's dependencies did not finish within 0.001 s"
    )


def test_build_requirements_go_into_the_environment_with_their_markers(tmp_path: Path) -> None:
    house = tmp_path / "wheels"
    write_wheel(house, "needed", "1.0", {"needed.py": ""})
    write_wheel(house, "unneeded", "1.0", {"unneeded.py": ""})
    venv.create(tmp_path / "env", with_pip=False)
    python = TargetVenv.at(tmp_path / "env").python_executable
    run = UvRun(python, IndexOptions((str(house),), True, "uv"), ToolSettings(), "build reqs")
    uv_install_into_environment(["needed", "unneeded; python_version < '3'"], run)
    site = next(tmp_path.glob("env/[Ll]ib/**/site-packages"))
    assert (site / "needed.py").is_file()
    assert not (site / "unneeded.py").exists()


def test_a_local_wheel_has_the_hash_of_its_file_as_pip_reports_it(tmp_path: Path) -> None:
    house = tmp_path / "wheels"
    wheel = write_wheel(house, "plain", "1.0", {"plain.py": ""})
    request = PipRequest(requirements=(str(wheel),), report=tmp_path / "report")
    hashes = uv_install_into_directory(tmp_path / "site", request, _run(house, tmp_path))
    assert hashes == {"plain": hashlib.sha256(wheel.read_bytes()).hexdigest()}


def test_nothing_to_install_leaves_an_empty_directory(tmp_path: Path) -> None:
    house = tmp_path / "wheels"
    write_wheel(house, "plain", "1.0", {"plain.py": ""})
    request = PipRequest(requirements=("plain; python_version < '3'",), report=tmp_path / "r")
    assert uv_install_into_directory(tmp_path / "site", request, _run(house, tmp_path)) == {}
    assert list((tmp_path / "site").iterdir()) == []
