"""Large members as streams: checked before any byte is handed out, memory flat."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

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


# -- writing members out ------------------------------------------------------------------

WRITTEN = [ZEROS, "demo/data/nested/blob.bin", "demo/data/words.txt", "demo/cli.py"]


def _jobs(tmp_path: Path) -> list[tuple[str, str, int]]:
    return [(member, str(tmp_path / member.replace("/", "_")), 0o600) for member in WRITTEN]


def test_members_are_written_whole_with_their_mode(archive: Archive, tmp_path: Path) -> None:
    stream.write_members(archive, _jobs(tmp_path))
    for member, path, _mode in _jobs(tmp_path):
        assert Path(path).read_bytes() == DEMO_FILES[member]
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_damaged_member_raises_and_leaves_no_file_of_it(
    archive: Archive, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stream, "STREAM_THRESHOLD", 1000)  # streamed: found at its end
    offset, compressed, size, method, crc = archive.files[ZEROS]
    archive.files._data[ZEROS] = (offset, compressed, size, method, crc ^ 1)  # type: ignore[attr-defined]
    with pytest.raises(ArchiveDamaged):
        stream.write_members(archive, _jobs(tmp_path))
    assert not (tmp_path / ZEROS.replace("/", "_")).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_make_durable_syncs_each_file_once(
    archive: Archive, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    jobs = _jobs(tmp_path)
    stream.write_members(archive, jobs)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(
        os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_ino), real_fsync(fd))
    )
    stream.make_durable([path for _member, path, _mode in jobs])
    assert synced == [os.stat(path).st_ino for _member, path, _mode in jobs]
