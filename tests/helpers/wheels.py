"""Write small, valid PEP 427 wheels for tests, with no network and no build backend."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import sys
import zipfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = [
    "FIXTURE_DISTS_DIR",
    "build_fixture_wheelhouse",
    "wheel_from_directory",
    "write_wheel",
]

FIXTURE_DISTS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "dists"
"""Sources of the third-party distributions that the sample projects depend on."""

# The earliest time a zip entry can hold: a fixed stamp keeps every wheel byte-identical.
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_NO_ENTRY_POINTS: Mapping[str, Mapping[str, str]] = MappingProxyType({})
_SPEC_FILE = "dist.toml"


def write_wheel(
    dest_dir: Path,
    name: str,
    version: str,
    files: Mapping[str, str | bytes],
    *,
    requires: Sequence[str] = (),
    entry_points: Mapping[str, Mapping[str, str]] = _NO_ENTRY_POINTS,
    requires_python: str | None = None,
    summary: str = "",
    tag: str = "py3-none-any",
    more_metadata: Sequence[str] = (),
) -> Path:
    """Write a wheel of `files` (archive path -> content) into `dest_dir` and return its path.

    `entry_points` maps a group to {name: "module:attr"}; `more_metadata` adds METADATA lines
    ("License-Expression: MIT"). The `.dist-info` directory (METADATA,
    WHEEL, entry_points.txt, top_level.txt, RECORD) is generated; `files` must not contain it.
    """
    dist_info = f"{_wheel_stem(name, version)}.dist-info"
    payload = {_checked_member(path, dist_info): _as_bytes(data) for path, data in files.items()}
    metadata = {
        f"{dist_info}/METADATA": _metadata_text(
            name, version, requires, requires_python, summary
        ).replace("\n\n", "".join(f"\n{line}" for line in more_metadata) + "\n\n"),
        f"{dist_info}/WHEEL": _wheel_text(tag),
        f"{dist_info}/top_level.txt": "".join(f"{top}\n" for top in _top_level_names(payload)),
    }
    if entry_points:
        metadata[f"{dist_info}/entry_points.txt"] = _entry_points_text(entry_points)
    members = dict(sorted(payload.items()))
    members.update(sorted((path, text.encode("utf-8")) for path, text in metadata.items()))
    record_path = f"{dist_info}/RECORD"
    members[record_path] = _record_bytes(members, record_path)

    dest_dir.mkdir(parents=True, exist_ok=True)
    wheel_path = dest_dir / f"{_wheel_stem(name, version)}-{tag}.whl"
    _write_zip(wheel_path, members)
    return wheel_path


def wheel_from_directory(
    dest_dir: Path,
    src_dir: Path,
    name: str,
    version: str,
    *,
    exclude: Collection[str] = (),
    **metadata: Any,
) -> Path:
    """Write a wheel of every file under `src_dir`, skipping `__pycache__` and `exclude`.

    `exclude` holds paths relative to `src_dir` (with `/`); `metadata` is passed on to
    `write_wheel` (requires, entry_points, requires_python, summary, tag).
    """
    files: dict[str, str | bytes] = {}
    for path in sorted(src_dir.rglob("*")):
        relative = path.relative_to(src_dir).as_posix()
        if path.is_file() and "__pycache__" not in path.parts and relative not in exclude:
            files[relative] = path.read_bytes()
    return write_wheel(dest_dir, name, version, files, **metadata)


def build_fixture_wheelhouse(dest: Path) -> Path:
    """Build a wheel of every distribution under FIXTURE_DISTS_DIR into `dest`; return `dest`.

    Each distribution is a directory holding `dist.toml` (name, version, summary,
    requires-python, requires, [entry-points.GROUP]) beside the files its wheel installs.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for spec_path in sorted(FIXTURE_DISTS_DIR.glob(f"*/{_SPEC_FILE}")):
        spec = tomllib.loads(spec_path.read_text(encoding="utf-8"))
        wheel_from_directory(
            dest,
            spec_path.parent,
            spec["name"],
            spec["version"],
            exclude={_SPEC_FILE},
            requires=spec.get("requires", ()),
            entry_points=spec.get("entry-points", _NO_ENTRY_POINTS),
            requires_python=spec.get("requires-python"),
            summary=spec.get("summary", ""),
        )
    return dest


def _wheel_stem(name: str, version: str) -> str:
    """Name and version escaped as the binary distribution format asks: `name_x-1.0`."""
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version.replace('-', '_')}"


def _checked_member(path: str, dist_info: str) -> str:
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or "\\" in path or ".." in parts:
        raise ValueError(f"wheel member must be a relative POSIX path: {path!r}")
    if parts[0] == dist_info:
        raise ValueError(f"wheel member is generated, do not pass it: {path!r}")
    return path


def _as_bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _metadata_text(
    name: str,
    version: str,
    requires: Sequence[str],
    requires_python: str | None,
    summary: str,
) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if summary:
        lines.append(f"Summary: {summary}")
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {requirement}" for requirement in requires)
    return "\n".join(lines) + "\n\n"


def _wheel_text(tag: str) -> str:
    # Only wheels that run anywhere go to purelib; a platform wheel goes to platlib.
    purelib = "true" if tag.endswith("-none-any") else "false"
    return f"Wheel-Version: 1.0\nGenerator: bundler-tests\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n"


def _entry_points_text(entry_points: Mapping[str, Mapping[str, str]]) -> str:
    sections = []
    for group, entries in sorted(entry_points.items()):
        lines = [f"[{group}]", *(f"{name} = {target}" for name, target in sorted(entries.items()))]
        sections.append("\n".join(lines) + "\n")
    return "\n".join(sections)


def _top_level_names(payload: Mapping[str, bytes]) -> list[str]:
    names = set()
    for path in payload:
        first, _, rest = path.partition("/")
        if rest and not first.endswith(".data"):
            names.add(first)
        elif not rest and first.endswith((".py", ".so", ".pyd")):
            names.add(first.split(".", 1)[0])
    return sorted(names)


def _record_bytes(members: Mapping[str, bytes], record_path: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for path, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        writer.writerow([path, f"sha256={digest.decode('ascii')}", len(data)])
    writer.writerow([record_path, "", ""])
    return buffer.getvalue().encode("utf-8")


def _write_zip(wheel_path: Path, members: Mapping[str, bytes]) -> None:
    with zipfile.ZipFile(wheel_path, "w") as archive:
        for path, data in members.items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            # Scripts are executable in the wheel, as build backends write them.
            script = path.split("/")[1:2] == ["scripts"] and path.split("/")[0].endswith(".data")
            info.external_attr = (0o100755 if script else 0o644) << 16
            archive.writestr(info, data)


if __name__ == "__main__":
    print(build_fixture_wheelhouse(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("wheelhouse")))
