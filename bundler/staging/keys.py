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
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import bundler
from bundler.environment import Interpreter
from bundler.errors import ConfigError, StagingError
from bundler.project import ProjectTree, scan_sources
from bundler.staging.pip import IndexOptions
from bundler.staging.vcs import vcs_identity, version_from_vcs

__all__ = [
    "file_digest",
    "hash_key",
    "index_identity",
    "interpreter_identity",
    "path_identity",
    "tree_fingerprint",
    "wheel_digest",
]

# Bump when the layout of an entry or the meaning of a key changes.
_KEY_FORMAT = 4  # 4: one layout whichever installer (canonical); uv's settings count


# Variables that say where an installer keeps its own files, not what it installs.
_WHERE_ONLY = frozenset({"UV_CACHE_DIR"})


def hash_key(facts: Mapping[str, Any]) -> str:
    """A key for ``facts`` plus what every key shares: format, bundler version, pip's and
    uv's environment variables (they change what they pick)."""
    pip_env = {
        k: v
        for k, v in sorted(os.environ.items())
        if k.startswith(("PIP_", "UV_")) and k not in _WHERE_ONLY
    }
    shared = {"format": _KEY_FORMAT, "bundler": bundler.__version__, "pip-env": pip_env}
    text = json.dumps({**shared, **facts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def interpreter_identity(interpreter: Interpreter) -> dict[str, Any]:
    # Wheel tags and markers depend on these; the executable's path does not matter.
    facts: dict[str, Any] = {
        "implementation": interpreter.implementation,
        "version": interpreter.version_text,
        "platform": interpreter.platform,
        "cache-tag": interpreter.cache_tag,
        "extension-suffixes": list(interpreter.extension_suffixes),
    }
    if interpreter.foreign is not None:  # what pip is told instead of asking it
        facts["foreign"] = [interpreter.foreign.name, *interpreter.foreign.pip_options()]
    return facts


def index_identity(index: IndexOptions) -> dict[str, Any]:
    links = [_link_identity(link) for link in index.find_links]
    return {"no-index": index.no_index, "find-links": links, "installer": index.installer}


def _link_identity(link: str) -> Any:
    """A find-links location and, for a local one, what it holds right now."""
    if "://" in link or not os.path.isdir(link):
        return [link, _stat_identity(Path(link))] if os.path.isfile(link) else link
    try:
        with os.scandir(link) as entries:
            listing = sorted((e.name, _stat_identity(Path(e.path))) for e in entries)
    except OSError as exc:
        raise ConfigError(
            f"cannot read the find-links directory {link}: {exc.strerror or exc}; check its "
            "permissions"
        ) from None
    return [link, listing]


def _stat_identity(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return (0, 0)
    return (info.st_size, info.st_mtime_ns)


def tree_fingerprint(tree: ProjectTree) -> str:
    """A hash of every file of a walked tree: its path as shown, and the contents of the
    file actually read (a link's target's, not the link's text)."""
    digest = hashlib.sha256()
    for item in tree.files:
        digest.update(item.relative.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(file_digest(item.real).encode() if item.real else b"-")
        digest.update(b"\n")
    return digest.hexdigest()


def path_identity(path: Path) -> Any:
    """What pip reads of a local path it installs: a directory's sources (and its VCS state
    when its version comes from there), an archive's contents."""
    if path.is_dir():
        vcs = vcs_identity(path) if version_from_vcs(path) else None
        return {"sources": tree_fingerprint(scan_sources(path)), "vcs": vcs}
    if path.is_file():
        return {"file": file_digest(path)}
    return {"missing": str(path)}


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
