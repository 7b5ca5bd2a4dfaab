"""Which bundled libraries a shared object loads: its DT_NEEDED names resolved through
its RPATH/RUNPATH as the dynamic loader does, then through the libraries it loads."""

from __future__ import annotations

from pathlib import Path

from bundler.plan.linking import Linker
from tests.helpers.elf import elf_object


def _linker(files: dict[str, bytes], libraries: tuple[str, ...] | None = None) -> Linker:
    chosen = libraries if libraries is not None else tuple(f for f in files if ".libs/" in f)
    return Linker(files, chosen)


def test_origin_relative_paths_resolve_in_the_payload() -> None:
    linker = _linker(
        {
            "pkg/sub/ext.so": elf_object(
                ["liba.so", "libb.so", "libc.so.6"], rpath="${ORIGIN}/../../pkg.libs"
            ),
            "pkg.libs/liba.so": elf_object(),
            "pkg.libs/libb.so": elf_object(),
            "other.libs/liba.so": elf_object(),
        }
    )
    assert linker.direct("pkg/sub/ext.so") == ("pkg.libs/liba.so", "pkg.libs/libb.so")


def test_top_level_module_resolves_beside_itself() -> None:
    linker = _linker(
        {"ext.so": elf_object(["libz.so"], rpath="$ORIGIN/ext.libs"), "ext.libs/libz.so": b"x"}
    )
    assert linker.direct("ext.so") == ("ext.libs/libz.so",)


def test_a_bundled_library_no_search_path_finds_is_still_counted() -> None:
    """The loader may find it another way (a library loaded before, LD_LIBRARY_PATH)."""
    linker = _linker({"ext.so": elf_object(["libz.so"], rpath="/usr/lib"), "z.libs/libz.so": b""})
    assert linker.direct("ext.so") == ("z.libs/libz.so",)


def test_closure_follows_libraries_through_cycles() -> None:
    linker = _linker(
        {
            "ext.so": elf_object(["liba.so"], rpath="$ORIGIN/x.libs"),
            "x.libs/liba.so": elf_object(["libb.so"], rpath="$ORIGIN"),
            "x.libs/libb.so": elf_object(["liba.so", "libm.so.6"], rpath="$ORIGIN"),
            "x.libs/libunused.so": elf_object(),
        }
    )
    assert linker.closure("ext.so") == ("x.libs/liba.so", "x.libs/libb.so")
    loads, unreached = linker.plan(
        ["ext.so"], ["x.libs/liba.so", "x.libs/libb.so", "x.libs/libunused.so"]
    ) or ({}, ())
    assert (loads, unreached) == (
        {"ext.so": ("x.libs/liba.so", "x.libs/libb.so")},
        ("x.libs/libunused.so",),
    )


def test_what_is_not_elf_makes_the_answer_unknown(tmp_path: Path) -> None:
    source = tmp_path / "liba.so"
    source.write_bytes(b"MZ\x90\x00 (a Windows DLL)")
    files: dict[str, Path | bytes] = {
        "ext.so": elf_object(["liba.so"], rpath="$ORIGIN/x.libs"),
        "x.libs/liba.so": source,  # read from the file the payload names
    }
    linker = Linker(files, ("x.libs/liba.so",))
    assert linker.direct("ext.so") == ("x.libs/liba.so",)
    assert linker.closure("ext.so") is None
    assert linker.plan(["ext.so"], ["x.libs/liba.so"]) is None
