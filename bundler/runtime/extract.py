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

Inside the app's cache directory (``UserCache.app_dir``, keyed by the content hash)::

    site/           members at their payload paths, so relative RPATHs keep working
    site.done/KEY   written after every file of unit KEY is in place
    site.lock       held while extracting, so concurrent first starts do the work once

Correctness never depends on the lock: every file is written under a temporary name and
renamed into place, and a unit is used only once its marker exists (or once this process
has written all of it), so no process ever loads half a file. Files are not fsynced one
by one, which would dominate a first start on a slow disk; the marker is, and an
extension whose size does not match the index is extracted again before it is loaded.
"""

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import os
import sys

from . import (
    EXTENSION,
    FILE_SIZE,
    MODULE_KIND,
    MODULE_PACKAGE,
    MODULE_SOURCE,
    NAMESPACE,
    PREFIX_UNIT,
    BootError,
)
from .cache import CacheError, FileLock, safe_member_path, unlink_quietly, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec

    from . import Extraction, ModuleRecord, NativeRecord
    from .reader import Archive

    Platform = tuple[str, str, str]  # (os, machine, libc), as platforms_of_tag spells it

# Machine names as uname, wheel tags and Windows spell them -> one spelling.
_MACHINE_ALIASES = {
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


class Extractor:
    """Writes the units of one archive into its cache directory, each at most once, and
    makes the specs of the modules imported from there."""

    def __init__(
        self, archive: "Archive", table: "Extraction", app_dir: "Callable[[], str]"
    ) -> None:
        self._archive = archive
        self._table = table
        self._app_dir = app_dir
        self._ready: set[str] = set()
        self._platform: Platform | None = None

    def fallback(self, fullname: str) -> "tuple[str, str | None] | None":
        """The (source, bytecode) members of an extension's pure-Python twin, if any."""
        return self._table["fallbacks"].get(fullname)

    def find_spec(self, fullname: str, record: "ModuleRecord") -> "ModuleSpec | None":
        """The spec of a module imported from the cache rather than the archive."""
        key = self._table["modules"][fullname]
        if record[MODULE_KIND] == EXTENSION:
            return self._extension_spec(fullname, record, key)
        self._ensure_or_fail("files", key, fullname)
        site = self.site()
        if record[MODULE_KIND] == NAMESPACE:
            spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [os.path.join(site, *fullname.split("."))]
            return spec
        # A zip-unsafe package: imported by the standard file loaders, from the copy.
        member = record[MODULE_SOURCE]
        assert member is not None
        location = safe_member_path(site, member)
        locations = [os.path.dirname(location)] if record[MODULE_PACKAGE] else None
        found: ModuleSpec | None = _bootstrap_external.spec_from_file_location(
            fullname, location, submodule_search_locations=locations
        )
        return found

    def twin_spec(self, fullname: str, record: "ModuleRecord", twin: str) -> "ModuleSpec | None":
        """The spec of the pure-Python twin of a compiled module that cannot be loaded
        here, imported from the extracted copy when its package is extracted whole (a
        zip-unsafe package: the twin reads files beside it, as blib2to3's pygram reads
        Grammar.txt); None when the twin imports from the archive."""
        key = self._table["modules"][fullname]
        if not key.endswith("/") or twin not in self._table["units"][key][0]:
            return None
        self._ensure_or_fail("files", key, fullname)
        location = safe_member_path(self.site(), twin)
        locations = [os.path.dirname(location)] if record[MODULE_PACKAGE] else None
        found: ModuleSpec | None = _bootstrap_external.spec_from_file_location(
            fullname, location, submodule_search_locations=locations
        )
        return found

    def _extension_spec(self, fullname: str, record: "ModuleRecord", key: str) -> "ModuleSpec":
        member = record[MODULE_SOURCE]
        assert member is not None
        problem = self.incompatibility(fullname, member, key)
        if problem is not None:
            raise ExtractionError(problem, name=fullname)
        self._ensure_or_fail("native code", key, fullname)
        location = safe_member_path(self.site(), member)
        if not self._intact(location, member):
            self._ensure_or_fail("native code", key, fullname, repair=True)
        loader = _bootstrap_external.ExtensionFileLoader(fullname, location)
        is_package = record[MODULE_PACKAGE]
        spec = _bootstrap.ModuleSpec(fullname, loader, origin=location, is_package=is_package)
        spec.has_location = True
        if is_package:
            # A compiled __init__ (mypyc): its pure-Python submodules stay in the archive.
            spec.submodule_search_locations = [self._archive.path_of(fullname.replace(".", "/"))]
        return spec

    def ensure(self, key: str, *, repair: bool = False) -> None:
        """Make every file of unit ``key`` (and of the units it needs) a real file."""
        if key in self._ready and not repair:
            return
        members, needs, _distribution = self._table["units"][key]
        for dependency in needs:
            self.ensure(dependency)
        app = self._app_dir()
        marker = os.path.join(app, "site.done", key.replace("/", "+"))
        if repair:
            unlink_quietly(marker)
        if not os.path.exists(marker):
            with FileLock(os.path.join(app, "site.lock")):
                # Another process may have finished the unit while we waited.
                if not os.path.exists(marker):
                    self._write(members)
                    write_atomic(marker, b"")
        self._ready.add(key)
        put_on_path(self.site())

    def site(self) -> str:
        """The directory units are extracted into, at their payload paths."""
        return os.path.join(self._app_dir(), "site")

    def incompatibility(self, fullname: str, member: str, key: str) -> "str | None":
        """Why this Python cannot load the extension ``member``; None when it can."""
        native = self._native_of(key)
        filename = member.rsplit("/", 1)[-1]
        stem = "__init__" if filename.startswith("__init__.") else fullname.rpartition(".")[2]
        suffix = filename[len(stem) :]
        if self._platform is None:
            self._platform = detect_platform()
        if loadable(suffix, native, self._platform):
            return None
        if native is not None:
            title, built_for, _platforms, _floor = native
        else:
            title, built_for = fullname, describe_suffix(suffix)
        return (
            f"{title} contains native code built for {built_for}, which "
            f"{describe_interpreter(self._platform)} ({sys.executable}) cannot load; run the "
            "app with a matching Python, or rebuild it with --python naming this interpreter"
        )

    def _ensure_or_fail(self, what: str, key: str, fullname: str, *, repair: bool = False) -> None:
        try:
            self.ensure(key, repair=repair)
        except BootError:
            raise  # a damaged archive says so itself
        except (OSError, CacheError) as exc:
            native = self._native_of(key)
            owner = fullname
            if native is not None:
                owner, _built_for, _platforms, _floor = native
            raise ExtractionError(
                f"cannot extract the {what} of {owner}: {_reason(exc)}", name=fullname
            ) from None

    def _native_of(self, key: str) -> "NativeRecord | None":
        _members, _needs, dist = self._table["units"][key]
        return self._table["native"].get(dist) if dist is not None else None

    def _write(self, members: "Sequence[str]") -> None:
        site = self.site()
        for member in members:
            path = safe_member_path(site, member)
            mode = 0o700 if is_native(member) else 0o600
            write_atomic(path, self._archive.read(member), mode, sync=False)

    def _intact(self, location: str, member: str) -> bool:
        """A cheap check that an extracted extension is whole: its size, from one stat."""
        try:
            return bool(os.stat(location).st_size == self._archive.files[member][FILE_SIZE])
        except OSError:
            return False


def use_data_prefix(archive: "Archive", table: "Extraction", app_dir: "Callable[[], str]") -> None:
    """Make the data files the distributions installed beside the environment (jupyter's
    ``share/jupyter``, man pages) real files under one directory, and make it
    ``sys.prefix``, where apps look for them as in a virtualenv (whose root is
    ``sys.prefix``). Only archives that carry such files pay for this, at start: nothing
    tells when an app first reads ``sys.prefix``."""
    if PREFIX_UNIT not in table["units"]:
        return
    extractor = Extractor(archive, table, app_dir)
    extractor._ensure_or_fail("data files", PREFIX_UNIT, "sys.prefix")
    sys.prefix = sys.exec_prefix = os.path.join(extractor.site(), PREFIX_UNIT.rstrip("/"))


def put_on_path(site: str) -> None:
    """Make the extraction directory an entry of ``sys.path``, last, as an installed
    package's site directory is: tools map the file paths of extracted modules back to
    module names through it (mypy, pytest, coverage). The archive's finder stays first,
    so nothing imports from there that the archive does not list there."""
    if site not in sys.path:
        sys.path.append(site)


def loadable(suffix: str, native: "NativeRecord | None", platform: "Platform") -> bool:
    """Whether an extension file named ``*suffix`` of a distribution whose native code is
    described by ``native`` loads on this interpreter, running on ``platform``."""
    if suffix not in _imp.extension_suffixes():
        return False
    if native is None:
        return True
    _title, _built_for, platforms, floor = native
    system, machine, _libc = platform
    # A linux_x86_64 tag says nothing of the libc: it matches either.
    ok = not platforms or platform in platforms or (system, machine, "") in platforms
    if floor is not None and suffix.startswith(".abi3"):
        ok = ok and sys.version_info[:2] >= floor
    return ok


def detect_platform(
    system: str = sys.platform, machine: "str | None" = None, suffixes: "Sequence[str]" = ()
) -> "Platform":
    """(os, machine, libc) of this interpreter, spelled as wheel platform tags are read."""
    if machine is None:
        if sys.platform == "win32":
            machine = os.environ.get("PROCESSOR_ARCHITECTURE", "")
        else:
            machine = os.uname().machine
    libc = ""
    if system.startswith("linux"):
        # The interpreter's own extension suffix names its libc: x86_64-linux-musl.
        found = suffixes or _imp.extension_suffixes()
        libc = "musl" if any("musl" in suffix for suffix in found) else "glibc"
    return ("linux" if system.startswith("linux") else system, normalise_machine(machine), libc)


def normalise_machine(name: str) -> str:
    """``AMD64``, ``x64`` -> ``x86_64``; ``arm64`` -> ``aarch64``; and so on."""
    return _MACHINE_ALIASES.get(name.lower(), name.lower())


def describe_interpreter(platform: "Platform") -> str:
    """``CPython 3.12 on linux x86_64``: this interpreter, for messages."""
    implementation = sys.implementation.name
    name = {"cpython": "CPython", "pypy": "PyPy"}.get(implementation, implementation)
    system, machine, _libc = platform
    return f"{name} {sys.version_info[0]}.{sys.version_info[1]} on {system} {machine}"


def describe_suffix(suffix: str) -> str:
    """``.cpython-39-x86_64-linux-gnu.so`` -> ``CPython 3.9 (x86_64-linux-gnu)``."""
    parts = suffix.strip(".").split(".")[0].split("-")
    if len(parts) > 1 and parts[0] == "cpython" and parts[1].isdigit():
        where = f" ({'-'.join(parts[2:])})" if len(parts) > 2 else ""
        return f"CPython {parts[1][0]}.{parts[1][1:]}{where}"
    return f"files named *{suffix}"


def is_native(member: str) -> bool:
    """Whether ``member`` is a shared library (an extension module or what it loads)."""
    name = member.rsplit("/", 1)[-1]
    return name.endswith(_NATIVE_SUFFIXES) or ".so." in name


def is_python_source(member: str) -> bool:
    """Whether ``member`` is Python code, which native units leave in the archive."""
    return member.endswith(_SOURCE_SUFFIXES)


def _reason(exc: "BaseException") -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc)
