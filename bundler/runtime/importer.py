"""The finder and loader that import modules straight from the archive's payload.

The builder records, for every payload member, where its bytes start in the archive file
and how they are compressed; reading a module is one ``pread`` and one ``zlib`` call. The
zip's central directory is never parsed at start, so start-up does not grow with the
number of files in the archive.
"""

from __future__ import annotations

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import marshal
import os
import sys
import zlib

from . import load_pyc, pyc_bytes
from .bootstrap import EXTENSION, NAMESPACE, ArchiveDamaged, member_chunk, module_chunks

TYPE_CHECKING = False
if TYPE_CHECKING:  # the runtime never imports typing: it costs milliseconds at every start
    from collections.abc import Iterator, Sequence
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType
    from typing import Any

    from .resources import ArchiveResourceReader

    # member -> (offset of its data in the archive file, compressed size, size, method, CRC)
    Files = dict[str, tuple[int, int, int, int, int]]
    # module -> (source member, bytecode member, is package, kind)
    ModuleEntry = tuple["str | None", "str | None", bool, int]

_MAGIC = _bootstrap_external.MAGIC_NUMBER
# Stdlib modules that runtime/patches.py adjusts when the app imports them.
_PATCHED = frozenset(
    {
        "linecache",
        "multiprocessing.spawn",
        *(("importlib._common",) if sys.version_info < (3, 10) else ()),
    }
)
_DEFLATED = 8


class ArchiveReader:
    """Random access to payload members by name, through the index's offsets."""

    def __init__(self, archive: str, files: Files) -> None:
        self.archive = archive
        self.files = files
        flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(archive, flags)
        self._lock = None
        if not hasattr(os, "pread"):  # Windows: seek + read, serialised
            import threading

            self._lock = threading.Lock()

    def read(self, member: str) -> bytes:
        """The uncompressed bytes of ``member``; OSError if it is not in the archive."""
        try:
            offset, compressed_size, size, method, crc = self.files[member]
        except KeyError:
            raise FileNotFoundError(2, "No such file in archive", self.path_of(member)) from None
        raw = self._pread(compressed_size, offset)
        if len(raw) != compressed_size:
            raise ArchiveDamaged(f"{self.archive} is truncated; rebuild or re-download it")
        try:
            data = zlib.decompress(raw, -15) if method == _DEFLATED else raw
        except zlib.error:
            data = b""
        # The CRC costs microseconds and turns silent corruption into a clear error.
        if len(data) != size or zlib.crc32(data) != crc:
            raise ArchiveDamaged(
                f"{self.archive} is corrupt ({member} does not match its checksum); "
                "rebuild or re-download it"
            )
        return data

    def path_of(self, member: str | None) -> str:
        """The path that stands for ``member`` in ``__file__`` and tracebacks."""
        return f"{self.archive}{os.sep}{member}" if member else self.archive

    def member_of(self, path: str) -> str | None:
        """The member named by an absolute path inside the archive, or None."""
        prefix = self.archive + os.sep
        if not path.startswith(prefix):
            return None
        return path[len(prefix) :].replace(os.sep, "/")

    def _pread(self, size: int, offset: int) -> bytes:
        if self._lock is None:
            return os.pread(self._fd, size, offset)
        with self._lock:  # no pread (Windows): seek and read must not interleave
            os.lseek(self._fd, offset, os.SEEK_SET)
            return os.read(self._fd, size)


class IndexChunks:
    """The index's per-package chunks, each read from the archive on first use.

    Start-up reads only the small index; the modules and member offsets of one payload
    directory are loaded when something first asks about it, so an archive of 5,000
    modules starts about as fast as one of 50.
    """

    def __init__(self, reader: ArchiveReader, table: dict[str, tuple[int, int]]) -> None:
        self._reader = reader
        self._pending = dict(table)
        self.modules: dict[str, ModuleEntry] = {}
        self.files: Files = {}

    def load(self, key: str) -> None:
        where = self._pending.pop(key, None)
        if where is None:
            return
        offset, size = where
        try:
            modules, files = marshal.loads(self._reader._pread(size, offset))
        except (EOFError, ValueError, TypeError):
            raise ArchiveDamaged(
                f"{self._reader.archive} is corrupt (index of {key!r}); rebuild or re-download it"
            ) from None
        self.modules.update(modules)
        self.files.update(files)

    def load_all(self) -> None:
        for key in list(self._pending):
            self.load(key)


class LazyTable:
    """A read-mostly mapping over one part of the chunks (modules, or member offsets)."""

    def __init__(self, chunks: IndexChunks, data: dict[str, Any], chunks_of: Any) -> None:
        self._chunks = chunks
        self._data = data
        self._chunks_of = chunks_of

    def _load_for(self, key: str) -> None:
        if key not in self._data:
            for chunk in self._chunks_of(key):
                self._chunks.load(chunk)

    def get(self, key: str, default: Any = None) -> Any:
        self._load_for(key)
        return self._data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._load_for(key)
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._load_for(key)
        self._data[key] = value

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        self._load_for(key)
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        self._chunks.load_all()
        return iter(list(self._data))

    def __len__(self) -> int:
        self._chunks.load_all()
        return len(self._data)

    def items(self) -> Any:
        self._chunks.load_all()
        return self._data.items()


class ArchiveImporter:
    """Meta path finder and loader for every module in one archive's payload."""

    def __init__(self, archive: str, index: dict[str, Any]) -> None:
        self.archive = archive
        self.reader = ArchiveReader(archive, {})
        chunks = IndexChunks(self.reader, index["chunks"])
        self.reader.files = LazyTable(  # type: ignore[assignment]
            chunks, chunks.files, lambda member: (member_chunk(member),)
        )
        self.modules: dict[str, ModuleEntry] = LazyTable(  # type: ignore[assignment]
            chunks, chunks.modules, module_chunks
        )
        self.distributions = index["dists"]
        self.use_bytecode = index["magic"] == _MAGIC
        self.name: str = index["name"]
        self.content_hash: str = index["hash"]
        # Native code and zip-unsafe packages: imported from the cache (see extract.py).
        self.extraction: dict[str, Any] = index.get("extract") or {}
        self._extracted: dict[str, str] = self.extraction.get("modules", {})
        # Where bytecode for this Python is cached: None until needed, False if unusable.
        self._bytecode_dir: str | bool | None = None
        self._resource_readers: dict[str, ArchiveResourceReader] = {}

    # -- finder ---------------------------------------------------------------------

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        entry = self.modules.get(fullname)
        if entry is None:
            if fullname in _PATCHED:
                from .patches import patched_spec

                return patched_spec(fullname, path, self)
            return None
        if fullname in self._extracted:
            from .extract import find_extracted_spec

            return find_extracted_spec(self, fullname, entry)
        source, _bytecode, is_package, kind = entry
        if kind == NAMESPACE:
            return self._namespace_spec(fullname)
        if kind == EXTENSION:
            return None  # the builder lists every extension in "extract": not reached
        spec = _bootstrap.ModuleSpec(
            fullname,
            self,  # type: ignore[arg-type] # a loader by protocol, not by inheritance
            origin=self.reader.path_of(source),
            is_package=is_package,
        )
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [self.reader.path_of(_package_dir(fullname))]
        return spec

    def _namespace_spec(self, fullname: str, parent_path: object = None) -> ModuleSpec:
        """A namespace package, shaped as PathFinder shapes one (``_NamespacePath``)."""
        location = [self.reader.path_of(_package_dir(fullname))]
        loader = NamespaceLoader(fullname, location, self._namespace_spec)
        loader.importer = self
        spec = _bootstrap.ModuleSpec(fullname, loader, is_package=True)
        spec.submodule_search_locations = loader._path
        return spec

    def invalidate_caches(self) -> None:
        """Nothing to invalidate: an archive does not change while it runs."""

    def find_distributions(self, context: Any = None) -> Iterator[Any]:
        """Distributions stored in the archive, for ``importlib.metadata``."""
        from .metadata import find_distributions

        return find_distributions(self, context)

    # -- loader ---------------------------------------------------------------------

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        code = self.get_code(spec.name if spec is not None else module.__name__)
        exec(code, module.__dict__)

    def is_package(self, fullname: str) -> bool:
        return self._entry(fullname)[2]

    def get_filename(self, fullname: str) -> str:
        return self.reader.path_of(self._entry(fullname)[0])

    def get_code(self, fullname: str) -> CodeType:
        source, bytecode, _is_package, _kind = self._entry(fullname)
        path = self.reader.path_of(source)
        if bytecode is not None and self.use_bytecode:
            # Hash-based pycs (PEP 552) written at build time: the archive cannot change
            # under us, so the source hash is not checked again.
            return _unmarshal(self.reader.read(bytecode), path)
        if source is None:
            raise ImportError(f"no source or bytecode for {fullname!r}", name=fullname)
        return self._compile_cached(source, path)

    def _compile_cached(self, member: str, path: str) -> CodeType:
        """Compile for this Python (not the build's), keeping the result for next time.

        The cache directory is keyed by the archive's content hash, so a cached file can
        never be stale. ``-B`` / ``PYTHONDONTWRITEBYTECODE`` turn the cache off entirely.
        """
        cached = self._bytecode_path(member)
        if cached is not None:
            try:
                with open(cached, "rb") as stream:
                    code = load_pyc(stream.read())
            except OSError:
                code = None
            if code is not None:
                _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
                return code
        source = self.reader.read(member)
        code = compile(source, path, "exec", dont_inherit=True)
        if cached is not None:
            self._store_bytecode(cached, source, code)
        return code

    def _bytecode_path(self, member: str) -> str | None:
        if sys.dont_write_bytecode or self._bytecode_dir is False:
            return None
        from . import cache

        try:
            directory = self._bytecode_dir
            if not isinstance(directory, str):
                directory = self._bytecode_dir = cache.bytecode_dir(self.name, self.content_hash)
            return cache.safe_member_path(directory, member + "c")
        except cache.CacheError:
            self._bytecode_dir = False  # no usable cache: compile every time, quietly
            return None

    def _store_bytecode(self, cached: str, source: bytes, code: CodeType) -> None:
        from . import cache

        try:
            cache.write_atomic(cached, pyc_bytes(source, code))
        except OSError:
            self._bytecode_dir = False

    def get_source(self, fullname: str) -> str | None:
        source = self._entry(fullname)[0]
        if source is None:
            return None
        return _bootstrap_external.decode_source(self.reader.read(source))

    def get_data(self, path: str) -> bytes:
        member = self.reader.member_of(os.fspath(path))
        if member is None:
            with open(path, "rb") as stream:
                return stream.read()
        return self.reader.read(member)

    def get_resource_reader(self, fullname: str) -> ArchiveResourceReader | None:
        entry = self.modules.get(fullname)
        if entry is None or not entry[2]:
            return None
        reader = self._resource_readers.get(fullname)
        if reader is None:
            from .resources import ArchiveResourceReader

            reader = ArchiveResourceReader(self.reader, _package_dir(fullname))
            self._resource_readers[fullname] = reader
        return reader

    def source_of_path(self, path: str) -> str | None:
        """Source text of an archived ``.py`` file, for linecache (warnings, pdb)."""
        member = self.reader.member_of(path)
        if member is None or not member.endswith(".py") or member not in self.reader.files:
            return None
        text: str = _bootstrap_external.decode_source(self.reader.read(member))
        return text

    def _entry(self, fullname: str) -> ModuleEntry:
        entry = self.modules.get(fullname)
        if entry is None:
            raise ImportError(f"{fullname!r} is not in {self.archive}", name=fullname)
        return entry

    def __repr__(self) -> str:
        return f"<ArchiveImporter {self.archive!r}>"


# Public as NamespaceLoader since 3.11; _NamespaceLoader before.
_NamespaceLoaderBase: Any = (
    getattr(_bootstrap_external, "NamespaceLoader", None) or _bootstrap_external._NamespaceLoader
)


class NamespaceLoader(_NamespaceLoaderBase):  # type: ignore[misc]
    """importlib's own namespace loader, able to read package data from the archive.

    Named like its base, so that code which checks the loader's type sees what a
    virtualenv gives it.
    """

    importer: ArchiveImporter

    def exec_module(self, module: ModuleType) -> None:
        module.__file__ = None  # what PathFinder's namespace packages get, too

    def get_resource_reader(self, fullname: str) -> ArchiveResourceReader | None:
        return self.importer.get_resource_reader(fullname)


NamespaceLoader.__name__ = NamespaceLoader.__qualname__ = _NamespaceLoaderBase.__name__


class ArchivePathFinder:
    """Path entry finder for directories inside the archive (used by ``pkgutil``)."""

    def __init__(self, importer: ArchiveImporter, prefix: str, fallback: Any = None) -> None:
        self.importer = importer
        self.prefix = prefix
        self.fallback = fallback

    def find_spec(self, fullname: str, target: ModuleType | None = None) -> ModuleSpec | None:
        # Only the archive's own modules: the stdlib patches belong to the meta path.
        spec = self.importer.find_spec(fullname) if fullname in self.importer.modules else None
        if spec is not None or self.fallback is None:
            return spec
        if hasattr(self.fallback, "find_spec"):
            found: ModuleSpec | None = self.fallback.find_spec(fullname, target)
            return found
        loader, _portions = self.fallback.find_loader(fullname)  # zipimport of Python 3.9
        return _bootstrap.spec_from_loader(fullname, loader) if loader is not None else None

    def invalidate_caches(self) -> None:
        """Nothing to invalidate."""

    def iter_modules(self, prefix: str = "") -> Iterator[tuple[str, bool]]:
        """(name, is_package) of the modules directly under this directory."""
        package = self.prefix.replace("/", ".")
        depth = package.count(".") + 1 if package else 0
        for name in sorted(self.importer.modules):
            parts = name.split(".")
            if len(parts) == depth + 1 and (not package or name.startswith(package + ".")):
                yield prefix + parts[-1], self.importer.modules[name][2]


def install(archive: str, index: dict[str, Any]) -> ArchiveImporter:
    """Make the archive's modules importable in this process."""
    importer = ArchiveImporter(archive, index)
    sys.meta_path.insert(0, importer)

    def path_hook(path: str) -> ArchivePathFinder:
        member = "" if path == archive else importer.reader.member_of(path)
        if member is None:
            raise ImportError("not inside this archive")
        if not member:
            # The root also holds the runtime itself, which zipimport serves.
            return ArchivePathFinder(importer, "", _zip_importer(archive))
        if member.replace("/", ".") not in importer.modules:
            raise ImportError("not a package directory of this archive")
        return ArchivePathFinder(importer, member)

    sys.path_hooks.insert(0, path_hook)
    if "linecache" in sys.modules:  # imported at start by some Pythons (3.13): patch it now
        from .patches import patch_linecache

        patch_linecache(sys.modules["linecache"], importer)
    # Python cached a zipimporter for the root while it located __main__.py; ours
    # replaces it so that pkgutil.iter_modules() sees the payload's top-level modules.
    sys.path_importer_cache[archive] = path_hook(archive)
    return importer


def _unmarshal(data: bytes, path: str) -> CodeType:
    code: CodeType = marshal.loads(memoryview(data)[16:])
    _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
    return code


def _zip_importer(archive: str) -> Any:
    try:
        import zipimport

        return zipimport.zipimporter(archive)
    except Exception:  # without it only payload modules are found
        return None


def _package_dir(fullname: str) -> str:
    return fullname.replace(".", "/")
