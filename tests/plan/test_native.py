"""Native code: wheel tags, platforms, and what compiled code was built for."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.plan.native import (
    ElfLinks,
    _built_for,
    elf_links,
    library_folder,
    platforms_of_tag,
    wheel_tags,
)
from tests.helpers.cext import EXTENSION_SUFFIX, compile_extension, compile_library, have_compiler
from tests.helpers.elf import elf_object

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


# -- ELF dynamic sections ------------------------------------------------------------------


@pytest.mark.parametrize("wide", [True, False])
@pytest.mark.parametrize("little", [True, False])
def test_needed_libraries_and_search_paths_of_any_elf_class_and_order(
    wide: bool, little: bool
) -> None:
    data = elf_object(
        ["liba.so.1", "libc.so.6"], rpath="$ORIGIN/../x.libs:/opt/lib", wide=wide, little=little
    )
    assert elf_links(data) == ElfLinks(
        ("liba.so.1", "libc.so.6"), ("$ORIGIN/../x.libs", "/opt/lib")
    )


def test_runpath_wins_over_rpath_as_for_the_loader() -> None:
    data = elf_object(["liba.so"], rpath="$ORIGIN/old", runpath="$ORIGIN/new")
    assert elf_links(data) == ElfLinks(("liba.so",), ("$ORIGIN/new",))


@pytest.mark.parametrize(
    "data",
    [b"", b"\xcf\xfa\xed\xfe" + bytes(60), b"MZ" + bytes(100), elf_object(["liba.so"])[:100]],
    ids=["empty", "mach-o", "pe", "truncated"],
)
def test_what_cannot_be_read_as_elf_is_unknown(data: bytes) -> None:
    assert elf_links(data) is None


@pytest.mark.skipif(not have_compiler(), reason="needs gcc and Python headers")
def test_what_gcc_links_is_read(tmp_path: Path) -> None:
    """A real extension, linked by gcc against a library with an $ORIGIN RPATH."""
    library = compile_library("int foo(void) { return 1; }\n", tmp_path / "x.libs" / "libfoo.so")
    extension = compile_extension(
        "#include <Python.h>\nint foo(void);\nint use(void) { return foo(); }\n",
        tmp_path / "pkg" / f"ext{EXTENSION_SUFFIX}",
        libraries=["foo"],
        library_dirs=[library.parent],
        rpath="$ORIGIN/../x.libs",
    )
    links = elf_links(extension.read_bytes())
    assert links is not None
    assert "libfoo.so" in links.needed
    assert links.search == ("$ORIGIN/../x.libs",)


@pytest.mark.parametrize(
    ("key", "folder"),
    [
        ("numpy.libs/", "numpy.libs"),
        ("numpy.libs/libopenblas.so", "numpy.libs"),
        ("pkg/.dylibs/libz.dylib", "pkg/.dylibs"),
        ("pkg/.dylibs/", "pkg/.dylibs"),
        ("numpy/_core", None),
        ("numpy/_core/_multiarray_umath.so", None),
        ("pkg/", None),
    ],
)
def test_library_folder_of_a_unit(key: str, folder: str | None) -> None:
    assert library_folder(key) == folder
