"""What the runtime may use from the per-user cache, and how it removes what it may not.

The cache's trust model (README, "Security"): a directory or a file is used only if it is
ours, is not a symlink, and nobody else may write to it. Directories are checked with
``lstat`` from the cache root down, so once one has passed, only this user can change
what is in it; files are checked the same way and, before they are loaded, against what
was recorded when they were extracted (``stamp``). What fails a check is never repaired in
place (a ``chmod`` after the fact would bless whatever another user put there meanwhile):
it is moved aside, removed without following any symlink, and written again.

The cache root and its ``apps`` directory hold nothing that is trusted for being inside
them (every entry is checked on its own), so those two are made private when they are
too open; nothing below them is.
"""

import os
import stat
import sys
import zlib

from . import is_private_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    Stamp = tuple[int, int, int, int]

# Names of what is being removed (a directory moved aside) and of files being written
# (cache.AtomicFile): both start with a dot, so that no member name of a unit is either.
TRASH_PREFIX = ".trash-"
TEMPORARY_SUFFIX = ".tmp"


_BOOT_ID = "/proc/sys/kernel/random/boot_id"
_boot: "list[str | None]" = []  # the boot id, once read


class Untrusted(Exception):
    """Something in the cache failed a check: it must be removed and written again."""


class UnsafeName(ValueError):
    """A member name that would escape the directory it is extracted into."""


def private_tree(base: str, parts: "Sequence[str]", verified: "set[str]", *, fix: bool) -> str:
    """``base/parts...``, each directory below ``base`` private (``base`` must be).

    Missing directories are created ``0700``. One that is not private is Untrusted, or,
    with ``fix``, moved aside and removed (``discard``) and created afresh. ``verified``
    remembers the directories that passed, for the rest of the process.
    """
    path = base
    for part in parts:
        path = os.path.join(path, part)
        if path in verified:
            continue
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            info = None
        if info is not None and not is_private_dir(info):
            if not fix:
                raise Untrusted(f"{path} is not a private directory of ours")
            discard(path, base)
            info = None
        if info is None:
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                pass  # another process made it meanwhile: checked below
            if not is_private_dir(os.lstat(path)):
                raise Untrusted(f"{path} is not a private directory of ours")
        verified.add(path)
    return path


def discard(path: str, trash_dir: str) -> None:
    """Remove ``path`` (a file, a symlink or a whole tree) without following symlinks.

    It is first renamed into ``trash_dir`` (a private directory on the same file system),
    so that it disappears at once for every process; then its contents are removed.
    Whatever cannot be removed (files of another user) stays in the trash, out of use.
    """
    trash = os.path.join(trash_dir, f"{TRASH_PREFIX}{os.getpid()}-{os.urandom(4).hex()}")
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return  # already gone: another process discarded it
    remove_tree(trash)


def remove_tree(path: str) -> None:
    """Remove a tree that nothing uses any more, never following a symlink: errors are
    ignored (it is cleanup)."""
    import shutil  # only when something is removed: never at start

    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):  # a real directory, not a symlink to one
            # shutil.rmtree walks with directory descriptors where the platform has them
            # (``rmtree.avoids_symlink_attacks``): a symlink inside is removed, not followed.
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def sweep(directory: str) -> None:
    """Remove what a killed process left in ``directory``: temporary files and trash.

    Call it only while holding the lock that every writer of ``directory`` holds, so that
    no temporary file in it can be one that a live process is still writing.
    """
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for name in entries:
        if name.startswith(".") and (name.endswith(TEMPORARY_SUFFIX) or TRASH_PREFIX in name):
            remove_tree(os.path.join(directory, name))


def stamp(info: "os.stat_result") -> "Stamp":
    """What identifies the bytes of a file we wrote: size, inode, modification and change
    times. Any write, truncation, rename over it or ``chmod`` changes one of them (the
    change time cannot be set back), so an equal stamp means the same bytes."""
    return (info.st_size, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)


def destination(member: str) -> str:
    """Where ``member`` goes in the extraction directory: its payload path, but a wheel's
    script (``<dist>.data/scripts/x``) goes to ``bin/x``, where ``pip --target`` puts it
    and where uv's and ruff's own lookups (``<site>/bin``) find their binary."""
    first, _slash, rest = member.partition("/")
    if first.endswith(".data") and rest.startswith("scripts/"):
        return "bin/" + rest[len("scripts/") :]
    return member


def safe_member_path(base: str, member: str) -> str:
    """``base/member`` for an archive member name; refuses names that escape ``base``."""
    parts = member.split("/")
    if (
        not member
        or member[0] in "/\\"
        or "\\" in member
        or "\0" in member
        or ":" in parts[0]
        or "" in parts
        or "." in parts
        or ".." in parts
    ):
        raise UnsafeName(f"refusing to extract unsafe member name {member!r}")
    # What os.path.join(base, *parts) makes of these parts, without its cost per part
    # (every start checks each extracted file: numpy's are 200).
    return base + os.sep + (member if os.sep == "/" else os.sep.join(parts))


def unlink_quietly(path: str) -> None:
    """Remove a file if it is there; any error is ignored (it is cleanup)."""
    try:
        os.unlink(path)
    except OSError:
        pass


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


def boot_id() -> "str | None":
    """The identifier of this boot of the running kernel (Linux), or None.

    Files written since this boot are whole once written, for every process, whether or
    not they reached the disk: only a crash of the kernel or a power loss, which both
    start a new boot, can lose what is in the page cache. So a completion marker that
    names this boot stands for its files without an ``fsync`` of each, and one that
    names another boot is trusted only after its files' bytes are checked
    (``same_bytes``), once (extract.py).
    """
    if not _boot:
        value = None
        if sys.platform.startswith("linux"):
            try:
                with open(_BOOT_ID, "rb") as stream:
                    value = stream.read(64).strip().decode("ascii") or None
            except (OSError, UnicodeDecodeError):
                pass
        _boot.append(value)
    return _boot[0]


def same_bytes(path: str, size: int, crc: int) -> bool:
    """Whether the file ``path`` holds ``size`` bytes whose CRC-32 is ``crc``; it is
    opened without following a symlink, and read in blocks."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    running = total = 0
    try:
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            running = zlib.crc32(block, running)
            total += len(block)
    except OSError:
        return False
    finally:
        os.close(fd)
    return total == size and running == crc
