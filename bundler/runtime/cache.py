"""The per-user cache for what cannot be used from inside the archive.

Native extensions must be real files to be loaded, and bytecode compiled for a Python other
than the build's is worth keeping between starts. Both go under one private directory:

    <root>/apps/<name>-<first 16 hex digits of the archive's content hash>/

keyed by content, so two versions of an app never mix and nothing is ever invalidated.
Safety rules: directories we create are ``0700``; a directory that is a symlink or owned by
another user is refused, never followed; files are written under a temporary name in the
same directory and renamed into place, so concurrent starts never see half a file.
"""

from __future__ import annotations

import os
import stat
import sys

from . import CACHE_ENV, app_dir_name, cache_roots

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


class CacheError(Exception):
    """No usable private cache directory."""


_root: str | None = None
_used: set[str] = set()
# The standard marker that tells backup and cleaning tools this is a cache
# (https://bford.info/cachedir/); its first line is fixed by that convention.
CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This directory holds files extracted by bundler archives; `bundle cache --clear`\n"
    b"# removes them, and they are recreated when needed.\n"
)


def cache_root() -> str:
    """The user's cache root, created on first use; falls back to a private temp dir."""
    global _root
    if _root is not None:
        return _root
    candidates = cache_roots()
    if os.environ.get(CACHE_ENV):
        # The user named it: use it or say why not, rather than quietly go elsewhere.
        _root = ensure_private_dir(candidates[0])
        _tag(_root)
        return _root
    problems = []
    for candidate in candidates:
        try:
            _root = _default_root(candidate)
            return _root
        except CacheError as exc:
            problems.append(str(exc))
    raise CacheError(
        f"no usable cache directory ({'; '.join(problems)}); "
        f"set {CACHE_ENV} to a writable directory of yours"
    )


def app_dir(name: str, content_hash: str) -> str:
    """The private directory of one build of one app.

    Its modification time is refreshed once per process, so ``bundle cache`` can tell
    when each build was last used.
    """
    path = os.path.join(cache_root(), "apps", app_dir_name(name, content_hash))
    if path not in _used:
        ensure_private_dir(path, parents=False)
        try:
            os.utime(path)
        except OSError:
            pass  # only the "last used" column of `bundle cache` would be stale
        _used.add(path)
    return path


def bytecode_dir(name: str, content_hash: str) -> str:
    """Where bytecode compiled for this Python is kept for one build of one app."""
    return os.path.join(app_dir(name, content_hash), "bytecode", sys.implementation.cache_tag)


def ensure_private_dir(path: str, *, parents: bool = True) -> str:
    """Create ``path`` (mode 0700) if needed, and check that it is ours and a real directory.

    Parents above ``path`` are created as ordinary directories when ``parents`` is true.
    """
    try:
        if parents:
            parent = os.path.dirname(path)
            if parent and not os.path.isdir(parent):
                os.makedirs(parent, exist_ok=True)
        else:
            ensure_private_dir(os.path.dirname(path), parents=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        _check_private(path)
    except OSError as exc:
        raise CacheError(f"cannot use {path}: {exc.strerror or exc}") from None
    return path


def write_atomic(path: str, data: bytes, mode: int = 0o600, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see either nothing or the whole file.

    ``sync=False`` skips the ``fsync``: for bulk extraction, where one synced completion
    marker written after all the files stands for them (see ``extract.py``).
    """
    make_private_dirs(os.path.dirname(path))
    temporary = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(temporary, flags, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(temporary)
        raise
    os.close(fd)
    try:
        os.replace(temporary, path)
    except BaseException:
        _unlink_quietly(temporary)
        raise


def make_private_dirs(directory: str) -> None:
    """Create ``directory`` and its missing parents, each ``0700``.

    ``os.makedirs`` gives the parents it creates the default mode, not the one asked for.
    """
    if os.path.isdir(directory):
        return
    parent = os.path.dirname(directory)
    if parent and parent != directory:
        make_private_dirs(parent)
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass


def safe_member_path(base: str, member: str) -> str:
    """``base/member`` for an archive member name; refuses names that escape ``base``."""
    if (
        not member
        or member.startswith(("/", "\\"))
        or "\\" in member
        or ":" in member.split("/")[0]
        or any(part in ("", ".", "..") for part in member.split("/"))
    ):
        raise CacheError(f"refusing to extract unsafe member name {member!r}")
    return os.path.join(base, *member.split("/"))


def iter_app_dirs(root: str) -> Iterator[str]:
    """Every app directory under a cache root (for ``bundle cache``)."""
    apps = os.path.join(root, "apps")
    try:
        names = sorted(os.listdir(apps))
    except OSError:
        return
    for name in names:
        path = os.path.join(apps, name)
        if os.path.isdir(path) and not os.path.islink(path):
            yield path


def _default_root(path: str) -> str:
    """Create a default root; its parent (``~/.cache``) may be created, but not above it.

    A home directory that does not exist is not created: that is the "missing home" case,
    which falls back to the temporary directory.
    """
    grandparent = os.path.dirname(os.path.dirname(path))
    if grandparent and not os.path.isdir(grandparent):
        raise CacheError(f"cannot use {path}: {grandparent} does not exist")
    ensure_private_dir(path)
    _tag(path)
    return path


def _tag(root: str) -> None:
    tag = os.path.join(root, "CACHEDIR.TAG")
    if not os.path.exists(tag):
        try:
            write_atomic(tag, CACHEDIR_TAG, 0o600)
        except OSError:
            pass  # a courtesy to backup tools, not needed by anything here


def _check_private(path: str) -> None:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise OSError(f"{path} is a symlink; refusing to follow it")
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{path} is not a directory")
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        if info.st_uid != getuid():
            raise OSError(f"{path} belongs to another user")
        if info.st_mode & 0o077:
            os.chmod(path, 0o700)  # ours, but too open: tighten before trusting it


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
