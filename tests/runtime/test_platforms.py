"""What this interpreter can load: its platform, and extension suffixes and wheel tags."""

from __future__ import annotations

import sys

import pytest

from bundler.runtime.platforms import (
    describe_interpreter,
    describe_suffix,
    detect_platform,
    loadable,
    normalise_machine,
)

HERE = detect_platform()
SUFFIX = __import__("_imp").extension_suffixes()[0]


@pytest.mark.parametrize(
    ("spelled", "normal"),
    [
        ("AMD64", "x86_64"),
        ("x64", "x86_64"),
        ("arm64", "aarch64"),
        ("i686", "x86"),
        ("ppc64le", "ppc64le"),
    ],
)
def test_machine_names_are_spelled_one_way(spelled: str, normal: str) -> None:
    assert normalise_machine(spelled) == normal


def test_linux_libc_is_read_from_the_extension_suffixes() -> None:
    musl = ".cpython-312-x86_64-linux-musl.so"
    assert detect_platform("linux", "x86_64", [musl]) == ("linux", "x86_64", "musl")
    gnu = ".cpython-312-x86_64-linux-gnu.so"
    assert detect_platform("linux", "AMD64", [gnu]) == ("linux", "x86_64", "glibc")
    assert detect_platform("darwin", "arm64") == ("darwin", "aarch64", "")


def test_suffix_of_another_python_does_not_load() -> None:
    assert loadable(".cpython-30-x86_64-linux-gnu.so", None, HERE) is False
    assert loadable(SUFFIX, None, HERE) is True


def test_wheel_platforms_and_abi3_floor_are_checked() -> None:
    elsewhere = ("haiku", HERE[1], "")
    assert loadable(SUFFIX, ("demo 1", "x", (elsewhere,), None), HERE) is False
    any_libc = (HERE[0], HERE[1], "")
    assert loadable(SUFFIX, ("demo 1", "x", (any_libc,), None), HERE) is True
    if ".abi3.so" in __import__("_imp").extension_suffixes():
        newer = (sys.version_info[0], sys.version_info[1] + 1)
        assert loadable(".abi3.so", ("demo 1", "x", (HERE,), newer), HERE) is False


def test_descriptions_for_messages() -> None:
    assert describe_suffix(".cpython-39-x86_64-linux-gnu.so") == "CPython 3.9 (x86_64-linux-gnu)"
    assert describe_suffix(".weird.so") == "files named *.weird.so"
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert describe_interpreter(("linux", "x86_64", "glibc")).endswith(
        f" {version} on linux x86_64"
    )
