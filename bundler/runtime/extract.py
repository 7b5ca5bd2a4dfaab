"""Native code and zip-unsafe packages: extracted into the per-user cache on first import.

A shared library can only be loaded from a real file, and some packages open files next to
their ``__file__``. The builder lists, in the index's ``extract`` table, the *units* that
must become real files, and this module writes a unit out the first time a module in it is
imported (never at start):

- the directory that holds extension modules: its files and data folders, not its
  subpackages or Python sources, which keep importing from the archive;
- the ``<dist>.libs`` and ``<package>/.dylibs`` folders that auditwheel and delocate fill
  with the shared libraries those extensions load through an ``$ORIGIN`` RPATH;
- whole packages that the build found to need real files (zip-unsafe), which are then
  imported from the extracted copy so that ``__file__`` names a real file.

Inside the app's cache directory (``cache.app_dir``, keyed by the archive's content hash)::

    site/           members at their payload paths, so relative RPATHs keep working
    site.done/KEY   written after every file of unit KEY is in place
    site.lock       held while extracting, so concurrent first starts do the work once

Correctness never depends on the lock: every file is written under a temporary name and
renamed into place, and a unit is used only once its marker exists (or once this process
has written all of it), so no process ever loads half a file. Files are not fsynced one
by one, which would dominate a first start on a slow disk; the marker is, and an
extension whose size does not match the index is extracted again before it is loaded.
"""

from __future__ import annotations

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import os
import sys

from . import cache
from .bootstrap import EXTENSION, NAMESPACE, SOURCE, BootError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from typing import Any

    from .importer import ArchiveImporter, ModuleEntry

    # key -> (members, keys of the library folders it needs first, distribution or None)
    Unit = tuple[tuple[str, ...], tuple[str, ...], "str | None"]
    # distribution -> (its name and version, what its native code was built for,
    #                  platforms as (os, machine, libc) triples, oldest Python of abi3 code)
    Native = tuple[str, str, tuple[tuple[str, str, str], ...], "tuple[int, int] | None"]

# Machine names as uname, wheel tags and Windows spell them -> one spelling.
MACHINE_ALIASES = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "arm64": "aarch64",
    "i386": "x86",
    "i486": "x86",
    "i586": "x86",
    "i686": "x86",
    "win32": "x86",
}
# Suffixes of files that must keep execute permission: the dynamic loader maps them.
_NATIVE_SUFFIXES = (".so", ".pyd", ".dll", ".dylib")
_SOURCE_SUFFIXES = (".py", ".pyi", ".pyc")


class ExtractionError(BootError, ImportError):
    """A module that must be loaded from a real file cannot be, here.

    An ImportError, so that code which treats a compiled speed-up as optional (MarkupSafe,
    PyYAML) falls back as it would in a virtualenv; a BootError, so that when nothing
    catches it the app stops with this one line instead of a traceback.
    """


def find_extracted_spec(
    importer: ArchiveImporter, fullname: str, entry: ModuleEntry
) -> ModuleSpec | None:
    """The spec of a module that is imported from the cache rather than the archive."""
    extractor: Extractor | None = getattr(importer, "_extractor", None)
    if extractor is None:
        extractor = Extractor(importer)
        importer._extractor = extractor  # type: ignore[attr-defined]
    return extractor.find_spec(fullname, entry)


class Extractor:
    """Writes units of one archive into its cache directory, each at most once."""

    def __init__(self, importer: ArchiveImporter) -> None:
        table: dict[str, Any] = importer.extraction
        self.importer = importer
        self.units: dict[str, Unit] = table.get("units", {})
        self.modules: dict[str, str] = table.get("modules", {})
        self.fallbacks: dict[str, tuple[str, str | None]] = table.get("fallbacks", {})
        self.native: dict[str, Native] = table.get("native", {})
        self._app: str | None = None
        self._ready: set[str] = set()

    def find_spec(self, fullname: str, entry: ModuleEntry) -> ModuleSpec | None:
        member, _bytecode, is_package, kind = entry
        key = self.modules[fullname]
        if kind == EXTENSION:
            assert member is not None
            return self._extension_spec(fullname, member, is_package, key)
        try:
            self.ensure(key)
        except BootError:
            raise  # a damaged archive says so itself
        except (OSError, cache.CacheError) as exc:
            raise self._error("files", key, fullname, exc) from None
        site = self.site()
        if kind == NAMESPACE:
            spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [os.path.join(site, *fullname.split("."))]
            return spec
        # A zip-unsafe package: imported by the standard file loaders, from the copy.
        assert member is not None
        location = cache.safe_member_path(site, member)
        locations = [os.path.dirname(location)] if is_package else None
        found: ModuleSpec | None = _bootstrap_external.spec_from_file_location(
            fullname, location, submodule_search_locations=locations
        )
        return found

    def _extension_spec(
        self, fullname: str, member: str, is_package: bool, key: str
    ) -> ModuleSpec | None:
        problem = self.incompatibility(fullname, member, key)
        if problem is not None:
            return self._fallback(fullname, ExtractionError(problem, name=fullname))
        try:
            self.ensure(key)
            location = cache.safe_member_path(self.site(), member)
            if not self._intact(location, member):
                self.ensure(key, repair=True)
        except BootError:
            raise
        except (OSError, cache.CacheError) as exc:
            return self._fallback(fullname, self._error("native code", key, fullname, exc))
        loader = _bootstrap_external.ExtensionFileLoader(fullname, location)
        spec = _bootstrap.ModuleSpec(fullname, loader, origin=location, is_package=is_package)
        spec.has_location = True
        if is_package:
            # A compiled __init__ (mypyc): its pure-Python submodules stay in the archive.
            package_dir = self.importer.reader.path_of(fullname.replace(".", "/"))
            spec.submodule_search_locations = [package_dir]
        return spec

    def ensure(self, key: str, *, repair: bool = False) -> None:
        """Make every file of unit ``key`` (and of the folders it needs) a real file."""
        if key in self._ready and not repair:
            return
        members, needs, _dist = self.units[key]
        for dependency in needs:
            self.ensure(dependency)
        app = self.app_dir()
        marker = os.path.join(app, "site.done", key.replace("/", "+"))
        if repair:
            _unlink_quietly(marker)
        if not os.path.exists(marker):
            with _ExclusiveLock(os.path.join(app, "site.lock")):
                # Another process may have finished the unit while we waited.
                if not os.path.exists(marker):
                    self._write(members)
                    cache.write_atomic(marker, b"")
        self._ready.add(key)

    def incompatibility(self, fullname: str, member: str, key: str) -> str | None:
        """Why this Python cannot load the extension ``member``; None when it can."""
        dist = self.units[key][2]
        native = self.native.get(dist) if dist is not None else None
        stem = "__init__" if member.rsplit("/", 1)[-1].startswith("__init__.") else None
        suffix = member.rsplit("/", 1)[-1][len(stem or fullname.rpartition(".")[2]) :]
        loadable = suffix in _imp.extension_suffixes()
        if loadable and native is not None:
            _title, _built_for, platforms, floor = native
            loadable = not platforms or running_platform() in platforms or _any_libc(platforms)
            if floor is not None and suffix.startswith(".abi3"):
                loadable = loadable and sys.version_info[:2] >= floor
        if loadable:
            return None
        if native is not None:
            title, built_for = native[0], native[1]
        else:
            title, built_for = fullname, _describe_suffix(suffix)
        return (
            f"{title} contains native code built for {built_for}, which {describe_running()} "
            f"({sys.executable}) cannot load; run the app with a matching Python, or rebuild "
            "it with --python naming this interpreter"
        )

    def app_dir(self) -> str:
        if self._app is None:
            self._app = cache.app_dir(self.importer.name, self.importer.content_hash)
        return self._app

    def site(self) -> str:
        return os.path.join(self.app_dir(), "site")

    def _write(self, members: tuple[str, ...]) -> None:
        site = self.site()
        reader = self.importer.reader
        for member in members:
            path = cache.safe_member_path(site, member)
            mode = 0o700 if is_native(member) else 0o600
            cache.write_atomic(path, reader.read(member), mode, sync=False)

    def _intact(self, location: str, member: str) -> bool:
        """A cheap check that an extracted extension is whole: its size, from one stat."""
        try:
            return os.stat(location).st_size == self.importer.reader.files[member][2]
        except OSError:
            return False

    def _fallback(self, fullname: str, error: ExtractionError) -> ModuleSpec | None:
        """Use the pure-Python twin of an extension (mypyc ships both) if there is one."""
        twin = self.fallbacks.get(fullname)
        if twin is None:
            raise error
        source, bytecode = twin
        _member, _old, is_package, _kind = self.importer.modules[fullname]
        # From now on the module is an ordinary archive module, for this process: this
        # table is the importer's own, so the importer stops sending it here.
        self.importer.modules[fullname] = (source, bytecode, is_package, SOURCE)
        del self.modules[fullname]
        return self.importer.find_spec(fullname)

    def _error(self, what: str, key: str, fullname: str, exc: BaseException) -> ExtractionError:
        dist = self.units[key][2]
        native = self.native.get(dist) if dist is not None else None
        owner = native[0] if native is not None else fullname
        return ExtractionError(
            f"cannot extract the {what} of {owner}: {_reason(exc)}", name=fullname
        )


_platform: tuple[str, str, str] | None = None


def running_platform() -> tuple[str, str, str]:
    """(os, machine, libc) of this interpreter, spelled as ``platforms_of_tag`` spells them."""
    global _platform
    if _platform is None:
        _platform = _detect_platform()
    return _platform


def _detect_platform() -> tuple[str, str, str]:
    if sys.platform == "win32":
        machine = os.environ.get("PROCESSOR_ARCHITECTURE", "")
    else:
        machine = os.uname().machine
    machine = MACHINE_ALIASES.get(machine.lower(), machine.lower())
    libc = ""
    if sys.platform.startswith("linux"):
        # The interpreter's own extension suffix names its libc: x86_64-linux-musl.
        libc = "musl" if any("musl" in s for s in _imp.extension_suffixes()) else "glibc"
    return ("linux" if sys.platform.startswith("linux") else sys.platform, machine, libc)


def describe_running() -> str:
    """``CPython 3.12 on linux x86_64``: this interpreter, for messages."""
    name = {"cpython": "CPython", "pypy": "PyPy"}.get(
        sys.implementation.name, sys.implementation.name
    )
    system, machine, _libc = running_platform()
    return f"{name} {sys.version_info[0]}.{sys.version_info[1]} on {system} {machine}"


def _describe_suffix(suffix: str) -> str:
    """``.cpython-39-x86_64-linux-gnu.so`` -> ``CPython 3.9 (x86_64-linux-gnu)``."""
    parts = suffix.strip(".").split(".")[0].split("-")
    if len(parts) > 1 and parts[0] == "cpython" and parts[1].isdigit():
        where = f" ({'-'.join(parts[2:])})" if len(parts) > 2 else ""
        return f"CPython {parts[1][0]}.{parts[1][1:]}{where}"
    return f"files named *{suffix}"


def _any_libc(platforms: tuple[tuple[str, str, str], ...]) -> bool:
    """A ``linux_x86_64`` tag says nothing of the libc: it matches either."""
    system, machine, _libc = running_platform()
    return (system, machine, "") in platforms


class _ExclusiveLock:
    """``flock`` on a file in the app's directory; released by the kernel if we die.

    Where there is no ``fcntl`` (Windows) extraction goes on unlocked: the atomic renames
    keep it correct, concurrent first starts only duplicate the work.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._fd = -1

    def __enter__(self) -> _ExclusiveLock:
        try:
            import fcntl
        except ImportError:
            return self
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
        self._fd = os.open(self._path, flags, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a filesystem without locks: correct all the same, see the docstring
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = -1


def is_native(member: str) -> bool:
    """Whether ``member`` is a shared library (an extension module or what it loads)."""
    name = member.rsplit("/", 1)[-1]
    return name.endswith(_NATIVE_SUFFIXES) or ".so." in name


def is_python_source(member: str) -> bool:
    """Whether ``member`` is Python code, which native units leave in the archive."""
    return member.endswith(_SOURCE_SUFFIXES)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
