"""One archive for several targets: each target's payload merged into one, a file stored
once where its contents are the same for every target that has it, and one index per
target that maps the same member names to that target's bytes.

A member whose contents differ between targets (a native extension, a distribution a
marker selects at another version) is stored once per distinct content: the first under
its own name, the others under ``.targets/<target>/<member>``. The runtime never sees
those names: a target's index gives each member the offset of its own bytes, so paths,
``__file__`` and resources read the same on every target. Bytecode is compiled once per
distinct source by the build's Python; another Python compiles the source at its first
start and keeps the result in the per-user cache, as for any archive.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bundler.archive.bytecode import bytecode_member
from bundler.archive.index import ArchiveInfo, build_index, index_chunks
from bundler.plan.extraction import ExtractionPlan
from bundler.plan.payload import Payload
from bundler.runtime import INDEX_MEMBER
from bundler.runtime.targets import target_record

if TYPE_CHECKING:
    from bundler.runtime import FileRecord, Index, TargetRecord

__all__ = ["MergedTargets", "TargetIndex", "TargetPart", "merge_targets"]

_VARIANTS = ".targets/"  # where a second content of a member is stored
TARGET_INDEXES = ".bundle/targets/"  # the index of each target but the first


@dataclass(frozen=True)
class TargetPart:
    """One target's share of the archive: what it is, and its planned payload."""

    name: str  # cp312-manylinux_2_28_x86_64
    implementation: str  # cp
    python: tuple[int, int]
    abi: str  # cp312
    platform: str  # manylinux_2_28_x86_64, or linux_x86_64 for this kind of machine
    payload: Payload
    extraction: ExtractionPlan
    info: ArchiveInfo  # its limits on Pythons differ from the others'


@dataclass(frozen=True)
class TargetIndex:
    """A target's index (its ``chunks`` still empty), the member that holds it, and the
    chunk blobs it refers to."""

    member: str
    index: Index
    blobs: Mapping[str, bytes]
    modules: int


@dataclass(frozen=True)
class MergedTargets:
    """The payload as stored (``payload.files`` keyed by stored name), and for each
    target, member name -> stored name."""

    payload: Payload
    members: tuple[Mapping[str, str], ...]
    parts: tuple[TargetPart, ...]

    def indexes(
        self, records: Mapping[str, FileRecord], bytecode: Mapping[str, str], content_hash: str
    ) -> list[TargetIndex]:
        """Each target's index over the stored members' ``records``, the first target's
        first (it is the archive's INDEX_MEMBER and lists every target).

        ``bytecode`` maps a stored source to its stored pyc. Each target has a hash of its
        own: it names the target's directory in the per-user cache, where extracted files
        of two targets must never meet.
        """
        found = []
        for number, (part, members) in enumerate(zip(self.parts, self.members)):
            files: dict[str, FileRecord] = {}
            compiled: dict[str, str] = {}
            for member, stored in members.items():
                files[member] = records[stored]
                if stored in bytecode:
                    compiled[member] = bytecode_member(member)
                    files[compiled[member]] = records[bytecode[stored]]
            own_hash = hashlib.sha256(f"{content_hash}/{part.name}".encode()).hexdigest()
            table = part.extraction.index_table(compiled, files)
            index, modules = build_index(part.payload, compiled, part.info, own_hash, table)
            member = INDEX_MEMBER if number == 0 else f"{TARGET_INDEXES}{part.name}"
            blobs = index_chunks(modules, files)
            found.append(TargetIndex(member, index, blobs, len(modules)))
        found[0].index["targets"] = self.records(found)
        return found

    def records(self, indexes: Sequence[TargetIndex]) -> tuple[TargetRecord, ...]:
        """The targets table the runtime chooses from, in the order given."""
        return tuple(
            target_record(p.name, p.implementation, p.python, p.abi, p.platform, i.member)
            for p, i in zip(self.parts, indexes)
        )


def merge_targets(parts: Sequence[TargetPart]) -> MergedTargets:
    """Merge the targets' payloads: equal contents stored once, others side by side."""
    stored: dict[str, Path | bytes] = {}
    by_digest: dict[str, dict[str, str]] = {}  # member -> digest -> stored name
    maps = []
    for part in parts:
        mapping = {}
        for member, source in sorted(part.payload.files.items()):
            digest = _digest(source)
            variants = by_digest.setdefault(member, {})
            name = variants.get(digest)
            if name is None:
                name = member if not variants else f"{_VARIANTS}{part.name}/{member}"
                variants[digest] = name
                stored[name] = source
            mapping[member] = name
        maps.append(mapping)
    payload = dataclasses.replace(parts[0].payload, files=stored)
    return MergedTargets(payload, tuple(maps), tuple(parts))


def _digest(source: Path | bytes) -> str:
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(source)
        return digest.hexdigest()
    with source.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
