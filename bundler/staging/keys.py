"""Cache keys of the staging stage: what decides a wheel or a staging directory.

A key must change whenever something the build backend or pip reads changes, and stay the
same otherwise, so that an unchanged project reuses everything and a changed one is never
served stale.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

import bundler
from bundler.environment import Interpreter
from bundler.errors import StagingError
from bundler.staging.pip import IndexOptions

__all__ = [
    "file_digest",
    "file_identity",
    "hash_key",
    "index_identity",
    "interpreter_identity",
    "requirement_identity",
    "source_fingerprint",
    "wheel_digest",
]

# Bump when the layout of an entry or the meaning of a key changes.
_KEY_FORMAT = 1

# A line of a requirements file that includes another one: "-r other.txt", "-c pins.txt".
_INCLUDE_RE = re.compile(r"^\s*(?:--requirement|--constraint|-r|-c)[\s=]*(\S+)")

# Directories that never hold a project's sources: version control, virtual environments,
# caches, and what builds write. Names starting with "." are skipped as well.
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})
# Skipped only at the top of the project: where setuptools and build put their output.
_SKIPPED_TOP_DIRS = frozenset({"build", "dist"})
# Files that tools rewrite without changing the sources (coverage data, Finder's notes).
_SKIPPED_FILES = (".coverage", ".DS_Store")


def hash_key(facts: Mapping[str, Any]) -> str:
    """A key for ``facts`` plus what every key shares: format, bundler version, pip's
    environment variables (they change what pip picks)."""
    pip_env = {k: v for k, v in sorted(os.environ.items()) if k.startswith("PIP_")}
    shared = {"format": _KEY_FORMAT, "bundler": bundler.__version__, "pip-env": pip_env}
    text = json.dumps({**shared, **facts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def interpreter_identity(interpreter: Interpreter) -> dict[str, Any]:
    # Wheel tags and markers depend on these; the executable's path does not matter.
    return {
        "implementation": interpreter.implementation,
        "version": interpreter.version_text,
        "platform": interpreter.platform,
        "cache-tag": interpreter.cache_tag,
        "extension-suffixes": list(interpreter.extension_suffixes),
    }


def index_identity(index: IndexOptions) -> dict[str, Any]:
    return {"no-index": index.no_index, "find-links": [_link_identity(x) for x in index.find_links]}


def _link_identity(link: str) -> Any:
    """A find-links location and, for a local one, what it holds right now."""
    if "://" in link or not os.path.isdir(link):
        return [link, _stat_identity(Path(link))] if os.path.isfile(link) else link
    with os.scandir(link) as entries:
        listing = sorted((e.name, _stat_identity(Path(e.path))) for e in entries)
    return [link, listing]


def _stat_identity(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return (0, 0)
    return (info.st_size, info.st_mtime_ns)


def requirement_identity(requirement: str) -> Any:
    """A requirement string; for a local path, also what is there now."""
    path = Path(requirement)
    if path.is_dir():
        return [requirement, source_fingerprint(path)]
    if path.is_file():
        return [requirement, file_digest(path)]
    return requirement


def file_identity(path: Path, seen: frozenset[Path] = frozenset()) -> Any:
    """The contents of a requirements or constraints file and of the files it includes."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise StagingError(f"cannot read {path}: {exc.strerror or exc}") from None
    seen = seen | {path.resolve()}
    included = []
    for line in text.splitlines():
        match = _INCLUDE_RE.match(line)
        nested = path.parent / match.group(1) if match else None
        if nested is not None and nested.is_file() and nested.resolve() not in seen:
            included.append(file_identity(nested, seen))
    return [hashlib.sha256(text.encode()).hexdigest(), included]


def source_fingerprint(project_dir: Path, ignore: Collection[Path] = ()) -> str:
    """A hash of every source file of the project (names and contents).

    What a build backend may read is not knowable in advance, so every file counts except
    hidden directories (version control, caches), virtual environments, ``build/``,
    ``dist/``, ``*.egg-info``, coverage data and the paths in ``ignore`` (such as the
    archive being written into the project).
    """
    skipped = {os.path.abspath(path) for path in ignore}
    digest = hashlib.sha256()
    for path in _source_files(project_dir.resolve(), skipped):
        relative = path.relative_to(project_dir.resolve()).as_posix()
        digest.update(relative.encode("utf-8", "surrogateescape") + b"\0")
        if path.is_symlink():
            digest.update(b"link:" + os.readlink(path).encode("utf-8", "surrogateescape"))
        else:
            digest.update(file_digest(path).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def wheel_digest(wheel: Path) -> str:
    """A hash of a wheel's members and their contents, blind to zip timestamps and order.

    Two builds of unchanged sources give the same digest even with a backend that stamps
    each build with the time.
    """
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith("/"):
                    continue
                content = hashlib.sha256(archive.read(name)).digest()
                digest.update(name.encode() + b"\0" + base64.b64encode(content) + b"\n")
    except (OSError, zipfile.BadZipFile) as exc:
        raise StagingError(
            f"the build backend wrote an unreadable wheel {wheel.name}: {exc}"
        ) from None
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's contents, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _source_files(root: Path, skipped: set[str]) -> Iterator[Path]:
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        subdirs[:] = sorted(
            name
            for name in subdirs
            if not _is_skipped_dir(here / name, top=here == root)
            and os.path.abspath(here / name) not in skipped
        )
        for name in sorted(files):
            path = here / name
            if (
                os.path.abspath(path) not in skipped
                and not name.endswith((".pyc", ".pyo"))
                and not name.startswith(_SKIPPED_FILES)
            ):
                yield path


def _is_skipped_dir(path: Path, *, top: bool) -> bool:
    name = path.name
    return (
        name.startswith(".")
        or name in _SKIPPED_DIRS
        or name.endswith(".egg-info")
        or (top and name in _SKIPPED_TOP_DIRS)
        or (path / "pyvenv.cfg").is_file()  # a virtual environment kept in the project
        or path.is_symlink()
    )
