"""Large members as streams: checked before any byte is handed out, memory flat."""

from __future__ import annotations

import io

import pytest

from bundler.runtime import ArchiveDamaged, stream
from bundler.runtime.reader import Archive
from tests.runtime.conftest import DEMO_FILES

ZEROS = "demo/data/zeros.bin"


def test_large_member_streams_in_blocks_with_its_bytes(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "STREAM_THRESHOLD", 1000)
    monkeypatch.setattr(stream, "_BLOCK", 4096)
    opened = stream.open_member(archive, ZEROS)
    assert not isinstance(opened, io.BytesIO)
    assert opened.read(16) == bytes(16)
    assert opened.read() == DEMO_FILES[ZEROS][16:]
    blocks = list(stream.member_blocks(archive, ZEROS))
    assert max(map(len, blocks)) == 4096 and b"".join(blocks) == DEMO_FILES[ZEROS]


def test_large_member_that_does_not_match_is_refused_before_any_byte(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "STREAM_THRESHOLD", 1000)
    offset, compressed, size, method, crc = archive.files[ZEROS]
    archive.files._data[ZEROS] = (offset, compressed, size, method, crc ^ 1)  # type: ignore[attr-defined]
    with pytest.raises(ArchiveDamaged):
        stream.open_member(archive, ZEROS)
