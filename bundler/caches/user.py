"""The per-user cache that archives extract into, as ``bundle cache`` lists and clears it.

The runtime (``bundler/runtime/cache.py``) owns the layout: ``<root>/apps/<name>-<hash>/``
for each build of each app. Listing never creates anything; clearing removes only
directories of that shape, owned by the current user, in an ``apps`` directory that is a
real directory of ours under a root that is one too: never a symlink's target, never
someone else's files. An entry is first renamed aside in ``apps`` (so no app starts from
half of it), then removed by a walk that never follows a symlink.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bundler.errors import CacheDirError
from bundler.runtime import cache_roots, is_owned
from bundler.runtime.trust import TRASH_PREFIX, remove_tree

__all__ = ["AppCacheEntry", "cache_locations", "clear_entries", "list_entries"]

_ENTRY_NAME = re.compile(r"^(?P<app>.+)-(?P<hash>[0-9a-f]{16})$")
_DAY = 24 * 60 * 60


@dataclass(frozen=True)
class AppCacheEntry:
    """One build of one app in the cache."""

    path: Path
    app: str
    build: str  # the first 16 hex digits of the archive's content hash
    size: int
    last_used: float  # seconds since the epoch

    def age_days(self, now: float | None = None) -> float:
        """Days since the app last used this entry."""
        return ((time.time() if now is None else now) - self.last_used) / _DAY


def cache_locations() -> list[Path]:
    """The cache roots the runtime would use (``$BUNDLER_CACHE``, else the user cache
    directory and the temporary-directory fallback), whether or not they exist."""
    return [Path(root) for root in cache_roots()]


def list_entries(roots: Iterable[Path] | None = None) -> list[AppCacheEntry]:
    """Every app entry under the cache roots that are ours, oldest use first."""
    entries = []
    for root in cache_locations() if roots is None else roots:
        if not _is_our_directory(root):
            continue
        apps = root / "apps"
        if not _is_our_directory(apps):
            continue  # a symlink to elsewhere is never listed, so never cleared
        try:
            names = sorted(os.listdir(apps))
        except OSError:
            continue
        for name in names:
            match = _ENTRY_NAME.match(name)
            path = apps / name
            if match is None or not _is_our_directory(path):
                continue
            entries.append(
                AppCacheEntry(
                    path=path,
                    app=match.group("app"),
                    build=match.group("hash"),
                    size=_tree_size(path),
                    last_used=path.lstat().st_mtime,
                )
            )
    return sorted(entries, key=lambda entry: (entry.last_used, str(entry.path)))


def clear_entries(
    older_than_days: float | None = None, roots: Iterable[Path] | None = None
) -> list[AppCacheEntry]:
    """Remove our entries (only those unused for ``older_than_days``, if given)."""
    now = time.time()
    removed = []
    for entry in list_entries(roots):
        if older_than_days is not None and entry.age_days(now) < older_than_days:
            continue
        trash = entry.path.parent / f"{TRASH_PREFIX}{os.getpid()}-{os.urandom(4).hex()}"
        try:
            if not _is_our_directory(entry.path.parent):
                continue
            os.rename(entry.path, trash)
        except FileNotFoundError:
            continue  # removed meanwhile, by another `bundle cache --clear`
        except OSError as exc:
            raise CacheDirError(f"cannot remove {entry.path}: {exc.strerror or exc}") from None
        _remove(trash, entry.path)
        removed.append(entry)
    for root in cache_locations() if roots is None else roots:
        _sweep_trash(root / "apps")
    return removed


def _remove(trash: Path, entry: Path) -> None:
    """Remove a renamed-aside entry; never follows a symlink inside it (``shutil.rmtree``
    walks with directory descriptors here: ``rmtree.avoids_symlink_attacks``)."""
    shutil.rmtree(trash, ignore_errors=True)
    if os.path.lexists(trash):
        raise CacheDirError(f"cannot remove {entry}: some of its files are not ours to remove")


def _sweep_trash(apps: Path) -> None:
    """Remove what earlier removals left aside (a killed `--clear`, a runtime repair)."""
    if not _is_our_directory(apps):
        return
    for name in os.listdir(apps):
        if name.startswith(TRASH_PREFIX):
            remove_tree(str(apps / name))


def _is_our_directory(path: Path) -> bool:
    """A real directory (not a symlink to one) owned by this user."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and is_owned(info)


def _tree_size(root: Path) -> int:
    """Bytes of the files below ``root``, without following symlinks."""
    total = 0
    for directory, _subdirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):  # removed while we walk
                total += os.lstat(os.path.join(directory, name)).st_size
    return total
