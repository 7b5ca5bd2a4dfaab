"""How a target is written and checked, and what pip is told to install for a target that
has no interpreter here."""

from __future__ import annotations

import sysconfig

import pytest
from packaging import tags

from bundler.errors import TargetError
from bundler.targets import (
    ACCEPTED_FORMS,
    ForeignTarget,
    TargetSpec,
    foreign_targets,
    host_platform,
    parse_target,
)


@pytest.mark.parametrize(
    ("written", "spec"),
    [
        ("3.12", TargetSpec((3, 12), None)),
        ("3.9/manylinux_2_28_aarch64", TargetSpec((3, 9), "manylinux_2_28_aarch64")),
        ("cp313-win_amd64", TargetSpec((3, 13), "win_amd64")),
        ("macosx_11_0_arm64", TargetSpec(None, "macosx_11_0_arm64")),
        (" musllinux_1_2_x86_64 ", TargetSpec(None, "musllinux_1_2_x86_64")),
        ("3.11/manylinux2014_x86_64", TargetSpec((3, 11), "manylinux2014_x86_64")),
    ],
)
def test_the_forms_a_target_is_written_in(written: str, spec: TargetSpec) -> None:
    assert parse_target(written) == spec


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "manylinux_x86_64",
            f"unknown platform tag 'manylinux_x86_64': expected {ACCEPTED_FORMS}",
        ),
        (
            "3.12/win_amd65",
            f"unknown platform tag 'win_amd65' (in target '3.12/win_amd65'): expected "
            f"{ACCEPTED_FORMS}",
        ),
        (
            "3.x",
            "unknown target Python '3.x': write a version such as 3.12 (targets are written "
            "3.12, 3.12/PLATFORM, cp312-PLATFORM or PLATFORM)",
        ),
        ("3.8", "target Python 3.8 is too old: archives run on Python 3.9 and later"),
        ("cp38-win_amd64", "target Python 3.8 is too old: archives run on Python 3.9 and later"),
    ],
)
def test_a_wrong_target_is_one_line(written: str, message: str) -> None:
    with pytest.raises(TargetError) as caught:
        parse_target(written)
    assert str(caught.value) == message
    assert caught.value.exit_status == 2


def test_each_python_on_each_platform_once() -> None:
    found = foreign_targets(["3.9"], ["3.12", "3.13"], ["win_amd64", "win_amd64", "win32"])
    assert found == (
        TargetSpec((3, 9), None),
        TargetSpec((3, 12), "win_amd64"),
        TargetSpec((3, 12), "win32"),
        TargetSpec((3, 13), "win_amd64"),
        TargetSpec((3, 13), "win32"),
    )
    assert foreign_targets([], [], ["win_amd64"]) == (TargetSpec(None, "win_amd64"),)
    assert foreign_targets([], [], []) == ()


def test_a_target_without_python_takes_the_builds() -> None:
    assert TargetSpec(None, "win32").pinned((3, 11)) == ForeignTarget((3, 11), "win32")
    assert TargetSpec((3, 9), None).pinned((3, 11)) == ForeignTarget((3, 9), host_platform())


def test_pip_options_widen_manylinux_and_macos_to_older_releases() -> None:
    options = ForeignTarget((3, 10), "manylinux_2_28_aarch64").pip_options()
    assert options[:8] == (
        "--python-version", "3.10", "--implementation", "cp", "--abi", "cp310",
        "--only-binary", ":all:",
    )  # fmt: skip
    platforms = options[9::2]
    assert platforms[0] == "manylinux_2_28_aarch64"
    assert platforms[-2:] == ("manylinux_2_17_aarch64", "manylinux2014_aarch64")
    mac = ForeignTarget((3, 12), "macosx_11_0_arm64").platforms()
    assert mac == tuple(tags.mac_platforms((11, 0), "arm64"))
    assert ForeignTarget((3, 12), "manylinux1_x86_64").platforms()[-1] == "manylinux1_x86_64"
    musl = ForeignTarget((3, 12), "musllinux_1_1_x86_64").platforms()
    assert musl == ("musllinux_1_1_x86_64", "musllinux_1_0_x86_64")
    assert ForeignTarget((3, 12), "win_amd64").platforms() == ("win_amd64",)


def test_this_kind_of_machine_accepts_what_this_interpreter_does() -> None:
    here = ForeignTarget((3, 9), host_platform())
    assert here.is_host and here.name == f"cp39-{host_platform()}"
    assert set(here.platforms()) == set(tags.platform_tags())
    assert here.sysconfig_platform() == sysconfig.get_platform()


def test_wheel_tags_are_packagings_for_the_target() -> None:
    target = ForeignTarget((3, 9), "win_amd64")
    expected = [*tags.cpython_tags((3, 9), ["cp39"], ["win_amd64"])]
    expected += tags.compatible_tags((3, 9), "cp39", ["win_amd64"])
    assert target.wheel_tags() == tuple(str(tag) for tag in expected)
    assert target.wheel_tags()[0] == "cp39-cp39-win_amd64"


@pytest.mark.parametrize(
    ("platform", "system", "machine", "suffix", "spelled"),
    [
        ("win_amd64", "Windows", "AMD64", ".cp311-win_amd64.pyd", "win-amd64"),
        ("win32", "Windows", "x86", ".cp311-win32.pyd", "win32"),
        ("macosx_11_0_arm64", "Darwin", "arm64", ".cpython-311-darwin.so", "macosx-11.0-arm64"),
        (
            "manylinux_2_28_aarch64",
            "Linux",
            "aarch64",
            ".cpython-311-aarch64-linux-gnu.so",
            "linux-aarch64",
        ),
        (
            "musllinux_1_2_x86_64",
            "Linux",
            "x86_64",
            ".cpython-311-x86_64-linux-musl.so",
            "linux-x86_64",
        ),
    ],
)
def test_markers_suffixes_and_platform_of_a_target(
    platform: str, system: str, machine: str, suffix: str, spelled: str
) -> None:
    target = ForeignTarget((3, 11), platform)
    markers = target.markers()
    assert (markers["platform_system"], markers["platform_machine"]) == (system, machine)
    assert markers["python_version"] == "3.11"
    assert markers["os_name"] == ("nt" if system == "Windows" else "posix")
    assert target.extension_suffixes()[0] == suffix
    assert target.sysconfig_platform() == spelled
