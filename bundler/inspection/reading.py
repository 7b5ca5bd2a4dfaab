"""Open an archive that ``bundle build`` wrote, of this format or another, and read what
``bundle inspect`` and ``bundle check`` show: its manifest, the payload's files and the
distributions' metadata. Any archive that cannot be read is one line (InspectError)."""

from __future__ import annotations

import calendar
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from bundler.archive.members import member_sizes, open_members
from bundler.errors import InspectError
from bundler.runtime import FORMAT_VERSION, MANIFEST_MEMBER, PAYLOAD_MEMBER
from bundler.runtime.metadata import normalise_name

__all__ = ["ArchiveView", "name_version", "read_archive"]

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # what an archive built without SOURCE_DATE_EPOCH records
_SBOM = "sboms/bundle.cdx.json"  # inside the app's own dist-info (PEP 770)
# The manifest keys every format has had; without them nothing can be shown.
_ESSENTIAL = ("app", "entry", "modules")


@dataclass(frozen=True)
class ArchiveView:
    """What an archive holds, read once: its manifest and its payload's files."""

    path: Path
    size: int
    manifest: Mapping[str, Any]
    files: Mapping[str, int]  # payload member -> size
    metadata: Mapping[str, Message] = field(default_factory=dict)  # dist-info dir -> METADATA
    records: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # dist-info -> files
    sbom: bytes | None = None
    built_at: int | None = None  # SOURCE_DATE_EPOCH of the build, None when unset

    @property
    def format(self) -> int:
        """The archive format the manifest declares."""
        value = self.manifest.get("format")
        return value if isinstance(value, int) else 0


def read_archive(path: Path) -> ArchiveView:
    """Read ``path``; an InspectError names what is wrong with it and what to do."""
    head = _check_file(path)
    try:
        with zipfile.ZipFile(path) as outer:
            manifest = _manifest(path, outer, head)
            stamp = outer.getinfo(MANIFEST_MEMBER).date_time
            view = _payload_view(path, outer, manifest)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise _damaged(path, exc) from None
    built_at = None if stamp == _ZIP_EPOCH else calendar.timegm((*stamp, 0, 0, 0))
    return ArchiveView(path, path.stat().st_size, manifest, *view, built_at=built_at)


def _check_file(path: Path) -> bytes:
    """The file's first bytes, once it is known to be a zip archive."""
    if path.is_dir():
        raise InspectError(f"{path} is a directory, not an archive; name the .pyz file")
    if not path.exists():
        raise InspectError(f"{path} does not exist; name an archive that bundle build wrote")
    try:
        with path.open("rb") as stream:
            head = stream.read(1 << 16)
    except OSError as exc:
        raise InspectError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if not zipfile.is_zipfile(path):
        if b"PK\x03\x04" in head:  # a zip's first member, but no directory at the end
            raise InspectError(
                f"{path} is truncated or damaged (its zip directory is missing); "
                "rebuild or re-download it"
            )
        raise InspectError(f"{path} is not a zip archive; name an archive that bundle build wrote")
    return head


def _manifest(path: Path, outer: zipfile.ZipFile, head: bytes) -> dict[str, Any]:
    try:
        data = outer.read(MANIFEST_MEMBER)
    except KeyError:
        if PAYLOAD_MEMBER.encode() in head:
            # Our archive, cut short: the zip found is the payload nested in it.
            raise InspectError(
                f"{path} is truncated or damaged (its zip directory is missing); "
                "rebuild or re-download it"
            ) from None
        raise InspectError(
            f"{path} is a zip archive, but not one that bundle build wrote (it has no "
            f"{MANIFEST_MEMBER})"
        ) from None
    try:
        manifest = json.loads(data)
    except ValueError:
        raise _damaged(path, "its manifest is not JSON") from None
    version = manifest.get("format") if isinstance(manifest, dict) else None
    if not isinstance(manifest, dict) or any(key not in manifest for key in _ESSENTIAL):
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise InspectError(
                f"{path} uses archive format {version}, newer than this bundle reads "
                f"(up to {FORMAT_VERSION}); upgrade bundler to inspect it"
            )
        raise _damaged(path, "its manifest lacks the app, entry or modules")
    return manifest


def _payload_view(
    path: Path, outer: zipfile.ZipFile, manifest: Mapping[str, Any]
) -> tuple[dict[str, int], dict[str, Message], dict[str, tuple[str, ...]], bytes | None]:
    """(member sizes, METADATA and RECORD of each distribution, the SBOM) of the payload:
    the nested payload zip, or for an archive without one the outer zip itself."""
    if PAYLOAD_MEMBER in outer.namelist():
        payload = zipfile.ZipFile(io.BytesIO(outer.read(PAYLOAD_MEMBER)))
    else:
        payload = outer
    with payload:
        files = {i.filename: i.file_size for i in payload.infolist() if not i.is_dir()}
        metadata: dict[str, Message] = {}
        records: dict[str, tuple[str, ...]] = {}
        for dist in manifest.get("distributions", []):
            if f"{dist}/METADATA" in files:
                text = payload.read(f"{dist}/METADATA").decode("utf-8", "replace")
                metadata[dist] = HeaderParser().parsestr(text)
            if f"{dist}/RECORD" in files:
                lines = payload.read(f"{dist}/RECORD").decode("utf-8", "replace").splitlines()
                records[dist] = tuple(line.rsplit(",", 2)[0] for line in lines if line)
        sbom_member = _sbom_member(files, manifest)
        sbom = payload.read(sbom_member) if sbom_member else None
    members = open_members(path)
    if members is not None:  # sources kept in packs are not in the payload zip
        files.update(member_sizes(members))
    return files, metadata, records, sbom


def _sbom_member(files: Mapping[str, int], manifest: Mapping[str, Any]) -> str | None:
    """The SBOM in the app's own dist-info, if the build stored one."""
    app = manifest.get("app", {})
    wanted = normalise_name(str(app.get("name", "")))
    for member in files:
        dist, _, rest = member.partition("/")
        if rest == _SBOM and normalise_name(name_version(dist)[0]) == wanted:
            return member
    return None


def name_version(dist_info: str) -> tuple[str, str]:
    """``tallyho-0.9.2.dist-info`` -> ``("tallyho", "0.9.2")``."""
    stem = dist_info[: -len(".dist-info")] if dist_info.endswith(".dist-info") else dist_info
    name, _, version = stem.rpartition("-")
    return (name, version) if name else (stem, "")


def _damaged(path: Path, why: object) -> InspectError:
    return InspectError(f"{path} is damaged ({why}); rebuild or re-download it")
