"""The runtime's first stage: what the archive's ``__main__.py`` runs before any other
runtime code, so it is kept small (on a Python other than the build's it is the one runtime
module compiled at every start).

It serves the other runtime modules, this package's ``__init__`` included, from two members
(``RUNTIME_MEMBER``, ``RUNTIME_REST_MEMBER``: their bytecode for the build's Python); on
another Python from bytecode kept per user (read by ``pycache``, which trusts only what we
wrote), compiling the sources from the archive once. Standard library only; of this
package it imports only ``pycache``, and that only on another Python.
"""

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import marshal
import os
import sys
import zlib  # already imported by zipimport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType, ModuleType
    from typing import Any, Final

    # RUNTIME_MEMBER: (magic number, {module a start runs: pyc}, names of the others)
    Table = tuple[bytes, dict[str, bytes], tuple[str, ...]]

# Members the first stage reads before ``__init__`` has run (the format is there).
INDEX_MEMBER: "Final" = ".bundle/index"
# The bytecode of the runtime's modules for the build's Python, in two stored members: one
# read at every start (``Table``) with the modules a start runs, their pycs as they are
# (inflating them would cost more than reading them), and one read the first time another
# module is imported: marshal of {module: deflated pyc}. One read each, not one zipimport
# lookup per module.
RUNTIME_MEMBER: "Final" = ".bundle/runtime"
RUNTIME_REST_MEMBER: "Final" = ".bundle/runtime-rest"
# What a start of a pure-Python app runs (all of it, and nothing else of the runtime).
START_MODULES: "Final" = ("first", "__init__", "bootstrap", "importer", "reader")
# How the runtime's modules are compiled, by the builder and here: without docstrings,
# which nothing reads, nor asserts (type narrowing for mypy only).
RUNTIME_OPTIMIZE: "Final" = 2
# The module that reads the cache: on another Python it is compiled at every start, as
# this one is (it cannot come from the cache it reads).
CACHE_READER: "Final" = "pycache"


class BootError(Exception):
    """A problem with the archive or the host that the user must be told about in one line."""


class ArchiveDamaged(BootError, OSError):
    """The archive's bytes do not match its index: truncated, corrupted or modified."""


def damaged(archive: str, member: str) -> ArchiveDamaged:
    """The error for a member whose bytes do not match the archive's records."""
    member = member.replace(os.sep, "/")
    return ArchiveDamaged(
        f"{archive} is corrupt ({member} does not match its checksum); rebuild or re-download it"
    )


# -- serving the runtime's modules -------------------------------------------------------------


def start(
    zip_loader: "Any",
    package: "ModuleType",
    table: "Table",
    compiled: "tuple[bytes, CodeType] | None" = None,
) -> None:
    """What ``__main__.py`` calls once it has run this module: serve the runtime's modules
    from ``table`` (the runtime member it read and checked) and run the package's
    ``__init__`` into ``package``. ``compiled``: the source and code of this module, when
    the stub compiled it (another Python), kept in the cache with the others. An error is
    the archive's: the stub reports it."""
    finder = RuntimeFinder(zip_loader, table)
    sys.meta_path.insert(0, finder)
    made = [package, sys.modules[__name__], sys.modules.get(f"{finder.package}.{CACHE_READER}")]
    for module in made:  # made by the stub, without a loader
        if module is not None:
            spec: Any = module.__spec__
            spec.loader = finder
            module.__loader__ = finder  # type: ignore[assignment]
    if compiled is not None and finder.compiles:
        from .pycache import pyc_bytes

        finder.pending.append(("first.pyc", pyc_bytes(*compiled)))
    finder.exec_module(package)


def install_runtime_finder() -> None:
    """Serve the runtime's modules in a process where zipimport imported this package (a
    multiprocessing child). A damaged member is ArchiveDamaged; any other problem leaves
    zipimport in charge, so that the runtime starts even where the cache cannot be used."""
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

    def __init__(self, zip_loader: "Any", table: "Table | None" = None) -> None:
        self.archive: str = zip_loader.archive
        # Read by this absolute path: the app may change directory before it imports a
        # runtime module (zipimport would look for the path it was given, there).
        self._file = os.path.abspath(self.archive)
        self._zip = zip_loader
        self.package = __name__.rpartition(".")[0]
        self._verified: set[str] = set()  # cache directories checked private
        magic, start, rest = table or marshal.loads(self.get_data(self._path(RUNTIME_MEMBER)))
        self._names = frozenset(f"{self.package}.{module}" for module in (*start, *rest))
        usable = magic == _bootstrap_external.MAGIC_NUMBER
        self._start: dict[str, bytes] = start if usable else {}
        self._rest: dict[str, bytes] | None = None if usable else {}  # read when needed
        self._app: tuple[str, str] | None = None  # (name, content hash), from the index
        self.pending: list[tuple[str, bytes]] = []  # (file name, pyc) not yet stored
        self._write: Callable[[str, bytes], None] | None = None
        # Whether this start compiles runtime modules and wants them kept for the next.
        self.compiles = not usable and not sys.dont_write_bytecode

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> "Any":
        if fullname not in self._names or fullname.endswith(".__init__"):
            return None
        origin = self._path(*fullname.split(".")) + ".py"
        spec = _bootstrap.ModuleSpec(fullname, self, origin=origin)  # type: ignore[arg-type]
        spec.has_location = True
        return spec

    def create_module(self, spec: object) -> None:
        return None

    def exec_module(self, module: "ModuleType") -> None:
        is_package = module.__name__ == self.package
        name = "__init__" if is_package else module.__name__.rpartition(".")[2]
        path = self._path(self.package, name + ".py")
        pyc = self._start.get(name)
        if pyc is None and self._rest is None:
            self._rest = marshal.loads(self.get_data(self._path(RUNTIME_REST_MEMBER)))
        if pyc is None and self._rest:
            pyc = zlib.decompress(self._rest[name])  # deflated one by one
        if pyc is not None:  # for this Python (the member's magic number says so)
            code = marshal.loads(memoryview(pyc)[16:])
        elif name == CACHE_READER:
            code = self._compile(self.get_data(path), path)
        else:
            code = self._cached_or_compiled(name, path)
        _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
        exec(code, module.__dict__)

    def get_source(self, fullname: str) -> "str | None":
        parts = fullname.split(".") + (["__init__"] if fullname == self.package else [])
        return _bootstrap_external.decode_source(self.get_data(self._path(*parts) + ".py"))

    def get_data(self, path: str) -> bytes:
        """Members of the outer zip (the index), checked against their CRC, unlike zipimport."""
        files = getattr(self._zip, "_files", None)  # Python 3.13: _get_files()
        member = path[len(self.archive) + 1 :]
        # (path, compression, compressed size, size, local header's offset, time, date, crc)
        entry = (files if files is not None else self._zip._get_files()).get(member)
        data = self._read(entry) if entry is not None else None
        if data is None or len(data) != entry[3] or zlib.crc32(data) != entry[7]:
            raise damaged(self.archive, member)
        return data

    def _read(self, entry: "tuple[Any, ...]") -> "bytes | None":
        # The member's bytes (its zip directory entry), inflated if deflated; None if the
        # file is not what that directory says.
        fd = os.open(self._file, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.lseek(fd, entry[4], os.SEEK_SET)
            header = os.read(fd, 30)
            if len(header) != 30 or header[:4] != b"PK\x03\x04":
                return None
            skip = int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:], "little")
            os.lseek(fd, entry[4] + 30 + skip, os.SEEK_SET)
            raw = os.read(fd, entry[2])
        finally:
            os.close(fd)
        if entry[1] == 0:
            return raw
        try:
            inflater = zlib.decompressobj(-15)
            return inflater.decompress(raw, entry[3])  # no more than its recorded size
        except zlib.error:
            return None

    def store_with(self, write: "Callable[[str, bytes], None]") -> None:
        """Store what is pending, and what later imports compile, with ``write``."""
        self._write = write
        pending, self.pending = self.pending, []
        for filename, pyc in pending:
            write(filename, pyc)

    def _cached_or_compiled(self, name: str, path: str) -> "CodeType":
        # Compiled from its source, never read from the cache it reads.
        from .pycache import bytecode_subdir, pyc_bytes, read_cached_pyc

        filename = name + ".pyc"
        if not sys.dont_write_bytecode:
            if self._app is None:
                index = marshal.loads(self.get_data(self._path(INDEX_MEMBER)))
                self._app = (index["name"], index["hash"])
            relative = os.path.join(bytecode_subdir(*self._app), self.package, filename)
            code = read_cached_pyc(relative, self._verified)
            if code is not None:
                return code
        source = self.get_data(path)
        code = self._compile(source, path)
        if not sys.dont_write_bytecode:
            pyc = pyc_bytes(source, code)
            if self._write is not None:
                self._write(filename, pyc)
            else:
                self.pending.append((filename, pyc))
        return code

    @staticmethod
    def _compile(source: bytes, path: str) -> "CodeType":
        return compile(source, path, "exec", dont_inherit=True, optimize=RUNTIME_OPTIMIZE)

    def _path(self, *parts: str) -> str:
        # zipimport knows the archive by the path it was given, relative or not.
        return os.path.join(self.archive, *parts)
