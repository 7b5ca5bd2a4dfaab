"""Where the per-user cache lives, and trusted reads of the bytecode kept in it.

Only bytecode we wrote ourselves is run: a cached file must be ours, in directories nobody
else may write to, checked from the cache root down. The first stage uses this module on a
Python other than the build's (there it is compiled from its source at every start, as the
first stage is: it cannot come from the cache it reads); cache.py and the builder use it
too. Standard library only, and nothing of this package.
"""

import _frozen_importlib_external as _bootstrap_external
import _imp
import marshal
import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType
    from typing import Final

# Set it to use another cache directory (created if missing; it must be private).
CACHE_ENV: "Final" = "BUNDLER_CACHE"


def cache_roots() -> "list[str]":
    """Candidate cache roots, best first: $BUNDLER_CACHE alone if set, else the platform's
    user cache directory, then a per-user directory in the temporary directory."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return [os.path.abspath(explicit)]
    roots = []
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        if base:
            roots.append(os.path.join(base, "bundler", "Cache"))
    elif sys.platform == "darwin":
        roots.append(os.path.join(os.path.expanduser("~"), "Library", "Caches", "bundler"))
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        home_cache = os.path.join(os.path.expanduser("~"), ".cache")
        roots.append(os.path.join(xdg if xdg and os.path.isabs(xdg) else home_cache, "bundler"))
    temp = os.environ.get("TMPDIR") or os.environ.get("TEMP") or "/tmp"
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    roots.append(os.path.join(temp, f"bundler-cache-{user}"))
    return roots


def app_dir_name(name: str, content_hash: str) -> str:
    """The directory, under ``<root>/apps``, of one build of one app."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "app"
    return f"{safe}-{content_hash[:16]}"


def bytecode_subdir(name: str, content_hash: str) -> str:
    """Where bytecode for this Python is kept, relative to a cache root."""
    tag = sys.implementation.cache_tag
    return os.path.join("apps", app_dir_name(name, content_hash), "bytecode", tag)


def is_owned(info: "os.stat_result") -> bool:
    """Whether the file or directory ``info`` describes belongs to this user."""
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def is_private_dir(info: "os.stat_result") -> bool:
    """A real directory (``lstat`` result), ours, that nobody else may write to."""
    return stat.S_ISDIR(info.st_mode) and is_owned(info) and not info.st_mode & 0o022


def is_private_file(info: "os.stat_result") -> bool:
    """A regular file (``lstat``/``fstat`` result), ours, that nobody else may write to."""
    return stat.S_ISREG(info.st_mode) and is_owned(info) and not info.st_mode & 0o022


def private_path(base: str, parts: "list[str]", verified: "set[str]") -> "str | None":
    """``base/parts...`` if ``base`` and each directory below it on the way is private
    (``lstat``, top-down), else None. A directory that passed can change by our hand only:
    ``verified`` remembers it for the rest of the process."""
    path = base
    for part in ("", *parts):
        path = os.path.join(path, part) if part else path
        if path not in verified:
            try:
                if not is_private_dir(os.lstat(path)):
                    return None
            except (OSError, ValueError):
                return None
            verified.add(path)
    return path


# -- bytecode ------------------------------------------------------------------------------

_CODE_TYPE = type(app_dir_name.__code__)  # types.CodeType, without importing types


def pyc_bytes(source: bytes, code: "CodeType") -> bytes:
    """A hash-based, unchecked pyc (PEP 552) for this Python: what the cache stores."""
    key = _bootstrap_external._RAW_MAGIC_NUMBER  # type: ignore[attr-defined]
    header = _bootstrap_external.MAGIC_NUMBER + b"\x01\x00\x00\x00" + _imp.source_hash(key, source)
    return header + marshal.dumps(code)


def load_pyc(data: bytes) -> "CodeType | None":
    """The code in a cached pyc written for this Python; None if it is not one."""
    if data[:4] != _bootstrap_external.MAGIC_NUMBER:
        return None
    try:
        code = marshal.loads(memoryview(data)[16:])
    except (EOFError, ValueError, TypeError):
        return None  # unreadable: the caller compiles again and overwrites it
    return code if type(code) is _CODE_TYPE else None


def read_trusted(path: str) -> "bytes | None":
    """The bytes of ``path`` if it is a private file of ours (``is_private_file``), reached
    without following a symlink at its last component; None otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    # O_NONBLOCK: a FIFO put there must be refused at once, not waited on.
    flags |= getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        if not is_private_file(os.fstat(fd)):
            return None
        with open(fd, "rb", closefd=False) as stream:
            return stream.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def read_cached_pyc(relative: str, verified: "set[str]") -> "CodeType | None":
    """Bytecode at ``relative`` under the first cache root that is ours and private; None
    if absent or not trusted: every directory from the root down and the file must be
    ours and writable by nobody else (only bytecode we wrote ourselves is executed)."""
    for root in cache_roots():
        if private_path(root, [], verified) is None:
            continue
        *parts, name = relative.split(os.sep)
        directory = private_path(root, parts, verified)
        data = read_trusted(os.path.join(directory, name)) if directory else None
        return load_pyc(data) if data is not None else None
    return None
