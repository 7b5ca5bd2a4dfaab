"""Source packs as the runtime reads them (runtime/packs.py, through reader.Archive):
members read back, damage reported in one line, a Python without lzma told what to do."""

from __future__ import annotations

import lzma
import shutil
import sys
from pathlib import Path

import pytest

from bundler.runtime import PACK_DICT_SIZE, PACKED, ArchiveDamaged
from bundler.runtime.packs import Packs, PacksUnreadable
from tests.runtime.conftest import DEMO_FILES, BuiltArchive

CLI = "demo/cli.py"


def test_sources_are_packed_and_read_back(demo_archive: BuiltArchive) -> None:
    archive = demo_archive.open()
    assert archive.files[CLI][3] == PACKED
    assert archive.files["demo/data/words.txt"][3] != PACKED
    sources = {m: d for m, d in DEMO_FILES.items() if m.endswith(".py")}
    assert {member: archive.read(member) for member in sources} == sources


def test_a_damaged_pack_names_the_member_read(demo_archive: BuiltArchive, tmp_path: Path) -> None:
    copy = tmp_path / "copy.pyz"
    shutil.copyfile(demo_archive.path, copy)
    offset, compressed, _size = demo_archive.index["packs"][0]
    data = bytearray(copy.read_bytes())
    data[offset + compressed // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    archive = BuiltArchive(copy, demo_archive.index).open()
    with pytest.raises(ArchiveDamaged) as raised:
        archive.read(CLI)
    assert str(raised.value) == (
        f"{copy} is corrupt ({CLI} does not match its checksum); rebuild or re-download it"
    )


def test_a_python_without_lzma_is_told_how_to_rebuild(
    demo_archive: BuiltArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "lzma", None)  # import lzma raises ImportError
    with pytest.raises(PacksUnreadable) as raised:
        demo_archive.open().read(CLI)
    assert str(raised.value) == (
        f"{demo_archive.path} keeps its sources LZMA-compressed and this Python has no lzma "
        "module; rebuild the app with --sources files"
    )


def _packs(count: int) -> tuple[Packs, list[int]]:
    """``count`` packs of 4 bytes each ("P0..", "P1.."), and the offsets read."""
    filters = [{"id": lzma.FILTER_LZMA2, "dict_size": PACK_DICT_SIZE}]
    blobs = [
        lzma.compress(f"P{i}..".encode(), lzma.FORMAT_RAW, filters=filters) for i in range(count)
    ]
    blob = b"".join(blobs)
    table, offset = [], 0
    for packed in blobs:
        table.append((offset, len(packed), 4))
        offset += len(packed)
    reads: list[int] = []

    class File:
        path = "app.pyz"

        def read_at(self, at: int, size: int) -> bytes:
            reads.append(at)
            return blob[at : at + size]

    return Packs(File(), tuple(table)), reads


def test_the_last_two_packs_read_stay_inflated() -> None:
    packs, reads = _packs(3)
    assert packs.member(0, 0, 2) == b"P0"
    assert packs.member(1, 1, 3) == b"1.."
    assert packs.member(0, 2, 2) == b".."
    assert len(reads) == 2
    assert packs.member(2, 0, 2) == b"P2"  # evicts pack 0
    assert packs.member(0, 0, 2) == b"P0"
    assert len(reads) == 4


def test_a_pack_longer_than_recorded_is_refused() -> None:
    packs, _reads = _packs(1)
    packs._packs = ((packs._packs[0][0], packs._packs[0][1], 3),)
    with pytest.raises(ValueError):
        packs.member(0, 0, 3)
