"""The code that ships inside every archive, as the ``_bundler_runtime`` package.

It imports only the standard library and nothing from the rest of ``bundler``: the builder
copies these files into the archive, where they run on Python 3.9 to 3.13. The modules are
layered, each importing only those below it (README, "How it works"): this module, the
contract (format, member names, index records, errors, where the per-user cache lives)
and the first stage; then trust, cache, reader; resources, metadata, extract, patches;
importer; bootstrap; child. The builder imports this module too: the constants and record
layouts below are the one definition of the archive format that both sides use.

First stage: the archive's ``__main__.py`` checks this module's CRC and runs it, then
``install_runtime_finder`` serves the others from one member holding their bytecode
(``RUNTIME_MEMBER``, CRC-checked too): one read instead of one zipimport lookup each. On a
Python other than the build's they are compiled once and kept in the per-user cache.
"""

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import marshal
import os
import stat
import sys
import zlib  # already imported by zipimport to inflate this module

TYPE_CHECKING = False
if TYPE_CHECKING:  # the runtime never imports typing: it costs milliseconds at every start
    from collections.abc import Callable
    from types import CodeType, ModuleType
    from typing import Any, Final, TypedDict

# -- the archive format ----------------------------------------------------------------

# Bump when the shape of the index, its chunks or its records changes.
FORMAT_VERSION: "Final" = 7
PACKAGE_NAME: "Final" = "_bundler_runtime"
MAIN_MEMBER: "Final" = "__main__.py"
INDEX_MEMBER: "Final" = ".bundle/index"
MANIFEST_MEMBER: "Final" = ".bundle/manifest.json"
PAYLOAD_MEMBER: "Final" = ".bundle/payload.zip"
CHUNKS_MEMBER: "Final" = ".bundle/chunks"
PACKS_MEMBER: "Final" = ".bundle/sources"  # the source packs (packs.py), stored

# How the runtime loads a module (the ``kind`` of a module record).
SOURCE: "Final" = 0  # Python: bytecode or source from the payload
NAMESPACE: "Final" = 1  # a namespace package: no file of its own
EXTENSION: "Final" = 2  # native code: loaded from the per-user cache

# A module record: ``(source, bytecode, is_package, kind)``. ``source`` and ``bytecode``
# are payload members (None when absent; an extension's ``source`` is its shared library).
MODULE_SOURCE: "Final" = 0
MODULE_BYTECODE: "Final" = 1
MODULE_PACKAGE: "Final" = 2
MODULE_KIND: "Final" = 3

# A file record, for every payload member: ``(offset, compressed size, size, method,
# crc)``, where offset is that of its first data byte in the archive file (``FileRecord``).
FILE_SIZE: "Final" = 2
FILE_CRC: "Final" = 4
DEFLATED: "Final" = 8  # the zip compression method of deflated members (else stored)
# A member in a source pack (packs.py): ``(position in the unpacked pack, pack number,
# size, PACKED, crc)``; the index's "packs": (offset, compressed size, size) of each.
PACKED: "Final" = 95
PACK_DICT_SIZE: "Final" = 1 << 20  # the LZMA2 dictionary, larger than any pack

# The extraction table (index key "extract", ``Extraction``, read by extract.py): units
# (``UnitRecord``: members, units needed first, distribution) and native code per
# distribution (``NativeRecord``: name-version, built for, platforms, abi3's oldest).
PREFIX_UNIT: "Final" = ".prefix/"  # data files beside the environment, made sys.prefix

if TYPE_CHECKING:
    Names = tuple[str, ...]
    Platforms = tuple[tuple[str, str, str], ...]  # (os, machine, libc) triples
    Version = tuple[int, int]
    Member = str | None
    ModuleRecord = tuple[Member, Member, bool, int]
    FileRecord = tuple[int, int, int, int, int]
    UnitRecord = tuple[Names, Names, str | None]
    NativeRecord = tuple[str, str, Platforms, Version | None]
    # targets.target_record: name, implementation, Python, ABI, platform, index member
    TargetRecord = tuple[str, str, Version, str, str, str]
    # What one chunk of the index holds: the modules of one package directory and the
    # files of one payload directory (see reader.module_chunk and member_chunk).
    Chunk = tuple[dict[str, ModuleRecord], dict[str, FileRecord]]

    class Extraction(TypedDict):
        """What the runtime extracts into the per-user cache, and from which unit."""

        units: "dict[str, UnitRecord]"
        modules: "dict[str, str]"  # module -> key of the unit it is imported from
        # extension module -> its pure-Python twin's (source, bytecode) members
        fallbacks: "dict[str, tuple[str, str | None]]"
        native: "dict[str, NativeRecord]"

    class Index(TypedDict):
        """The small table every start reads (``INDEX_MEMBER``, marshal format 2)."""

        format: int
        name: str
        version: str
        entry: "tuple[str, str | None]"  # module, and function or None (run as __main__)
        requires_python: "str | None"
        pythons: "tuple[tuple[str, str], ...]"  # (specifier, why) of each limit on Pythons
        python_range: str
        inherit_path: bool
        hash: str  # the payload's content hash: it names the app's cache directory
        magic: bytes  # the build Python's bytecode magic number
        dists: "tuple[str, ...]"  # the payload's *.dist-info directories
        chunks: "dict[str, tuple[int, int, int]]"  # chunk key -> (offset, size, CRC)
        packs: "tuple[tuple[int, int, int], ...]"  # (offset, compressed size, size)
        extract: "Extraction"
        # Several targets (else empty): this is the first's; targets.py picks one.
        targets: "tuple[TargetRecord, ...]"


def module_record(
    source: "Member", bytecode: "Member", is_package: bool, kind: int
) -> "ModuleRecord":
    """A module record, with its fields in the order the MODULE_* constants name."""
    return (source, bytecode, is_package, kind)


def file_record(offset: int, compressed: int, size: int, method: int, crc: int) -> "FileRecord":
    """A file record, with its fields in the order the FILE_* constants name."""
    return (offset, compressed, size, method, crc)


def unit_record(members: "Names", needs: "Names", distribution: "str | None") -> "UnitRecord":
    """An extraction unit's record (``UnitRecord``), its fields in their order."""
    return (members, needs, distribution)


def native_record(title: str, built: str, on: "Platforms", low: "Version | None") -> "NativeRecord":
    """A distribution's native-code record (``NativeRecord``), its fields in their order."""
    return (title, built, on, low)


# Stdlib modules that patches.py adjusts when the app imports them -> the function there.
PATCHES: "Final" = {
    "linecache": "patch_linecache",
    "multiprocessing.spawn": "patch_multiprocessing_spawn",
    "subprocess": "patch_subprocess",
    **({"importlib._common": "patch_py39_resources"} if sys.version_info < (3, 10) else {}),
}


class BootError(Exception):
    """A problem with the archive or the host that the user must be told about in one line."""


class ArchiveDamaged(BootError, OSError):
    """The archive's bytes do not match its index: truncated, corrupted or modified."""


# -- where the per-user cache lives ----------------------------------------------------
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


# -- bytecode ----------------------------------------------------------------------------

_CODE_TYPE = type(module_record.__code__)  # types.CodeType, without importing types


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


# -- the first stage ---------------------------------------------------------------------

# The bytecode of the runtime's modules for the build's Python, in one member: one read at
# start instead of one zipimport lookup per module.
RUNTIME_MEMBER: "Final" = ".bundle/runtime"


def install_runtime_finder() -> None:
    """Serve the runtime's other modules: from the runtime member on the build's Python,
    else from bytecode cached per user (compiling the sources from the archive once).

    A damaged member is ArchiveDamaged (the stub reports it); any other problem leaves
    zipimport in charge, so that the runtime starts even where the cache cannot be used.
    """
    loader = globals()["__loader__"]  # the zipimporter of the archive
    try:
        finder = RuntimeFinder(loader)
    except ArchiveDamaged:
        raise
    except Exception:
        return
    sys.meta_path.insert(0, finder)


class RuntimeFinder:
    """Finder and loader of ``_bundler_runtime.*`` (but this module).

    On another Python, compiled bytecode waits in ``pending`` until ``bootstrap`` (which
    may use the cache module) hands over a way to store it in the app's cache directory
    (``store_with``); from then on each module compiled is stored at once.
    """

    def __init__(self, zip_loader: "Any") -> None:
        self.archive: str = zip_loader.archive
        self._zip = zip_loader
        self._verified: set[str] = set()  # cache directories checked private
        magic, compiled = marshal.loads(self.get_data(self._path(RUNTIME_MEMBER)))
        self._names = frozenset(f"{__name__}.{module}" for module in compiled)
        usable = magic == _bootstrap_external.MAGIC_NUMBER
        self._compiled: dict[str, bytes] = compiled if usable else {}
        self._app: tuple[str, str] | None = None  # (name, content hash), from the index
        self.pending: list[tuple[str, bytes]] = []  # (file name, pyc) not yet stored
        self._write: Callable[[str, bytes], None] | None = None
        # Whether this start compiles runtime modules and wants them kept for the next.
        self.compiles = not usable and not sys.dont_write_bytecode

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> "Any":
        if fullname not in self._names:
            return None
        origin = self._path(*fullname.split(".")) + ".py"
        spec = _bootstrap.ModuleSpec(fullname, self, origin=origin)  # type: ignore[arg-type]
        spec.has_location = True
        return spec

    def create_module(self, spec: object) -> None:
        return None

    def exec_module(self, module: "ModuleType") -> None:
        name = module.__name__.rpartition(".")[2]
        path = self._path(PACKAGE_NAME, name + ".py")
        pyc = self._compiled.get(name)  # deflated one by one: inflate what is imported
        code = load_pyc(zlib.decompress(pyc)) if pyc else self._cached_or_compiled(name, path)
        if code is None:
            raise ImportError(f"no usable code for {module.__name__}", name=module.__name__)
        _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
        exec(code, module.__dict__)

    def get_source(self, fullname: str) -> "str | None":
        path = self._path(*fullname.split(".")) + ".py"
        return _bootstrap_external.decode_source(self.get_data(path))

    def get_data(self, path: str) -> bytes:
        """Members of the outer zip (the index), checked against their CRC, unlike zipimport."""
        data: bytes = self._zip.get_data(path)
        files = getattr(self._zip, "_files", None)  # Python 3.13: _get_files()
        entry = (files if files is not None else self._zip._get_files()).get(
            path[len(self.archive) + 1 :]
        )
        if entry is None or zlib.crc32(data) != entry[7]:
            member = path[len(self.archive) + 1 :].replace(os.sep, "/")
            raise ArchiveDamaged(
                f"{self.archive} is corrupt ({member} does not match its checksum); "
                "rebuild or re-download it"
            )
        return data

    def store_with(self, write: "Callable[[str, bytes], None]") -> None:
        """Store what is pending, and what later imports compile, with ``write``."""
        self._write = write
        pending, self.pending = self.pending, []
        for filename, pyc in pending:
            write(filename, pyc)

    def _cached_or_compiled(self, name: str, path: str) -> "CodeType | None":
        filename = name + ".pyc"
        if not sys.dont_write_bytecode:
            if self._app is None:
                index = marshal.loads(self.get_data(self._path(INDEX_MEMBER)))
                self._app = (index["name"], index["hash"])
            relative = os.path.join(bytecode_subdir(*self._app), PACKAGE_NAME, filename)
            code = read_cached_pyc(relative, self._verified)
            if code is not None:
                return code
        source = self.get_data(path)
        code = compile(source, path, "exec", dont_inherit=True)
        if not sys.dont_write_bytecode:
            pyc = pyc_bytes(source, code)
            if self._write is not None:
                self._write(filename, pyc)
            else:
                self.pending.append((filename, pyc))
        return code

    def _path(self, *parts: str) -> str:
        # zipimport knows the archive by the path it was given, relative or not.
        return os.path.join(self.archive, *parts)
