"""The per-user cache for what cannot be used from inside the archive, and the file
primitives every cache of bundler shares (atomic writes, locks, private directories).

Native extensions must be real files to be loaded, and bytecode compiled for a Python other
than the build's is worth keeping between starts. Both go under one private directory:

    <root>/apps/<name>-<first 16 hex digits of the archive's content hash>/

keyed by content, so two versions of an app never mix and nothing is ever invalidated.
Safety rules (``trust.py``): directories we create are ``0700``; a cache root that is a
symlink or owned by another user is refused, never followed; an app directory, or
anything below it, that is not ours and private is removed and written again; files are
written under a temporary name in the same directory and renamed into place, so
concurrent starts never see half a file.

The builder uses the same ``AtomicFile``, ``write_atomic`` and ``FileLock`` for its own
caches and for the archive it writes.
"""

import os
import stat
import sys

from . import (
    CACHE_ENV,
    app_dir_name,
    cache_roots,
    is_owned,
    load_pyc,
    pyc_bytes,
    read_trusted,
)
from .trust import (
    TEMPORARY_SUFFIX,
    Untrusted,
    make_private_dirs,
    private_tree,
    safe_member_path,
    unlink_quietly,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType, TracebackType
    from typing import IO


class CacheError(Exception):
    """No usable private cache directory."""


# The standard marker that tells backup and cleaning tools this is a cache
# (https://bford.info/cachedir/); its first line is fixed by that convention.
CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This directory holds files extracted by bundler archives; `bundle cache --clear`\n"
    b"# removes them, and they are recreated when needed.\n"
)


class UserCache:
    """The cache root of one process, chosen on first use, and the app directories in it.

    The runtime makes one per archive it runs; tests and the builder make their own, so
    no state outlives the object that found it.
    """

    def __init__(self) -> None:
        self._root: str | None = None
        self._used: set[str] = set()
        # Directories found private (trust.private_tree): only we can change them now.
        self.verified: set[str] = set()

    def root(self) -> str:
        """The user's cache root, created on first use; falls back to a private temp dir."""
        if self._root is None:
            self._root = _find_root()
        return self._root

    def app_dir(self, name: str, content_hash: str) -> str:
        """The private directory of one build of one app.

        Its modification time is refreshed once per process, so ``bundle cache`` can tell
        when each build was last used.
        """
        apps = os.path.join(self.root(), "apps")
        path = os.path.join(apps, app_dir_name(name, content_hash))
        if path not in self._used:
            ensure_private_dir(apps, parents=False)  # a container: made private if open
            try:
                private_tree(apps, (os.path.basename(path),), self.verified, fix=True)
            except (OSError, Untrusted) as exc:
                raise CacheError(f"cannot use {path}: {_reason(exc)}") from None
            try:
                os.utime(path)
            except OSError:
                pass  # only the "last used" column of `bundle cache` would be stale
            self._used.add(path)
        return path

    def bytecode_dir(self, name: str, content_hash: str) -> str:
        """Where bytecode compiled for this Python is kept for one build of one app."""
        app = self.app_dir(name, content_hash)
        tag = sys.implementation.cache_tag
        try:
            return private_tree(app, ("bytecode", tag), self.verified, fix=True)
        except (OSError, Untrusted) as exc:
            raise CacheError(f"cannot use {app}: {_reason(exc)}") from None


class BytecodeStore:
    """Bytecode compiled for this Python (not the build's), kept between starts.

    The directory is keyed by the archive's content hash, so a cached file can never be
    stale. Any problem with the cache turns the store off for the rest of the process:
    the app then compiles every time, quietly.
    """

    def __init__(self, cache: "UserCache", name: str, content_hash: str) -> None:
        self._cache = cache
        self._app = (name, content_hash)
        self._directory: str | None = None
        self._usable = not sys.dont_write_bytecode

    def load(self, member: str) -> "CodeType | None":
        """The cached code of source ``member``, if we stored it before: a private file
        of ours in private directories (trust.py), never reached through a symlink."""
        path = self._path(member, fix=False)
        data = read_trusted(path) if path is not None else None
        return load_pyc(data) if data is not None else None

    def store(self, member: str, source: bytes, code: "CodeType") -> None:
        """Keep ``code``, compiled from ``source``, for the next start."""
        self.store_pyc(member + "c", pyc_bytes(source, code))

    def store_pyc(self, relative: str, pyc: bytes) -> None:
        """Keep a pyc under ``relative`` in the bytecode directory."""
        path = self._path(relative, suffix="", fix=True)
        if path is None:
            return
        try:
            write_atomic(path, pyc)
        except OSError:
            self._usable = False

    def _path(self, member: str, *, fix: bool, suffix: str = "c") -> "str | None":
        if not self._usable:
            return None
        try:
            if self._directory is None:
                self._directory = self._cache.bytecode_dir(*self._app)
            path = safe_member_path(self._directory, member + suffix)
            *parts, _name = (member + suffix).split("/")
            private_tree(self._directory, parts, self._cache.verified, fix=fix)
            return path
        except Untrusted:
            return None  # not ours to trust: compiled again, and stored over it (fix)
        except (CacheError, OSError, ValueError):
            self._usable = False
            return None


def ensure_private_dir(path: str, *, parents: bool = True) -> str:
    """Create ``path`` (mode 0700) if needed, and check that it is ours and a real directory.

    Parents above ``path`` are created as ordinary directories when ``parents`` is true;
    otherwise the parent must be a private directory of ours too.
    """
    try:
        if parents:
            parent = os.path.dirname(path)
            if parent and not os.path.isdir(parent):
                _refuse_non_directory(parent)
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


class AtomicFile:
    """A file that appears at ``path`` whole, or not at all.

    Written under a hidden temporary name in the same directory (so the rename cannot
    cross file systems) and renamed over ``path`` when the block ends without error;
    removed when it does not. ``mode`` is set exactly, whatever the umask.
    """

    def __init__(self, path: str, mode: int = 0o600, *, sync: bool = True) -> None:
        self.path = path
        directory, name = os.path.split(path)
        suffix = f"{os.getpid()}.{os.urandom(4).hex()}{TEMPORARY_SUFFIX}"
        self.temporary = os.path.join(directory, f".{name}.{suffix}")
        self._mode = mode
        self._sync = sync
        self._stream: IO[bytes] | None = None

    def __enter__(self) -> "IO[bytes]":
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self.temporary, flags, 0o600)
        self._stream = open(fd, "w+b")
        return self._stream

    def __exit__(
        self,
        kind: "type[BaseException] | None",
        value: "BaseException | None",
        traceback: "TracebackType | None",
    ) -> None:
        stream = self._stream
        assert stream is not None
        try:
            if kind is None:
                stream.flush()
                if hasattr(os, "fchmod"):
                    os.fchmod(stream.fileno(), self._mode)
                if self._sync:
                    os.fsync(stream.fileno())
            stream.close()
            if kind is None:
                os.replace(self.temporary, self.path)
        except BaseException:
            stream.close()
            unlink_quietly(self.temporary)
            raise
        if kind is not None:
            unlink_quietly(self.temporary)


def write_atomic(path: str, data: bytes, mode: int = 0o600, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see either nothing or the whole file.

    Missing parent directories are created private. ``sync=False`` skips the ``fsync``:
    for bulk extraction, where one synced completion marker written after all the files
    stands for them (see ``extract.py``).
    """
    make_private_dirs(os.path.dirname(path))
    with AtomicFile(path, mode, sync=sync) as stream:
        stream.write(data)


class FileLock:
    """An advisory lock on the file ``path``, released by the kernel if the process dies.

    ``flock`` where there is ``fcntl``; elsewhere (Windows) ``msvcrt``, which has no shared
    locks, so every holder is exclusive: safe, only slower. A file system without locks
    leaves the lock unheld (``held`` is false); every user of this lock is correct without
    it, because what it guards is published by atomic renames: it only saves duplicated
    work.
    """

    def __init__(self, path: str, *, shared: bool = False) -> None:
        self.path = path
        self.held = False
        self._shared = shared
        self._fd = -1

    def __enter__(self) -> "FileLock":
        if self._fd < 0:
            self.open()
        return self

    def open(self) -> None:
        """Open the lock file and take the lock (``with`` does it when not done yet)."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(self.path, flags, 0o600)
        self.acquire(shared=self._shared)

    def acquire(self, *, shared: bool) -> None:
        """Take the lock, or change a held lock to shared or exclusive."""
        if self.held and sys.platform == "win32":
            return  # msvcrt locks are all exclusive: nothing to change
        try:
            _lock(self._fd, shared)
            self.held = True
        except OSError:
            self.held = False

    def __exit__(self, *exc_info: object) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = -1


if sys.platform == "win32":  # pragma: no cover - the test machines are POSIX

    def _lock(fd: int, shared: bool) -> None:
        import msvcrt
        import time

        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # still held elsewhere after msvcrt's own retries
                time.sleep(0.1)

else:

    def _lock(fd: int, shared: bool) -> None:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)


def _find_root() -> str:
    candidates = cache_roots()
    if os.environ.get(CACHE_ENV):
        # The user named it: use it or say why not, rather than quietly go elsewhere.
        root = _writable(ensure_private_dir(candidates[0]))
        _tag(root)
        return root
    problems = []
    for candidate in candidates:
        try:
            return _writable(_default_root(candidate))
        except CacheError as exc:
            problems.append(str(exc))
    raise CacheError(
        f"no usable cache directory ({'; '.join(problems)}); "
        f"set {CACHE_ENV} to a writable directory of yours"
    )


def _default_root(path: str) -> str:
    """Create a default root; its parent (``~/.cache``) may be created, but not above it.

    A home directory that does not exist is not created: that is the "missing home" case,
    which falls back to the temporary directory.
    """
    grandparent = os.path.dirname(os.path.dirname(path))
    if grandparent and not os.path.isdir(grandparent):
        problem = "is not a directory" if os.path.lexists(grandparent) else "does not exist"
        raise CacheError(f"cannot use {path}: {grandparent} {problem}")
    ensure_private_dir(path)
    _tag(path)
    return path


def _writable(root: str) -> str:
    """``root``, if this user may create files in it: an existing cache on a read-only
    file system (a read-only home) must not be chosen over the fallback."""
    if hasattr(os, "geteuid") and not os.access(root, os.W_OK | os.X_OK):
        reason = "read-only file system" if _read_only(root) else "permission denied"
        raise CacheError(f"cannot use {root}: {reason}")
    return root


def _read_only(path: str) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 1))
    except (OSError, AttributeError):
        return False


def _reason(exc: BaseException) -> str:
    return (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)


def _tag(root: str) -> None:
    tag = os.path.join(root, "CACHEDIR.TAG")
    if not os.path.exists(tag):
        try:
            write_atomic(tag, CACHEDIR_TAG, 0o600)
        except OSError:
            pass  # a courtesy to backup tools, not needed by anything here


def _refuse_non_directory(path: str) -> None:
    """OSError naming the first of ``path`` and its parents that exists but is no
    directory (makedirs would only say "File exists")."""
    while path and not os.path.lexists(path):
        path = os.path.dirname(path)
    if path and not os.path.isdir(path):
        raise OSError(f"{path} is not a directory")


def _check_private(path: str) -> None:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise OSError(f"{path} is a symlink; refusing to follow it")
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{path} is not a directory")
    if not is_owned(info):
        raise OSError(f"{path} belongs to another user")
    if hasattr(os, "getuid") and info.st_mode & 0o077:
        os.chmod(path, 0o700)  # ours, but too open: tighten before trusting it
