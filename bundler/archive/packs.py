"""Source packs for the writer: the payload's Python sources, LZMA-compressed in blocks.

The runtime reads them back through ``bundler.runtime.packs``; the record of a packed
member is described in ``bundler.runtime`` (``PACKED``). Members go in name order, so a
pack holds neighbouring files of one package; a pack is closed once it holds
``PACK_TARGET`` bytes. Compressing is the slow part of writing an archive (about 2 s of
LZMA for pygments' 4.5 MB of sources), so each pack's result is cached by its content,
and packs are compressed on both cores (lzma releases the GIL).
"""

from __future__ import annotations

import hashlib
import lzma
import os
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from bundler.archive.index import ArchiveInfo
from bundler.caches.content import ContentStore, content_key
from bundler.plan.payload import Payload, file_size
from bundler.runtime import PACK_DICT_SIZE, PACKED, SOURCE, file_record

if TYPE_CHECKING:
    from bundler.runtime import FileRecord

__all__ = [
    "PACK_TARGET",
    "SourcePacks",
    "hot_members",
    "is_packable",
    "pack_sources",
    "packed_members",
    "write_packs",
]

PACK_TARGET = 256 << 10  # bytes of sources per pack: ~3 ms to inflate, 1-2% above one stream
_LARGEST = 1 << 20  # a larger source is deflated on its own: a pack stays small to read
_PRESET = 6
_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": _PRESET, "dict_size": PACK_DICT_SIZE}]


def is_packable(member: str, size: int) -> bool:
    """Whether a payload member goes into a source pack: a Python source up to 1 MiB."""
    return member.endswith(".py") and size <= _LARGEST


def packed_members(payload: Payload, info: ArchiveInfo) -> list[str]:
    """The payload members that go into source packs, in name order."""
    if not info.pack_sources:
        return []
    return sorted(m for m in payload.files if is_packable(m, file_size(payload.files[m])))


def hot_members(payload: Payload, info: ArchiveInfo) -> frozenset[str]:
    """The sources that get bytecode: those of the modules a run is likely to import
    (``info.bytecode_for``; None: every ``.py`` file), none without ``compile``."""
    if not info.compile:
        return frozenset()
    if info.bytecode_for is None:
        return frozenset(member for member in payload.files if member.endswith(".py"))
    wanted = info.bytecode_for
    return frozenset(
        module.member
        for module in payload.modules
        if module.name in wanted and module.load == SOURCE and module.member
    )


@dataclass(frozen=True)
class SourcePacks:
    """The compressed packs and the file record of every member they hold (its ``offset``
    is a position in the unpacked pack, its ``compressed`` the pack's number)."""

    blobs: tuple[bytes, ...]
    sizes: tuple[int, ...]  # unpacked size of each pack
    records: Mapping[str, FileRecord]
    digest: bytes  # sha256 of the packed members' names and bytes: the content hash has it


def pack_sources(sources: Iterable[tuple[str, bytes]], cache: Path | None) -> SourcePacks:
    """Pack ``sources`` ((member, bytes), in member order); compressed packs are kept in
    and taken from ``cache`` (``<build cache>/results/packs``) by their content."""
    groups: list[list[bytes]] = [[]]
    records: dict[str, FileRecord] = {}
    position = 0
    digest = hashlib.sha256()
    for member, data in sources:
        digest.update(content_key(member.encode(), data).encode())
        if position >= PACK_TARGET:
            groups.append([])
            position = 0
        records[member] = file_record(
            position, len(groups) - 1, len(data), PACKED, zlib.crc32(data)
        )
        groups[-1].append(data)
        position += len(data)
    raw = [b"".join(group) for group in groups if group]
    store = ContentStore(cache)
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        blobs = tuple(pool.map(lambda data: _compress(data, store), raw))
    return SourcePacks(blobs, tuple(len(data) for data in raw), records, digest.digest())


def write_packs(
    archive: zipfile.ZipFile, outer: IO[bytes], packs: SourcePacks, entry: zipfile.ZipInfo
) -> tuple[tuple[int, int, int], ...]:
    """Store the source packs as member ``entry`` (stored) of the outer zip ``archive``
    that writes to ``outer``; returns each pack's (offset, size, unpacked size) there."""
    entry.file_size = sum(len(blob) for blob in packs.blobs)
    table = []
    with archive.open(entry, "w") as target:
        position = outer.tell()
        for blob, size in zip(packs.blobs, packs.sizes):
            table.append((position, len(blob), size))
            target.write(blob)
            position += len(blob)
    return tuple(table)


def _compress(data: bytes, store: ContentStore) -> bytes:
    key = content_key(b"lzma2-raw", str(_FILTERS).encode(), data)
    cached = store.get(key)
    # Each entry starts with its blob's CRC: a damaged entry is made again, never shipped.
    if cached is not None and cached[:4] == zlib.crc32(cached[4:]).to_bytes(4, "little"):
        return cached[4:]
    blob = lzma.compress(data, lzma.FORMAT_RAW, filters=_FILTERS)
    store.put(key, zlib.crc32(blob).to_bytes(4, "little") + blob)
    return blob
