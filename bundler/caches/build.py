"""Cache entries for builds: one directory per key, filled once under a lock, renamed into place.

An entry is ``<area>/<key>/`` and is complete only when it holds the marker file written
after everything else, so a directory left by a killed build is recognised and filled again.
Filling happens in ``<area>/.<key>.tmp-*`` under an exclusive lock on ``<area>/<key>.lock``;
the finished directory is renamed into place, so readers never see half an entry. A reader
keeps a shared lock while it uses the entry, so a concurrent refresh cannot delete it
under its feet.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bundler.errors import BuildCacheError
from bundler.runtime.cache import CacheError, FileLock, UserCache, write_atomic

__all__ = [
    "BUILD_CACHE_ENV",
    "MARKER",
    "BuildCacheEntry",
    "build_cache_root",
    "cached_entry",
    "tag_cache_root",
]

# Set it to keep built wheels and staging directories somewhere else than the user cache
# (a CI cache directory, say); the archives' runtime cache follows $BUNDLER_CACHE.
BUILD_CACHE_ENV = "BUNDLER_BUILD_CACHE"
MARKER = "bundle-entry.json"
_FORMAT = 1
# The standard tag (its first line is fixed by the convention) telling backup tools that
# what is below can be recreated.
_CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This directory holds bundler's caches (built wheels, staging directories, bytecode\n"
    b"# and what archives extracted); `bundle cache --clear` removes them.\n"
)


@dataclass(frozen=True)
class BuildCacheEntry:
    """A complete cache entry, and how it came to be."""

    path: Path
    info: Mapping[str, Any]
    reused: bool
    repaired: bool = False


def build_cache_root() -> Path:
    """Where build caches go: ``$BUNDLER_BUILD_CACHE``, else bundler's user cache directory
    (``$BUNDLER_CACHE``, else the platform's, e.g. ``~/.cache/bundler``)."""
    explicit = os.environ.get(BUILD_CACHE_ENV)
    if explicit:
        return Path(explicit).absolute()
    try:
        return Path(UserCache().root())
    except CacheError as exc:
        raise BuildCacheError(f"{exc}; or set {BUILD_CACHE_ENV} to a writable directory") from None


@contextlib.contextmanager
def cached_entry(
    area: Path,
    key: str,
    fill: Callable[[Path], Mapping[str, Any]],
    *,
    refresh: bool = False,
    in_place: bool = False,
    valid: Callable[[Mapping[str, Any]], bool] = lambda _: True,
) -> Iterator[BuildCacheEntry]:
    """Yield the complete entry for ``key`` in ``area``, filling it first when needed.

    ``fill(directory)`` writes the entry's files into an empty ``directory`` and returns
    facts to record in its marker (``BuildCacheEntry.info``). With ``refresh`` an existing
    entry is filled again and replaced. If ``fill`` raises, nothing is left behind.
    ``in_place`` fills the entry's own directory instead of one renamed into place, for
    contents that record their path (a virtual environment); the marker still comes last.
    An entry whose marker facts ``valid`` rejects (its inputs changed) is filled again.
    """
    try:
        area.mkdir(parents=True, exist_ok=True)
        tag_cache_root(area.parent)
        lock = FileLock(str(area / f"{key}.lock"), shared=not refresh)
        lock.open()
    except OSError as exc:
        raise BuildCacheError(
            f"cannot use the build cache {area}: {exc.strerror or exc}; "
            f"set {BUILD_CACHE_ENV} to a writable directory"
        ) from None
    entry = area / key
    with lock:
        if not refresh:
            info = _read_marker(entry)
            if info is not None and valid(info):
                _touch(entry)
                yield BuildCacheEntry(entry, info, reused=True)
                return
        lock.acquire(shared=False)
        info = None if refresh else _read_marker(entry)
        stale = info is not None and not valid(info)
        reused = info is not None and not stale  # another build filled it meanwhile
        repaired = False
        if not reused:
            repaired = entry.exists() and not refresh and not stale
            _fill_and_publish(area, key, fill, in_place=in_place)
        # Downgrade so that other readers can share the entry while this build uses it.
        lock.acquire(shared=True)
        info = _read_marker(entry)
        if info is None:  # pragma: no cover - only if someone edits the cache by hand
            raise BuildCacheError(f"the build cache entry {entry} vanished; run the build again")
        yield BuildCacheEntry(entry, info, reused=reused, repaired=repaired)


def tag_cache_root(root: Path) -> None:
    """Mark ``root`` as a cache for backup tools (https://bford.info/cachedir/), once."""
    tag = root / "CACHEDIR.TAG"
    if not tag.exists():
        with contextlib.suppress(OSError, CacheError):
            write_atomic(str(tag), _CACHEDIR_TAG, 0o644)


def _touch(entry: Path) -> None:
    # The directory's time says when a build last used it: `bundle cache --prune` reads it.
    with contextlib.suppress(OSError):
        os.utime(entry)


def _fill_and_publish(
    area: Path, key: str, fill: Callable[[Path], Mapping[str, Any]], *, in_place: bool
) -> None:
    # Holding the exclusive lock: any temporary directory of this key is a killed build's.
    for stale in area.glob(f".{key}.*"):
        shutil.rmtree(stale, ignore_errors=True)
    entry = area / key
    if in_place:
        _retire(area, key)
        entry.mkdir()
        staging = entry
    else:
        staging = Path(tempfile.mkdtemp(dir=area, prefix=f".{key}.tmp-"))
    try:
        facts = dict(fill(staging))
        marker = {"format": _FORMAT, "key": key, "created": int(time.time()), **facts}
        text = json.dumps(marker, indent=1, sort_keys=True) + "\n"
        (staging / MARKER).write_text(text)  # in place, this is the commit
        if not in_place:
            _retire(area, key)
            os.replace(staging, entry)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _retire(area: Path, key: str) -> None:
    """Remove the entry of ``key`` (an old one being replaced, or a killed fill's)."""
    entry = area / key
    if entry.exists() or entry.is_symlink():
        retired = area / f".{key}.old-{os.getpid()}"
        os.replace(entry, retired)
        shutil.rmtree(retired, ignore_errors=True)


def _read_marker(entry: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((entry / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return None
    return data
