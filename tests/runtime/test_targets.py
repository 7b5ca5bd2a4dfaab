"""Which target this interpreter is: its ABI and platform tags as ``packaging.tags``
computes them, and the choice among an archive's targets."""

from __future__ import annotations

import _imp
import sys
from unittest import mock

import pytest
from packaging import tags

from bundler.runtime import targets
from bundler.runtime.targets import (
    describe_running,
    describe_targets,
    interpreter_abi,
    mac_tags,
    manylinux_tags,
    platform_tags,
    select_target,
    target_record,
)

HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"
ABI = interpreter_abi(_imp.extension_suffixes())
VERSION = (sys.version_info[0], sys.version_info[1])


def test_this_machines_platform_tags_are_packagings() -> None:
    assert set(platform_tags()) == set(tags.platform_tags())


def test_this_interpreters_abi_is_packagings() -> None:
    assert next(iter(tags.sys_tags())).abi == ABI


@pytest.mark.parametrize("version", [(10, 3), (10, 9), (10, 15), (11, 0), (12, 5), (15, 0)])
@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_mac_tags_are_packagings(version: tuple[int, int], arch: str) -> None:
    assert list(mac_tags(version, arch)) == list(tags.mac_platforms(version, arch))


def test_mac_release_is_read_from_the_darwin_kernel() -> None:
    uname = mock.Mock(release="23.4.0", machine="arm64")
    with mock.patch.object(targets.os, "uname", return_value=uname):
        found = list(platform_tags("darwin", "arm64"))
    assert found[:2] == ["macosx_14_0_arm64", "macosx_14_0_universal2"]
    assert "macosx_11_0_arm64" in found and "macosx_15_0_arm64" not in found


def test_linux_tags_follow_glibc_and_the_legacy_names() -> None:
    assert list(platform_tags("linux", "aarch64", "glibc 2.18")) == [
        "manylinux_2_18_aarch64",
        "manylinux_2_17_aarch64",
        "manylinux2014_aarch64",
        "linux_aarch64",
    ]
    found = list(platform_tags("linux", "x86_64", "glibc 2.12"))
    assert found[:2] == ["manylinux_2_12_x86_64", "manylinux2010_x86_64"]
    assert found[-2:] == ["manylinux1_x86_64", "linux_x86_64"]
    assert list(manylinux_tags("x86_64", (3, 1))) == []


def test_musl_and_an_unknown_libc() -> None:
    assert list(platform_tags("linux", "x86_64", "musl")) == [
        "musllinux_1_2_x86_64",
        "musllinux_1_1_x86_64",
        "musllinux_1_0_x86_64",
        "linux_x86_64",
    ]
    assert list(platform_tags("linux", "riscv64", "")) == ["linux_riscv64"]


def test_windows_tags_name_the_interpreters_width_and_machine() -> None:
    assert list(platform_tags("win32", "AMD64")) == ["win_amd64"]
    assert list(platform_tags("win32", "ARM64")) == ["win_arm64"]
    with mock.patch.object(targets.sys, "maxsize", 2**31 - 1):
        assert list(platform_tags("win32", "AMD64")) == ["win32"]


@pytest.mark.parametrize(
    ("suffixes", "abi"),
    [
        ([".cpython-313t-x86_64-linux-gnu.so", ".so"], "cp313t"),
        ([".cpython-39-darwin.so"], "cp39"),
        ([".cp312-win_amd64.pyd", ".pyd"], "cp312"),
        ([".pypy310-pp73-x86_64-linux-gnu.so"], "pypy310_pp73"),
        ([".abi3.so", ".so"], "none"),
    ],
)
def test_abi_is_read_from_the_extension_suffixes(suffixes: list[str], abi: str) -> None:
    assert interpreter_abi(suffixes) == abi


def _record(name: str, version: tuple[int, int], platform: str, member: str) -> tuple:
    return target_record(name, "cp", version, f"cp{version[0]}{version[1]}", platform, member)


def test_the_first_target_this_interpreter_runs_is_chosen() -> None:
    linux = next(iter(platform_tags()))
    records = (
        _record("older", (3, 8), linux, "a"),
        _record("windows", VERSION, "win_amd64", "b"),
        _record("here", VERSION, linux, "c"),
        _record("also-here", VERSION, "linux_x86_64", "d"),
    )
    assert select_target(records) == records[2]
    assert select_target(records[:2]) is None
    other_abi = (("t", "cp", VERSION, ABI + "t", linux, "e"),)
    assert select_target(other_abi) is None
    pypy = (("p", "pp", VERSION, ABI, linux, "f"),)
    assert select_target(pypy) is None


def test_targets_and_this_interpreter_are_named_for_messages() -> None:
    records = (_record("cp39-win_amd64", (3, 9), "win_amd64", "a"), _record("x", (3, 9), "y", "b"))
    assert describe_targets(records) == "cp39-win_amd64, x"
    assert describe_running() == f"{ABI}-{next(iter(platform_tags()))}"


def test_windows_machine_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(targets.os, "uname", None, raising=False)  # Windows has none
    monkeypatch.setenv("PROCESSOR_ARCHITECTURE", "ARM64")
    assert list(platform_tags("win32")) == ["win_arm64"]
    monkeypatch.delenv("PROCESSOR_ARCHITECTURE")
    assert list(platform_tags("win32")) == ["win_amd64"]
