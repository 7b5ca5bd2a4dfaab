"""Write the archive: a header (header.py), then a deterministic zip of payload, index, runtime.

Layout of the outer zip (what ``unzip -l app.pyz`` shows)::

    .bundle/payload.zip     stored (not compressed): the app's files, a zip of their own
    .bundle/chunks          stored: the index's chunks (index.py), read on first use
    .bundle/index           stored: the small table every start reads
    .bundle/manifest.json   the same facts for people and tools
    __main__.py             the stub Python runs; it starts _bundler_runtime
    _bundler_runtime/       the runtime, with bytecode beside each source for zipimport

The payload is nested so that the outer zip's directory stays small: Python's zipimport
parses that directory at every start, and the payload's members are found through the
index's byte offsets instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import bundler
from bundler import runtime
from bundler.archive.bytecode import BytecodeCache, bytecode_member, compile_pyc
from bundler.archive.header import sh_header
from bundler.archive.index import (
    MARSHAL_VERSION,
    ArchiveInfo,
    build_index,
    index_chunks,
    member_records,
    pack_index,
)
from bundler.archive.manifest import manifest_document
from bundler.archive.output import check_output_path, replacing
from bundler.archive.packs import (
    SourcePacks,
    hot_members,
    pack_sources,
    packed_members,
    write_packs,
)
from bundler.archive.stub import MAIN_STUB
from bundler.archive.targets import MergedTargets, TargetIndex, TargetPart, merge_targets
from bundler.caches.build import build_cache_root
from bundler.errors import BundleError, OutputError
from bundler.plan.extraction import ExtractionPlan
from bundler.plan.payload import Payload, read_file
from bundler.runtime import (
    CHUNKS_MEMBER,
    INDEX_MEMBER,
    MAIN_MEMBER,
    MANIFEST_MEMBER,
    PACKAGE_NAME,
    PACKS_MEMBER,
    PAYLOAD_MEMBER,
    RUNTIME_MEMBER,
    RUNTIME_OPTIMIZE,
    RUNTIME_REST_MEMBER,
    START_MODULES,
)

__all__ = ["ArchiveResult", "write_archive"]

# The runtime package that is copied into every archive.
_RUNTIME_DIR = Path(runtime.__file__).parent
# Runtime modules that zipimport loads: what a multiprocessing child imports before the
# first stage has run. Every other goes into the runtime members, the package and the first
# stage too (the stub runs those from them).
_ZIPIMPORTED = ("__init__", "first", "child")
_ZIPIMPORTED_ONLY = ("child",)
# Only an archive of several targets imports it (bootstrap._target_index).
_TARGETS_MODULE = "targets.py"
_STORED_RUNTIME = (RUNTIME_MEMBER, RUNTIME_REST_MEMBER, MAIN_MEMBER + "c")

# zlib's default level: level 9 saves about 1% on typical payloads but takes several times
# longer on large shared libraries (numpy.libs), and decompression speed is the same.
_PAYLOAD_LEVEL = 6
_ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip can record
_FILE_MODE = 0o644 << 16
Stamp = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class ArchiveResult:
    """What was written."""

    path: Path
    size: int
    modules: int
    content_hash: str
    warnings: tuple[str, ...]


def write_archive(
    payload: Payload,
    info: ArchiveInfo,
    output: Path,
    extraction: ExtractionPlan | None = None,
    *,
    force: bool = False,
    targets: Sequence[TargetPart] = (),
) -> ArchiveResult:
    """Write the archive to a temporary file beside ``output`` and rename it into place.

    ``extraction`` lists what the runtime extracts at first import (native code,
    zip-unsafe packages); it goes into the index and the manifest. ``force`` replaces
    an output that is not an archive bundle wrote (``check_output_path``). With several
    ``targets``, their payloads are merged (``archive.targets``), ``payload`` and
    ``extraction`` being the first's.
    """
    extraction = extraction or ExtractionPlan()
    merged = merge_targets(targets) if len(targets) > 1 else None
    check_output_path(output, force=force)
    stamp = _timestamp()
    warnings: list[str] = []
    stored = merged.payload if merged is not None else payload
    packed = packed_members(stored, info)
    with tempfile.TemporaryFile() as inner:
        hot = hot_members(stored, info)
        bytecode = _write_payload(inner, stored, hot, packed, stamp, warnings)
        sources = ((member, read_file(stored.files[member])) for member in packed)
        cache = _build_cache()
        packs = pack_sources(sources, cache / "results" / "packs" if cache else None)
        content_hash = _hash_file(inner, packs)
        with replacing(output) as outer:
            outer.write(_header(info).encode())
            parts = (inner, payload, bytecode, info, content_hash, stamp, extraction, packs)
            modules = _write_outer(outer, *parts, merged)
    return ArchiveResult(
        path=output,
        size=output.stat().st_size,
        modules=modules,
        content_hash=content_hash,
        warnings=tuple(warnings),
    )


def _write_payload(
    stream: IO[bytes],
    payload: Payload,
    hot: frozenset[str],
    packed: list[str],
    stamp: Stamp,
    warnings: list[str],
) -> dict[str, str]:
    """Write the payload zip, one member at a time (a large file is copied in blocks, so
    memory does not grow with the payload), but for the members in source packs and with
    bytecode for the ``hot`` sources; returns source member -> bytecode member."""
    compiled = BytecodeCache.open(_build_cache()) if hot else None
    sources = {bytecode_member(member): member for member in hot}
    bytecode: dict[str, str] = {}
    skipped = set(packed)
    with zipfile.ZipFile(stream, "w") as archive:
        for member in sorted({*payload.files, *sources} - skipped):
            if member in payload.files:
                _copy_file(archive, member, payload.files[member], stamp)
                continue
            source = sources[member]
            assert compiled is not None
            pyc = compiled.bytecode(read_file(payload.files[source]), source, warnings)
            if pyc is not None:
                bytecode[source] = member
                archive.writestr(_zip_info(member, stamp), pyc, compresslevel=_PAYLOAD_LEVEL)
    return bytecode


def _copy_file(archive: zipfile.ZipFile, member: str, source: Path | bytes, stamp: Stamp) -> None:
    """Deflate one payload file into ``archive``, reading a file on disk in blocks."""
    info = _zip_info(member, stamp)
    # What writestr(compresslevel=) sets: compress_level since Python 3.13.
    level = "compress_level" if hasattr(info, "compress_level") else "_compresslevel"
    setattr(info, level, _PAYLOAD_LEVEL)
    if isinstance(source, bytes):
        archive.writestr(info, source, compresslevel=_PAYLOAD_LEVEL)
        return
    info.file_size = source.stat().st_size  # decides zip64, as writestr would
    with source.open("rb") as reader, archive.open(info, "w") as target:
        while block := reader.read(1 << 20):
            target.write(block)


def _write_outer(
    outer: IO[bytes],
    inner: IO[bytes],
    payload: Payload,
    bytecode: Mapping[str, str],
    info: ArchiveInfo,
    content_hash: str,
    stamp: Stamp,
    extraction: ExtractionPlan,
    packs: SourcePacks,
    merged: MergedTargets | None = None,
) -> int:
    """Write the outer zip after the shebang; returns the number of modules indexed."""
    with zipfile.ZipFile(outer, "w") as archive:
        start = _copy_payload(archive, outer, inner, stamp)
        files = {**member_records(inner, start), **packs.records}
        packs_table = write_packs(archive, outer, packs, _zip_info(PACKS_MEMBER, stamp, False))
        if merged is not None:
            indexes = merged.indexes(files, bytecode, content_hash)
        else:
            table = extraction.index_table(bytecode, files)
            index, modules = build_index(payload, bytecode, info, content_hash, table)
            indexes = [TargetIndex(INDEX_MEMBER, index, index_chunks(modules, files), len(modules))]
        for each in indexes:
            each.index["packs"] = packs_table
        # Modules and member offsets are split into chunks the runtime reads on first use,
        # so start-up does not grow with the size of the app. Both members are stored,
        # not deflated: reading them is a plain pread.
        tables = _write_chunks(archive, outer, [each.blobs for each in indexes], stamp)
        for each, chunks in zip(indexes, tables):
            each.index["chunks"] = chunks
            data = pack_index(each.index)
            archive.writestr(_zip_info(each.member, stamp, compress=False), data)
        manifest = manifest_document(payload, info, content_hash, len(files), extraction)
        archive.writestr(_zip_info(MANIFEST_MEMBER, stamp), manifest, compresslevel=9)
        for member, data in sorted(_runtime_members(several=merged is not None)):
            # What every start reads is stored: no inflate before the CRC check. The rest
            # of the runtime holds each module's bytecode deflated on its own, so an app
            # inflates only those it imports.
            stored = member in _STORED_RUNTIME
            archive.writestr(_zip_info(member, stamp, compress=not stored), data, compresslevel=9)
    return indexes[0].modules


def _copy_payload(
    archive: zipfile.ZipFile, outer: IO[bytes], inner: IO[bytes], stamp: Stamp
) -> int:
    """Store the payload zip; returns where its first byte lands in the archive file."""
    inner.seek(0, os.SEEK_END)
    size = inner.tell()
    entry = _zip_info(PAYLOAD_MEMBER, stamp, compress=False)
    entry.file_size = size
    with archive.open(entry, "w", force_zip64=size > 0x7FFFFFFF) as target:
        start = outer.tell()
        inner.seek(0)
        while chunk := inner.read(1 << 20):
            target.write(chunk)
    return start


def _write_chunks(
    archive: zipfile.ZipFile,
    outer: IO[bytes],
    indexes: Sequence[Mapping[str, bytes]],
    stamp: Stamp,
) -> list[dict[str, tuple[int, int, int]]]:
    """Store the chunks of every index in one member, a chunk that several targets share
    once; returns, per index, key -> (offset, size, CRC) in the file (the runtime checks
    each chunk's CRC when it first reads it)."""
    unique = {blob: None for blobs in indexes for blob in blobs.values()}
    entry = _zip_info(CHUNKS_MEMBER, stamp, compress=False)
    entry.file_size = sum(len(blob) for blob in unique)
    where: dict[bytes, tuple[int, int, int]] = {}
    with archive.open(entry, "w") as target:
        position = outer.tell()
        for blob in unique:
            where[blob] = (position, len(blob), zlib.crc32(blob))
            target.write(blob)
            position += len(blob)
    return [{key: where[blob] for key, blob in blobs.items()} for blobs in indexes]


def _header(info: ArchiveInfo) -> str:
    """The /bin/sh header that starts the app without runpy, or the shebang line."""
    if not info.launcher:
        return info.shebang + "\n"
    return sh_header(info.launcher, info.python_range, keep_site=info.inherit_path)


def _runtime_members(several: bool = False) -> Iterator[tuple[str, bytes]]:
    """The runtime package, the member with its bytecode, and the ``__main__.py`` stub.
    Choosing among targets is left out of an archive that has one."""
    yield MAIN_MEMBER, MAIN_STUB.encode()
    # zipimport only looks for bytecode beside the source, never in __pycache__.
    yield MAIN_MEMBER + "c", _pyc(MAIN_STUB.encode(), MAIN_MEMBER)
    start, rest = {}, {}
    for path in sorted(_RUNTIME_DIR.glob("*.py")):
        if path.name == _TARGETS_MODULE and not several:
            continue
        source = path.read_bytes()
        member = f"{PACKAGE_NAME}/{path.name}"
        yield member, source
        pyc = _pyc(source, member)
        if path.stem in _ZIPIMPORTED:
            yield member + "c", pyc
        if path.stem in START_MODULES:
            start[path.stem] = pyc
        elif path.stem not in _ZIPIMPORTED_ONLY:
            rest[path.stem] = zlib.compress(pyc, 9)
    table = (importlib.util.MAGIC_NUMBER, start, tuple(rest))
    yield RUNTIME_MEMBER, marshal.dumps(table, MARSHAL_VERSION)
    yield RUNTIME_REST_MEMBER, marshal.dumps(rest, MARSHAL_VERSION)


def _pyc(source: bytes, member: str) -> bytes:
    # Without docstrings (nothing reads the runtime's) nor asserts (mypy's narrowing only):
    # 15% less bytecode to read at every start.
    pyc = compile_pyc(source, member, [], optimize=RUNTIME_OPTIMIZE)
    if pyc is None:  # pragma: no cover - the runtime compiles on every supported Python
        raise BundleError(f"the runtime's {member} does not compile on this Python")
    return pyc


def _build_cache() -> Path | None:
    try:
        return build_cache_root()
    except BundleError:
        return None  # no cache: compile everything, as before


def _zip_info(name: str, stamp: Stamp, compress: bool = True) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.create_system = 3  # Unix, so that the permission bits below are honoured
    info.external_attr = _FILE_MODE
    return info


def _timestamp() -> Stamp:
    """SOURCE_DATE_EPOCH when set (clamped to what zip can store), else 1980-01-01."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    try:
        epoch = int(raw) if raw else _ZIP_EPOCH
    except ValueError:
        raise OutputError(f"SOURCE_DATE_EPOCH must be an integer, not {raw!r}") from None
    moment = time.gmtime(max(epoch, _ZIP_EPOCH))
    return (
        moment.tm_year,
        moment.tm_mon,
        moment.tm_mday,
        moment.tm_hour,
        moment.tm_min,
        moment.tm_sec,
    )


def _hash_file(stream: IO[bytes], packs: SourcePacks) -> str:
    """The archive's content hash: the payload's bytes and the runtime's sources. It names
    the app's cache directory, so bytecode cached there for another Python (the runtime's
    own included) can never be that of other code."""
    digest = hashlib.sha256(bundler.__version__.encode())
    for path in sorted(_RUNTIME_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    stream.seek(0)
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    digest.update(packs.digest)
    return digest.hexdigest()
