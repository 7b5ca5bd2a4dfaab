"""Native code: wheel tags, platforms, and what compiled code was built for."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.plan.native import _built_for, platforms_of_tag, wheel_tags

# -- native tags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "platforms"),
    [
        ("manylinux_2_17_x86_64", [("linux", "x86_64", "glibc")]),
        ("manylinux2014_aarch64", [("linux", "aarch64", "glibc")]),
        ("manylinux1_i686", [("linux", "x86", "glibc")]),
        ("musllinux_1_2_x86_64", [("linux", "x86_64", "musl")]),
        ("linux_x86_64", [("linux", "x86_64", "")]),
        ("macosx_11_0_arm64", [("darwin", "aarch64", "")]),
        ("macosx_10_9_universal2", [("darwin", "x86_64", ""), ("darwin", "aarch64", "")]),
        ("win_amd64", [("win32", "x86_64", "")]),
        ("win32", [("win32", "x86", "")]),
        ("any", []),
        ("android_21_arm64_v8a", []),
    ],
)
def test_wheel_platform_tags(tag: str, platforms: list[tuple[str, str, str]]) -> None:
    assert platforms_of_tag(tag) == platforms


def test_wheel_tags_are_read_and_expanded(tmp_path: Path) -> None:
    (tmp_path / "WHEEL").write_text(
        "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n"
        "Tag: cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64\n"
        "Tag: cp311-cp311-musllinux_1_1_x86_64\n"
    )
    assert wheel_tags(tmp_path) == [
        "cp311-cp311-manylinux2014_x86_64",
        "cp311-cp311-manylinux_2_17_x86_64",
        "cp311-cp311-musllinux_1_1_x86_64",
    ]
    assert wheel_tags(tmp_path / "missing") == []


def test_what_native_code_was_built_for() -> None:
    assert (
        _built_for(
            [".cpython-311-x86_64-linux-gnu.so"], ["cp311-cp311-manylinux_2_17_x86_64"], None
        )
        == "CPython 3.11 on linux x86_64 (cp311-cp311-manylinux_2_17_x86_64)"
    )
    assert (
        _built_for([".abi3.so"], ["cp38-abi3-macosx_11_0_arm64"], (3, 8))
        == "CPython 3.8+ (stable ABI) on darwin aarch64 (cp38-abi3-macosx_11_0_arm64)"
    )
    assert _built_for([".cpython-312-x86_64-linux-gnu.so"], [], None) == (
        "CPython 3.12 on linux x86_64"
    )
