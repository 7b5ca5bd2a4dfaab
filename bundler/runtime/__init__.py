"""The code that ships inside every archive, as the ``_bundler_runtime`` package.

It imports only the standard library and nothing from the rest of ``bundler``: the builder
copies these files into the archive, where they run on Python 3.9 to 3.13. The modules are
layered, each importing only those below it (README, "How it works"): this module, the
contract (format, member names, index records, errors); below it only ``first``, the first
stage (where the per-user cache lives, trusted reads of cached bytecode, the finder of the
runtime's modules); then trust, cache, reader; resources, metadata, extract, patches;
importer; bootstrap; child. The builder imports this module too: the constants and record
layouts below are the one definition of the archive format that both sides use.

At start the archive's ``__main__.py`` runs ``first`` (checked against its CRC), which
runs this module and serves the others from one member holding their bytecode
(``RUNTIME_MEMBER``, checked too); on a Python other than the build's they are compiled
once and kept in the per-user cache.
"""

import sys

# What the first stage defines (it runs before this module), under the names the other
# modules and the builder import from here: one definition.
from . import first as _first

INDEX_MEMBER = _first.INDEX_MEMBER
RUNTIME_MEMBER = _first.RUNTIME_MEMBER
RUNTIME_REST_MEMBER = _first.RUNTIME_REST_MEMBER
START_MODULES = _first.START_MODULES
RUNTIME_OPTIMIZE = _first.RUNTIME_OPTIMIZE
ArchiveDamaged = _first.ArchiveDamaged
BootError = _first.BootError
install_runtime_finder = _first.install_runtime_finder

TYPE_CHECKING = False
if TYPE_CHECKING:  # the runtime never imports typing: it costs milliseconds at every start
    from typing import Any, Final, TypedDict

    # Where the cache lives and trusted reads (pycache), also importable from here.
    from .pycache import CACHE_ENV as CACHE_ENV
    from .pycache import app_dir_name as app_dir_name
    from .pycache import bytecode_subdir as bytecode_subdir
    from .pycache import cache_roots as cache_roots
    from .pycache import is_owned as is_owned
    from .pycache import is_private_dir as is_private_dir
    from .pycache import is_private_file as is_private_file
    from .pycache import load_pyc as load_pyc
    from .pycache import private_path as private_path
    from .pycache import pyc_bytes as pyc_bytes
    from .pycache import read_cached_pyc as read_cached_pyc
    from .pycache import read_trusted as read_trusted
else:
    _PYCACHE_NAMES = frozenset(
        [
            "CACHE_ENV",
            "app_dir_name",
            "bytecode_subdir",
            "cache_roots",
            "is_owned",
            "is_private_dir",
            "is_private_file",
            "load_pyc",
            "private_path",
            "pyc_bytes",
            "read_cached_pyc",
            "read_trusted",
        ]
    )

    def __getattr__(name: str) -> "Any":
        # pycache's names, imported from here by cache, trust, extract and the builder:
        # loaded when first asked for, not at every start.
        if name not in _PYCACHE_NAMES:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from .pycache import __dict__ as names

        return names[name]

# -- the archive format ----------------------------------------------------------------

# Bump when the shape of the index, its chunks or its records changes.
FORMAT_VERSION: "Final" = 8
PACKAGE_NAME: "Final" = "_bundler_runtime"
MAIN_MEMBER: "Final" = "__main__.py"
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
