"""Large payload members as streams: read in blocks, inflated with the same bound, and
checked, so that memory does not grow with the member (resources, extraction); and
members written out as files, then made durable together.

Not imported at start: only when the app opens a resource or a unit is extracted.
"""

import io
import os
import zlib

from . import DEFLATED, FILE_SIZE, ArchiveDamaged, BootError
from .cache import AtomicFile
from .reader import STREAM_THRESHOLD

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, BinaryIO

    from . import FileRecord
    from .reader import Archive, _ArchiveFile

_BLOCK = 1 << 20  # what a large member is read and inflated in


def open_member(archive: "Archive", member: str) -> "BinaryIO":
    """A binary stream of ``member``. A large member is checked in a first pass, then
    streamed: its bytes are never all in memory, and never handed out unchecked."""
    record = archive.files.get(member)
    if record is None:
        raise FileNotFoundError(2, "No such file in archive", archive.path_of(member))
    if _size(record, archive.path) <= STREAM_THRESHOLD:
        return io.BytesIO(archive.read(member))
    for _block in _blocks(archive.file, record, member):
        pass  # the last block raises ArchiveDamaged if the CRC does not match
    return io.BufferedReader(_BlockStream(_blocks(archive.file, record, member)), _BLOCK)


def member_blocks(archive: "Archive", member: str) -> "Iterator[bytes]":
    """The bytes of ``member`` in blocks; the last step raises ArchiveDamaged if they do
    not match its CRC (a caller that writes them out discards what it wrote)."""
    record = archive.files[member]
    if _size(record, archive.path) <= STREAM_THRESHOLD:
        return iter((archive.read(member),))
    return _blocks(archive.file, record, member)


def _blocks(file: "_ArchiveFile", record: "FileRecord", member: str) -> "Iterator[bytes]":
    """A member's bytes in blocks of at most _BLOCK bytes, inflated with the same
    bound; the last step checks the size and the CRC."""
    offset, compressed, size, method, crc = record
    inflater = zlib.decompressobj(-15) if method == DEFLATED else None
    end, produced, running = offset + compressed, 0, 0
    while offset < end or (inflater is not None and inflater.unconsumed_tail):
        if inflater is None or not inflater.unconsumed_tail:
            raw = file.read_at(offset, min(_BLOCK, end - offset))
            offset += len(raw)
        else:
            raw = inflater.unconsumed_tail
        try:
            data = raw if inflater is None else inflater.decompress(raw, _BLOCK)
        except zlib.error:
            raise file.damaged(member) from None
        produced += len(data)
        if produced > size:
            raise file.damaged(member)
        running = zlib.crc32(data, running)
        yield data
    complete = inflater is None or (inflater.eof and not inflater.unused_data)
    if not complete or produced != size or running != crc:
        raise file.damaged(member)


class _BlockStream(io.RawIOBase):
    """A raw, read-only stream over an iterator of blocks (``_ArchiveFile.blocks``)."""

    def __init__(self, blocks: "Iterator[bytes]") -> None:
        self._blocks = blocks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "Any") -> int:
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._pending = memoryview(block)
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def _size(record: "FileRecord", path: str) -> int:
    """A file record's size, or ArchiveDamaged if the record is not one."""
    try:
        size: int = record[FILE_SIZE]
        return size
    except (TypeError, IndexError, KeyError):
        raise ArchiveDamaged(f"{path} is corrupt (index); rebuild or re-download it") from None


def write_members(archive: "Archive", jobs: "Sequence[tuple[str, str, int]]") -> None:
    """Write each ``(member, path, mode)`` to ``path`` (atomically: a temporary file
    renamed into place), not yet durable (``make_durable``)."""
    for member, path, mode in jobs:
        try:
            with AtomicFile(path, mode, sync=False) as stream:
                for block in member_blocks(archive, member):
                    stream.write(block)
        except OSError as exc:
            if exc.filename or isinstance(exc, BootError):
                raise
            raise OSError(exc.errno, exc.strerror, path) from None  # a full disk: where


def make_durable(paths: "Sequence[str]") -> None:
    """``fsync`` every file of ``paths``, in one pass after they were all written: what
    the completion marker written next stands for survives a power loss. (The marker
    itself needs no sync: a marker lost only means extracting again.)"""
    access = os.O_RDWR if os.name == "nt" else os.O_RDONLY  # Windows syncs writable handles
    flags = access | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for path in paths:
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
