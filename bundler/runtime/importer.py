"""The finder and loader that import modules straight from the archive's payload.

The builder records, for every payload member, where its bytes start in the archive file
and how they are compressed; reading a module is one ``pread`` and one ``zlib`` call. The
zip's central directory is never parsed at start, so start-up does not grow with the
number of files in the archive.
"""

import _imp
import marshal
import os
import sys
import threading
import zlib

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external

from .bootstrap import EXTENSION, NAMESPACE

_MAGIC = _bootstrap_external.MAGIC_NUMBER
_DEFLATED = 8


class ArchiveReader:
    """Random access to payload members by name, through the index's offsets."""

    def __init__(self, archive, files):
        self.archive = archive
        self.files = files
        flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(archive, flags)
        self._lock = None if hasattr(os, "pread") else threading.Lock()

    def read(self, member):
        """The uncompressed bytes of ``member``; OSError if it is not in the archive."""
        try:
            offset, compressed_size, size, method = self.files[member]
        except KeyError:
            raise FileNotFoundError(2, "No such file in archive", self.path_of(member)) from None
        raw = self._pread(compressed_size, offset)
        if len(raw) != compressed_size:
            raise OSError(f"{self.archive} is truncated: rebuild or re-download it")
        data = zlib.decompress(raw, -15) if method == _DEFLATED else raw
        if len(data) != size:
            raise OSError(f"{self.archive} is corrupt ({member}): rebuild or re-download it")
        return data

    def path_of(self, member):
        """The path that stands for ``member`` in ``__file__`` and tracebacks."""
        return f"{self.archive}{os.sep}{member}" if member else self.archive

    def member_of(self, path):
        """The member named by an absolute path inside the archive, or None."""
        prefix = self.archive + os.sep
        if not path.startswith(prefix):
            return None
        return path[len(prefix) :].replace(os.sep, "/")

    def _pread(self, size, offset):
        if self._lock is None:
            return os.pread(self._fd, size, offset)
        with self._lock:  # no pread (Windows): seek and read must not interleave
            os.lseek(self._fd, offset, os.SEEK_SET)
            return os.read(self._fd, size)


class ArchiveImporter:
    """Meta path finder and loader for every module in one archive's payload."""

    def __init__(self, archive, index):
        self.archive = archive
        self.reader = ArchiveReader(archive, index["files"])
        self.modules = index["modules"]
        self.distributions = index["dists"]
        self.use_bytecode = index["magic"] == _MAGIC
        self._resource_readers = {}

    # -- finder ---------------------------------------------------------------------

    def find_spec(self, fullname, path=None, target=None):
        entry = self.modules.get(fullname)
        if entry is None:
            return None
        source, _bytecode, is_package, kind = entry
        if kind == NAMESPACE:
            spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [self.reader.path_of(_package_dir(fullname))]
            return spec
        if kind == EXTENSION:
            return None  # native code needs extraction, which is not bundled in this archive
        spec = _bootstrap.ModuleSpec(
            fullname, self, origin=self.reader.path_of(source), is_package=is_package
        )
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [self.reader.path_of(_package_dir(fullname))]
        return spec

    def invalidate_caches(self):
        """Nothing to invalidate: an archive does not change while it runs."""

    def find_distributions(self, context=None):
        """Distributions stored in the archive, for ``importlib.metadata``."""
        from .metadata import find_distributions

        return find_distributions(self, context)

    # -- loader ---------------------------------------------------------------------

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        code = self.get_code(module.__spec__.name)
        exec(code, module.__dict__)

    def is_package(self, fullname):
        return self._entry(fullname)[2]

    def get_filename(self, fullname):
        return self.reader.path_of(self._entry(fullname)[0])

    def get_code(self, fullname):
        source, bytecode, _is_package, _kind = self._entry(fullname)
        path = self.reader.path_of(source)
        if bytecode is not None and self.use_bytecode:
            # Hash-based pycs (PEP 552) written at build time: the archive cannot change
            # under us, so the source hash is not checked again.
            code = marshal.loads(memoryview(self.reader.read(bytecode))[16:])
            _imp._fix_co_filename(code, path)
            return code
        return compile(self.reader.read(source), path, "exec", dont_inherit=True)

    def get_source(self, fullname):
        source = self._entry(fullname)[0]
        if source is None:
            return None
        return _bootstrap_external.decode_source(self.reader.read(source))

    def get_data(self, path):
        member = self.reader.member_of(os.fspath(path))
        if member is None:
            with open(path, "rb") as stream:
                return stream.read()
        return self.reader.read(member)

    def get_resource_reader(self, fullname):
        entry = self.modules.get(fullname)
        if entry is None or not entry[2]:
            return None
        reader = self._resource_readers.get(fullname)
        if reader is None:
            from .resources import ArchiveResourceReader

            reader = ArchiveResourceReader(self.reader, _package_dir(fullname))
            self._resource_readers[fullname] = reader
        return reader

    def _entry(self, fullname):
        entry = self.modules.get(fullname)
        if entry is None:
            raise ImportError(f"{fullname!r} is not in {self.archive}", name=fullname)
        return entry

    def __repr__(self):
        return f"<ArchiveImporter {self.archive!r}>"


class ArchivePathFinder:
    """Path entry finder for directories inside the archive (used by ``pkgutil``)."""

    def __init__(self, importer, prefix, fallback=None):
        self.importer = importer
        self.prefix = prefix
        self.fallback = fallback

    def find_spec(self, fullname, target=None):
        spec = self.importer.find_spec(fullname)
        if spec is None and self.fallback is not None:
            return self.fallback.find_spec(fullname, target)
        return spec

    def invalidate_caches(self):
        """Nothing to invalidate."""

    def iter_modules(self, prefix=""):
        """(name, is_package) of the modules directly under this directory."""
        package = self.prefix.replace("/", ".")
        depth = package.count(".") + 1 if package else 0
        for name in sorted(self.importer.modules):
            parts = name.split(".")
            if len(parts) == depth + 1 and (not package or name.startswith(package + ".")):
                yield prefix + parts[-1], self.importer.modules[name][2]


def install(archive, index):
    """Make the archive's modules importable in this process."""
    importer = ArchiveImporter(archive, index)
    sys.meta_path.insert(0, importer)

    def path_hook(path):
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
    # Python cached a zipimporter for the root while it located __main__.py; ours
    # replaces it so that pkgutil.iter_modules() sees the payload's top-level modules.
    sys.path_importer_cache[archive] = path_hook(archive)
    return importer


def _zip_importer(archive):
    try:
        import zipimport

        return zipimport.zipimporter(archive)
    except Exception:  # noqa: BLE001 - without it only payload modules are found
        return None


def _package_dir(fullname):
    return fullname.replace(".", "/")
