"""Reading the archive: payload members by byte offset, and the index in chunks.

The builder records, for every payload member, where its bytes start in the archive file
and how they are compressed; reading a member is one ``pread`` and one bounded inflate,
and its CRC is checked before any byte is handed out (resources.py streams large ones).
The zip's central directory is never parsed at start, so start-up does not grow with the
number of files in the archive. The index is split into chunks (one per directory, see
``module_chunk`` and ``member_chunk``), each read the first time something asks about its
directory: an archive of 70,000 modules starts like one of 50.
"""

import marshal
import os
import zlib
from _collections_abc import Mapping  # already imported by os: costs nothing at start

from . import DEFLATED, PACKED, ArchiveDamaged

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from . import Chunk, FileRecord, ModuleRecord
    from .packs import Packs

    _Table = Mapping[str, Any]
else:
    _Table = Mapping


def member_chunk(member: str) -> str:
    """The chunk holding a member's file record: its directory (bytecode joins its
    source's, so that one chunk serves a module's import)."""
    directory = member.rpartition("/")[0]
    if directory == "__pycache__" or directory.endswith("/__pycache__"):
        directory = directory[: -len("__pycache__")].rstrip("/")
    return directory


def module_chunk(name: str) -> str:
    """The chunk holding module ``name``'s record: its parent package's directory, so
    that one chunk lists every module of a package (``pkgutil.iter_modules``)."""
    return name.rpartition(".")[0].replace(".", "/")


# Members up to this size are read whole; larger ones are streamed (stream.py).
STREAM_THRESHOLD = 8 << 20


class Archive:
    """One archive file: its payload members, read by offset, and its chunked index."""

    def __init__(
        self,
        path: str,
        chunks: "dict[str, tuple[int, int, int]]",
        packs: "tuple[tuple[int, int, int], ...]" = (),
    ) -> None:
        self.path = path
        self.file = _ArchiveFile(path, packs)
        self._pending = dict(chunks)
        self._keys = tuple(chunks)
        self._directories: frozenset[str] | None = None
        self._modules: dict[str, ModuleRecord] = {}
        self._files: dict[str, FileRecord] = {}
        self._contents: dict[str, Chunk] = {}  # the chunks loaded so far, by key
        # Read-only views that load the chunk a key lives in before answering.
        self.modules = LazyTable(self._modules, self._load_module_chunk, self._load_all)
        self.files = LazyTable(self._files, self._load_file_chunk, self._load_all)

    def read(self, member: str) -> bytes:
        """The uncompressed bytes of ``member``; FileNotFoundError if it is not in the
        archive, ArchiveDamaged if its bytes do not match the index."""
        record = self.files.get(member)
        if record is None:
            raise FileNotFoundError(2, "No such file in archive", self.path_of(member))
        return self.file.read(record, member)

    def path_of(self, member: "str | None") -> str:
        """The path that stands for ``member`` in ``__file__`` and tracebacks."""
        return f"{self.path}{os.sep}{member}" if member else self.path

    def member_of(self, path: str) -> "str | None":
        """The member named by an absolute path inside the archive, or None."""
        prefix = self.path + os.sep
        if not path.startswith(prefix):
            return None
        return path[len(prefix) :].replace(os.sep, "/")

    def is_dir(self, directory: str) -> bool:
        """Whether the payload has a directory ``directory`` (``""`` is its root)."""
        if directory in self._all_directories():
            return True
        # A __pycache__ directory shares its source directory's chunk: ask that one.
        return directory.rpartition("/")[2] == "__pycache__" and bool(self._files_in(directory))

    def children(self, directory: str) -> "set[str]":
        """Names of the files and directories directly in ``directory``."""
        prefix = f"{directory}/" if directory else ""
        names = {member[len(prefix) :].partition("/")[0] for member in self._files_in(directory)}
        for key in self._all_directories():
            if key.startswith(prefix) and key != directory:
                names.add(key[len(prefix) :].partition("/")[0])
        return names

    def _files_in(self, directory: str) -> "list[str]":
        """Members below ``directory`` that its chunk holds: its own files, and those of
        its __pycache__."""
        prefix = f"{directory}/" if directory else ""
        chunk_files = self._chunk(member_chunk(prefix + "_"))[1]
        return [member for member in chunk_files if member.startswith(prefix)]

    def modules_in(self, package_dir: str) -> "dict[str, ModuleRecord]":
        """The modules directly in a package directory (``a/b`` holds ``a.b.c``)."""
        return dict(self._chunk(package_dir)[0])

    def _all_directories(self) -> "frozenset[str]":
        if self._directories is None:
            found = {""}
            for key in self._keys:
                while key and key not in found:
                    found.add(key)
                    key = key.rpartition("/")[0]
            self._directories = frozenset(found)
        return self._directories

    def _chunk(self, key: str) -> "Chunk":
        self._load(key)
        return self._contents.get(key, ({}, {}))

    def _load_module_chunk(self, name: str) -> None:
        self._load(module_chunk(name))

    def _load_file_chunk(self, member: str) -> None:
        self._load(member_chunk(member))

    def _load(self, key: str) -> None:
        where = self._pending.get(key)
        if where is None:
            return
        try:
            offset, size, crc = where
            data = self.file.read_at(offset, size)
            if zlib.crc32(data) != crc:
                raise ValueError("CRC")
            chunk: Chunk = marshal.loads(data)
            modules, files = chunk
            self._modules.update(modules)
            self._files.update(files)
        except (EOFError, ValueError, TypeError, OSError, MemoryError):
            # Left pending, so every later lookup in it says so too, not "not found".
            raise ArchiveDamaged(
                f"{self.path} is corrupt (index of {key!r}); rebuild or re-download it"
            ) from None
        self._contents[key] = chunk
        del self._pending[key]

    def _load_all(self) -> None:
        for key in list(self._pending):
            self._load(key)


class LazyTable(_Table):
    """A read-only mapping over one part of the index that loads chunks as keys are
    asked for. Iterating it (or asking its length) loads every chunk: correct, but what
    start-up paths must not do; they ask ``Archive`` about one directory instead."""

    def __init__(
        self,
        data: "dict[str, Any]",
        load_for: "Callable[[str], None]",
        load_all: "Callable[[], None]",
    ) -> None:
        self._data = data
        self._load_for = load_for
        self._load_all = load_all

    def __getitem__(self, key: str) -> "Any":
        if key not in self._data:
            self._load_for(key)
        return self._data[key]

    def get(self, key: str, default: "Any" = None) -> "Any":
        if key not in self._data:
            self._load_for(key)
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key not in self._data:
            self._load_for(key)
        return key in self._data

    def __iter__(self) -> "Iterator[str]":
        self._load_all()
        return iter(list(self._data))

    def __len__(self) -> int:
        self._load_all()
        return len(self._data)


class _ArchiveFile:
    """The archive file, open for reads at byte offsets (``pread``, or seek and read
    under a lock where there is none)."""

    def __init__(self, path: str, packs: "tuple[tuple[int, int, int], ...]" = ()) -> None:
        flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        self.path = path
        self._pack_table = packs
        self._packs: Packs | None = None  # made when a packed member is first read
        self._fd = os.open(path, flags)
        self._size = os.fstat(self._fd).st_size
        self._lock = None
        if not hasattr(os, "pread"):  # Windows: seek + read, serialised
            import threading

            self._lock = threading.Lock()

    def read(self, record: "FileRecord", member: str) -> bytes:
        """A member's bytes, inflated to no more than its recorded size and checked."""
        try:
            offset, compressed, size, method, crc = record
            if method == PACKED:
                data, whole = self._unpack(compressed, offset, size), True
            elif method == DEFLATED:
                raw = self.read_at(offset, compressed)
                inflater = zlib.decompressobj(-15)
                data = inflater.decompress(raw, size)
                whole = inflater.eof and not inflater.unconsumed_tail
            else:
                data, whole = self.read_at(offset, compressed), True
        except (zlib.error, TypeError, ValueError, OverflowError, MemoryError, LookupError):
            data, whole = b"", False
        # The CRC costs microseconds and turns silent corruption into a clear error.
        if not whole or len(data) != size or zlib.crc32(data) != crc:
            raise self.damaged(member)
        return data

    def _unpack(self, number: int, position: int, size: int) -> bytes:
        """A member of a source pack (packs.py); ValueError if the pack is damaged."""
        if self._packs is None:
            from .packs import Packs

            self._packs = Packs(self, self._pack_table)
        try:
            return self._packs.member(number, position, size)
        except (ArchiveDamaged, ImportError):
            raise
        except Exception:  # lzma.LZMAError, without importing lzma here
            raise ValueError("damaged pack") from None

    def damaged(self, member: str) -> "ArchiveDamaged":
        """The error for a member whose bytes do not match the index."""
        return ArchiveDamaged(
            f"{self.path} is corrupt ({member} does not match its checksum); "
            "rebuild or re-download it"
        )

    def read_at(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset``; ArchiveDamaged if the file is shorter."""
        if offset < 0 or size < 0 or offset + size > self._size:
            raise ArchiveDamaged(f"{self.path} is truncated; rebuild or re-download it")
        if self._lock is None:
            data = os.pread(self._fd, size, offset)
        else:
            with self._lock:  # no pread (Windows): seek and read must not interleave
                os.lseek(self._fd, offset, os.SEEK_SET)
                data = os.read(self._fd, size)
        if len(data) != size:
            raise ArchiveDamaged(f"{self.path} is truncated; rebuild or re-download it")
        return data
