"""The archive's index, as the runtime reads it: built from the payload with the record
layouts of the runtime's contract (``bundler.runtime``), then split into chunks."""

from __future__ import annotations

import dataclasses
import importlib.util
import marshal
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from bundler.plan.payload import Payload
from bundler.runtime import (
    FORMAT_VERSION,
    file_record,
    module_record,
)
from bundler.runtime.reader import member_chunk, module_chunk

if TYPE_CHECKING:
    from bundler.runtime import Chunk, Extraction, FileRecord, Index, ModuleRecord

__all__ = [
    "ArchiveInfo",
    "TargetDescription",
    "build_index",
    "index_chunks",
    "member_records",
    "pack_index",
]

# marshal format 2: no back-references. Versions 3+ mark an object as shareable when its
# reference count is above one, which depends on what else the build process happened to
# keep alive, and made two builds of the same inputs differ in their index bytes.
MARSHAL_VERSION = 2
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


@dataclass(frozen=True)
class TargetDescription:
    """One target of the archive, as the manifest's ``targets`` lists it."""

    name: str  # cp312-manylinux_2_28_x86_64
    python: str  # 3.12
    implementation: str  # cp
    abi: str  # cp312
    platform: str  # manylinux_2_28_x86_64, or linux_x86_64 for the build's kind of machine
    distributions: tuple[str, ...]  # the names of the distributions it holds
    native: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (distribution, wheel tags)

    def document(self) -> dict[str, object]:
        """This target in the manifest."""
        fields = dataclasses.asdict(self)
        fields["distributions"] = list(self.distributions)
        fields["native"] = [{"distribution": d, "wheel_tags": list(t)} for d, t in self.native]
        return fields


@dataclass(frozen=True)
class ArchiveInfo:
    """What the runtime must know about the app, besides its files, and how to write it."""

    name: str
    version: str
    entry_module: str
    entry_function: str | None
    requires_python: str | None
    shebang: str
    inherit_path: bool
    compile: bool
    # (specifier, reason) of each limit on the Pythons it runs on, and the range left.
    pythons: tuple[tuple[str, str], ...] = ()
    python_range: str = ""
    # What the build was told about extraction (--extract, --zip-safe, --prune).
    extract: tuple[str, ...] = ()
    zip_safe: tuple[str, ...] = ()
    prune: bool = False
    # Why each module is in and what was not found (Graph.resolution_table): for the
    # manifest only, which bundle inspect and bundle check read; the runtime never does.
    resolution: Mapping[str, Any] = field(default_factory=dict)
    check_skip: tuple[str, ...] = ()  # [tool.bundle] check-skip, for bundle check
    # Modules whose bytecode goes in (those a run is likely to import; None: all of them),
    # and whether sources go into LZMA packs (else each is deflated on its own).
    bytecode_for: frozenset[str] | None = None
    pack_sources: bool = True
    # The targets it holds, for the manifest (several with --target-python, --platform).
    targets: tuple[TargetDescription, ...] = ()
    # The Pythons the /bin/sh header tries, best first (header.py); empty: the first line
    # is ``shebang`` alone, Python's own way in.
    launcher: tuple[str, ...] = ()

    @property
    def entry(self) -> str:
        """The entry point as ``module:function`` (or the module run as ``__main__``)."""
        function = self.entry_function
        return f"{self.entry_module}:{function}" if function else self.entry_module


def build_index(
    payload: Payload,
    bytecode: Mapping[str, str],
    info: ArchiveInfo,
    content_hash: str,
    extraction: Extraction,
) -> tuple[Index, dict[str, ModuleRecord]]:
    """The index (its ``chunks`` still empty) and the module records that go in chunks.

    ``bytecode`` maps a source member to its pyc member.
    """
    modules = {
        entry.name: module_record(
            entry.member,
            bytecode.get(entry.member) if entry.member else None,
            entry.is_package,
            entry.load,
        )
        for entry in payload.modules
    }
    index: Index = {
        "format": FORMAT_VERSION,
        "name": info.name,
        "version": info.version,
        "entry": (info.entry_module, info.entry_function),
        "requires_python": info.requires_python,
        "pythons": info.pythons,
        "python_range": info.python_range,
        "inherit_path": info.inherit_path,
        "hash": content_hash,
        "magic": importlib.util.MAGIC_NUMBER,
        "dists": payload.distributions,
        "chunks": {},
        "packs": (),
        "extract": extraction,
        "targets": (),
    }
    return index, modules


def index_chunks(
    modules: Mapping[str, ModuleRecord], files: Mapping[str, FileRecord]
) -> dict[str, bytes]:
    """One marshal blob of (modules, files) per chunk key, in key order: module records
    by their parent package's directory, file records by their member's directory."""
    grouped: dict[str, Chunk] = {}
    for name, record in modules.items():
        grouped.setdefault(module_chunk(name), ({}, {}))[0][name] = record
    for member, where in files.items():
        grouped.setdefault(member_chunk(member), ({}, {}))[1][member] = where
    return {key: marshal.dumps(grouped[key], MARSHAL_VERSION) for key in sorted(grouped)}


def pack_index(index: Index) -> bytes:
    """The bytes of the index member."""
    table: dict[str, Any] = dict(index)
    return marshal.dumps(table, MARSHAL_VERSION)


def member_records(stream: IO[bytes], start: int) -> dict[str, FileRecord]:
    """The file record of every member of the zip in ``stream``, which begins at byte
    ``start`` of the archive file."""
    stream.seek(0)
    records = {}
    with zipfile.ZipFile(stream) as archive:
        for info in archive.infolist():
            stream.seek(info.header_offset)
            fields = _LOCAL_HEADER.unpack(stream.read(_LOCAL_HEADER.size))
            name_length, extra_length = fields[-2], fields[-1]
            data = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
            records[info.filename] = file_record(
                start + data, info.compress_size, info.file_size, info.compress_type, info.CRC
            )
    return records
