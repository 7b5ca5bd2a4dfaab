"""Every cache bundler owns, as ``bundle cache`` lists, prunes and clears it.

These areas under each cache root (``$BUNDLER_BUILD_CACHE``, ``$BUNDLER_CACHE`` or the
user cache directory, and the temporary-directory fallback):

    apps/<name>-<hash>/      what archives extracted at run time (runtime/cache.py's layout)
    wheels/<key>/            the projects' built wheels                 (staging/backend.py)
    metadata/<key>/          projects' metadata from their backends     (staging/backend.py)
    build-envs/<key>/        build environments of the target            (staging/buildenv.py)
    dependencies/<key>/      pip's installs of what projects need        (staging/stage.py)
    projects/<key>/          pip's installs of the projects' own wheels  (staging/stage.py)
    bytecode/<magic>/        the build's compiled bytecode, per Python (archive/bytecode.py)
    results/<kind>/          other results kept by content: LZMA source packs
                             (archive/packs.py), import scans (resolve/scan.py)

(``tmp/`` holds the scratch directories of running builds; each build sweeps what killed
ones left.)

Listing never creates anything. Deleting never leaves the cache: every directory is opened
relative to its parent's descriptor with ``O_NOFOLLOW``, so a symlink anywhere (the root,
an area, an entry, a file inside) is never followed, and only directories owned by this
user are touched. A build entry in use by a running build (its lock held) is skipped.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bundler.caches.build import BUILD_CACHE_ENV, MARKER
from bundler.runtime import cache_roots, is_owned

__all__ = ["AREAS", "CacheEntry", "Removal", "cache_locations", "list_entries", "remove_entries"]

# Each area, with what it holds (for ``bundle cache`` and its --help).
AREAS = {
    "apps": "extracted by archives at run time (native code, zip-unsafe packages, bytecode)",
    "wheels": "the projects' wheels, built by their build backends",
    "metadata": "the projects' metadata, from their build backends (--no-install)",
    "build-envs": "build environments of the target interpreters",
    "dependencies": "what pip installed for the projects' dependencies",
    "projects": "what pip installed of the projects' own wheels",
    "bytecode": "bytecode the builds compiled, per Python version",
    "results": "what builds computed from file contents: source packs, import scans",
}
# The areas that caches/build.py fills: one entry per key, a marker in each.
_BUILD_AREAS = ("wheels", "metadata", "build-envs", "dependencies", "projects")
_KEYED = re.compile(r"^\.?(?P<key>[0-9a-f]{32})(\.(tmp|old)-.+)?$")
_NAMES = {
    "apps": re.compile(r"^(?P<label>.+)-[0-9a-f]{16}$"),
    **dict.fromkeys(_BUILD_AREAS, _KEYED),
    "bytecode": re.compile(r"^[0-9a-f]{8}$"),
    "results": re.compile(r"^[a-z]+(-[0-9a-z.]+)?$"),
}
_DAY = 24 * 60 * 60
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True)
class CacheEntry:
    """One entry of one area: a build of an app, a wheel, a staging directory, the
    bytecode of one Python, or the leftovers of a killed build."""

    root: Path
    area: str
    name: str
    label: str
    size: int
    last_used: float  # seconds since the epoch

    @property
    def path(self) -> Path:
        """Where the entry is."""
        return self.root / self.area / self.name

    def age_days(self, now: float | None = None) -> float:
        """Days since the entry was last used."""
        return ((time.time() if now is None else now) - self.last_used) / _DAY


@dataclass(frozen=True)
class Removal:
    """What a prune or a clear did."""

    removed: tuple[CacheEntry, ...]
    busy: tuple[CacheEntry, ...]  # in use by a running build: kept

    @property
    def size(self) -> int:
        """Bytes removed."""
        return sum(entry.size for entry in self.removed)


def cache_locations() -> list[Path]:
    """The cache roots bundler may use, whether or not they exist: the build cache
    (``$BUNDLER_BUILD_CACHE``), then the runtime's (``$BUNDLER_CACHE``, else the user
    cache directory and the temporary-directory fallback)."""
    roots = [os.environ[BUILD_CACHE_ENV]] if os.environ.get(BUILD_CACHE_ENV) else []
    roots += cache_roots()
    unique: list[Path] = []
    for root in roots:
        path = Path(os.path.abspath(root))
        if path not in unique:
            unique.append(path)
    return unique


def list_entries(
    roots: Iterable[Path] | None = None, areas: Sequence[str] = tuple(AREAS)
) -> list[CacheEntry]:
    """Every entry of ``areas`` under the roots that are ours, by area, oldest use first."""
    entries: list[CacheEntry] = []
    for root in cache_locations() if roots is None else roots:
        for area in areas:
            with _opened_area(root, area) as fd:
                if fd is not None:
                    entries += _entries_in(root, area, fd)
    order = list(AREAS)
    return sorted(entries, key=lambda e: (order.index(e.area), e.last_used, e.name))


def remove_entries(
    older_than_days: float | None = None,
    roots: Iterable[Path] | None = None,
    areas: Sequence[str] = tuple(AREAS),
) -> Removal:
    """Remove our entries (with ``older_than_days``, only those unused that long)."""
    now = time.time()
    removed, busy = [], []
    for entry in list_entries(roots, areas):
        if older_than_days is not None and entry.age_days(now) < older_than_days:
            continue
        with _opened_area(entry.root, entry.area) as fd:
            if fd is None:
                continue
            with _unused(fd, entry) as free:
                if not free:
                    busy.append(entry)
                    continue
                with contextlib.suppress(FileNotFoundError):  # another clear was faster
                    remove_tree(fd, entry.name)
                    removed.append(entry)
    return Removal(tuple(removed), tuple(busy))


def remove_tree(dir_fd: int, name: str) -> None:
    """Remove ``name`` in the directory ``dir_fd``: a file, a symlink (not its target) or
    a directory with everything in it, never following a symlink."""
    info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return
    fd = os.open(name, _DIRECTORY, dir_fd=dir_fd)
    try:
        for child in _names(fd):
            remove_tree(fd, child)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=dir_fd)


def _entries_in(root: Path, area: str, fd: int) -> Iterator[CacheEntry]:
    pattern = _NAMES[area]
    for name in sorted(_names(fd)):
        match = pattern.match(name)
        if match is None:
            continue  # not ours: left alone
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            continue
        if not is_owned(info) or stat.S_ISLNK(info.st_mode):
            continue
        if area == "apps" and not stat.S_ISDIR(info.st_mode):
            continue
        size, newest = _usage(fd, name, info)
        last = info.st_mtime if area == "apps" or area in _BUILD_AREAS else newest
        yield CacheEntry(root, area, name, _label(area, fd, name, match), size, last)


def _label(area: str, fd: int, name: str, match: re.Match[str]) -> str:
    if area == "apps":
        return match.group("label")
    if area == "bytecode":
        return f"magic {name}"
    if area == "results":
        return name
    if name.startswith("."):
        return "left by an interrupted build"
    facts = _marker(fd, name)
    if not facts:
        return "incomplete"
    what = [str(facts[field]) for field in ("wheel", "dist-info") if facts.get(field)]
    for field in ("requirements", "requires"):
        listed = facts.get(field)
        what += [str(item) for item in listed] if isinstance(listed, list) else []
    return ", ".join(what) or f"key {name[:12]}"


def _marker(fd: int, name: str) -> dict[str, object]:
    try:
        entry = os.open(name, _DIRECTORY, dir_fd=fd)
    except OSError:
        return {}
    try:
        marker = os.open(MARKER, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0), dir_fd=entry)
        with open(marker, encoding="utf-8") as stream:
            data = json.load(stream)
    except (OSError, ValueError):
        return {}
    finally:
        os.close(entry)
    return data if isinstance(data, dict) else {}


def _usage(dir_fd: int, name: str, info: os.stat_result) -> tuple[int, float]:
    """Bytes below ``name`` and the newest access or change time, following no link."""
    if not stat.S_ISDIR(info.st_mode):
        return info.st_size, max(info.st_atime, info.st_mtime)
    total, newest = 0, info.st_mtime
    try:
        fd = os.open(name, _DIRECTORY, dir_fd=dir_fd)
    except OSError:
        return 0, newest
    try:
        for child in _names(fd):
            with contextlib.suppress(OSError):  # removed while we look
                size, used = _usage(fd, child, os.stat(child, dir_fd=fd, follow_symlinks=False))
                total, newest = total + size, max(newest, used)
    finally:
        os.close(fd)
    return total, newest


@contextlib.contextmanager
def _opened_area(root: Path, area: str) -> Iterator[int | None]:
    """A descriptor of ``root/area`` if both are real directories of ours, else None."""
    fds: list[int] = []
    try:
        fds.append(os.open(root, _DIRECTORY))
        fds.append(os.open(area, _DIRECTORY, dir_fd=fds[0]))
        if not all(is_owned(os.fstat(fd)) for fd in fds):
            raise PermissionError(errno.EPERM, "not ours")
    except OSError:
        for fd in fds:
            os.close(fd)
        yield None
        return
    try:
        yield fds[1]
    finally:
        for fd in fds:
            os.close(fd)


@contextlib.contextmanager
def _unused(area_fd: int, entry: CacheEntry) -> Iterator[bool]:
    """Whether no build is using ``entry`` (a build holds its key's lock while it does);
    the lock is held while the block removes it."""
    match = _NAMES[entry.area].match(entry.name)
    key = match.groupdict().get("key") if match else None
    if key is None:
        yield True
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no shared locks to test
        yield True
        return
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(f"{key}.lock", flags, 0o600, dir_fd=area_fd)
    except OSError:
        yield False
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        yield False
        return
    try:
        yield True
        # Nothing of the key is left: its lock file goes too (while still held).
        if not any(_NAMES[entry.area].match(n) for n in _names(area_fd) if key in n):
            with contextlib.suppress(OSError):
                os.unlink(f"{key}.lock", dir_fd=area_fd)
    finally:
        os.close(fd)


def _names(fd: int) -> list[str]:
    with os.scandir(fd) as listing:
        return [entry.name for entry in listing]
