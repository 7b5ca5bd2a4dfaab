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
                    (a wheel's scripts in site/bin/, as pip --target lays them out)
    site.done/KEY   written after every file of unit KEY is in place: the boot it was
                    written in (trust.boot_id; None: the files were fsynced first) and
                    for each file, the size and CRC of its member and the stamp of the
                    file written (trust.stamp: size, inode, modification and change times)
    site.lock       held while extracting, so concurrent first starts do the work once

Before a unit is used, in each process, every file of it is checked against its marker:
a private file of ours (trust.py), in private directories, with the stamp recorded, for
the member of this archive. Anything else (a truncated or edited file, a missing one, a
symlink, another user's file, an open directory) is removed and extracted again, under
the lock, which is also when what a killed process left behind is swept. Correctness
never depends on the lock: every file is written under a temporary name and renamed into
place, and a unit is used only once its marker matches, so no process loads half a file.
A marker of another boot is trusted once the bytes of its files match the archive: a
power loss may have left them unwritten.
"""

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import marshal
import os
import sys
import zlib

from . import (
    EXTENSION,
    FILE_CRC,
    FILE_SIZE,
    MODULE_KIND,
    MODULE_PACKAGE,
    MODULE_SOURCE,
    NAMESPACE,
    PREFIX_UNIT,
    BootError,
    is_private_dir,
    is_private_file,
    read_trusted,
)
from .cache import CacheError, FileLock, write_atomic
from .platforms import describe_interpreter, describe_suffix, detect_platform, loadable
from .stream import make_durable, write_members
from .trust import (
    UnsafeName,
    Untrusted,
    boot_id,
    destination,
    discard,
    private_tree,
    safe_member_path,
    same_bytes,
    stamp,
    sweep,
    unlink_quietly,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from importlib.machinery import ModuleSpec

    from . import Extraction, ModuleRecord, NativeRecord
    from .platforms import Platform
    from .reader import Archive


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
        self._dirs: set[str] = set()  # directories found private (trust.private_tree)

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
        loader = _bootstrap_external.ExtensionFileLoader(fullname, location)
        is_package = record[MODULE_PACKAGE]
        spec = _bootstrap.ModuleSpec(fullname, loader, origin=location, is_package=is_package)
        spec.has_location = True
        if is_package:
            # A compiled __init__ (mypyc): its pure-Python submodules stay in the archive.
            spec.submodule_search_locations = [self._archive.path_of(fullname.replace(".", "/"))]
        return spec

    def ensure(self, key: str) -> None:
        """Make every file of unit ``key`` (and of the units it needs) a real file, as
        the archive has it: checked, and extracted (again) unless it passes. The units
        that must be written are written together, under the lock: every file, then
        their markers (trust.boot_id says when the files need no fsync first)."""
        if key in self._ready:
            return
        app = self._app_dir()
        pending = [k for k in _needed(self._table, key, []) if k not in self._ready]
        if any(not self._verified(app, k) for k in pending):
            with FileLock(os.path.join(app, "site.lock")) as lock:
                # Another process may have finished some units while we waited.
                stale = [k for k in pending if not self._verified(app, k)]
                if stale:
                    for unit in stale:
                        unlink_quietly(_marker(app, unit))
                    if lock.held:  # no other writer: what is there was left by the dead
                        sweep(app)
                    units = {k: self._table["units"][k][0] for k in stale}
                    records = _write(self._archive, self._dirs, app, units, sweeping=lock.held)
                    private_tree(app, ("site.done",), self._dirs, fix=True)
                    for unit, members in units.items():
                        recorded = {member: records[member] for member in members}
                        content = marshal.dumps((boot_id(), recorded))
                        write_atomic(_marker(app, unit), content, sync=False)
        self._ready.update(pending)
        put_on_path(self.site())

    def _verified(self, app: str, key: str) -> bool:
        members = self._table["units"][key][0]
        return _verified(self._archive, self._dirs, app, _marker(app, key), members)

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

    def _ensure_or_fail(self, what: str, key: str, fullname: str) -> None:
        try:
            self.ensure(key)
        except BootError:
            raise  # a damaged archive says so itself
        except (OSError, CacheError, Untrusted, UnsafeName) as exc:
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


def _needed(table: "Extraction", key: str, order: "list[str]") -> "list[str]":
    """``key`` and the units it needs, each once."""
    if key not in order:
        order.append(key)  # first: a cycle of needs ends here
        for dependency in table["units"][key][1]:
            _needed(table, dependency, order)
    return order


def _verified(
    archive: "Archive", dirs: "set[str]", app: str, marker: str, members: "Sequence[str]"
) -> bool:
    """Whether every file of a unit is what its marker recorded for this archive: a
    private file of ours with the stamp recorded, and, when the marker was written
    during another boot without syncing the files (``trust.boot_id``), the bytes of the
    member, checked once, after which the marker names this boot."""
    try:
        private_tree(app, ("site.done",), dirs, fix=False)
        data = read_trusted(marker)
        boot, recorded = marshal.loads(data) if data is not None else (None, {})
        site = private_tree(app, ("site",), dirs, fix=False)
        paths = []
        sources: set[str] = set()
        directories: dict[str, str] = {}  # checked once for all the files in each
        for member in members:
            target = destination(member)
            path = safe_member_path(site, target)
            parent, _slash, name = target.rpartition("/")
            directory = directories.get(parent)
            if directory is None:
                parts = parent.split("/") if parent else []
                directory = directories[parent] = private_tree(site, parts, dirs, fix=False)
            paths.append(path)
            info = os.lstat(path)
            file = archive.files[member]
            expected = (file[FILE_SIZE], file[FILE_CRC], *stamp(info))
            if not is_private_file(info) or recorded.get(member) != expected:
                return False
            if name.endswith(".py") and directory not in sources:
                if not _pycache_trusted(directory):
                    return False
                sources.add(directory)  # one check of its __pycache__ for all its modules
    except (Untrusted, OSError, ValueError, EOFError, TypeError, AttributeError):
        return False
    if boot is not None and boot != boot_id():
        # Written, not synced, before a reboot that may have been a power loss.
        for member, path in zip(members, paths):
            size, crc = recorded[member][:2]
            if not same_bytes(path, size, crc):
                return False
        make_durable(paths)  # they were read from the disk; this costs nothing more
        write_atomic(marker, marshal.dumps((boot_id(), recorded)), sync=False)
    return True


def _write(
    archive: "Archive",
    dirs: "set[str]",
    app: str,
    units: "Mapping[str, Sequence[str]]",
    *,
    sweeping: bool,
) -> "dict[str, tuple[int, ...]]":
    """Extract the members of ``units``, each once (fsynced where no boot id tells a
    power loss); returns what the markers record for each member. ``sweeping`` (the
    lock is held) removes the temporary files that killed extractions left."""
    site = private_tree(app, ("site",), dirs, fix=True)
    jobs: dict[str, tuple[str, str, int]] = {}
    swept: set[str] = set()
    for member in (m for members in units.values() for m in members):
        target = destination(member)
        safe_member_path(site, target)  # UnsafeName if it would escape
        *parts, name = target.split("/")
        directory = private_tree(site, parts, dirs, fix=True)
        if sweeping and directory not in swept:
            sweep(directory)
            if not _pycache_trusted(directory):
                discard(os.path.join(directory, "__pycache__"), app)
            swept.add(directory)
        jobs[member] = (
            member,
            os.path.join(directory, name),
            0o700 if is_native(member) or target != member else 0o600,  # a script
        )
    write_members(archive, list(jobs.values()))
    if boot_id() is None:  # nothing tells a power loss: the files must reach the disk
        make_durable([path for _member, path, _mode in jobs.values()])
    records: dict[str, tuple[int, ...]] = {}
    for member, path, _mode in jobs.values():
        file = archive.files[member]
        records[member] = (file[FILE_SIZE], file[FILE_CRC], *stamp(os.lstat(path)))
    return records


def _marker(app: str, key: str) -> str:
    """The completion marker of unit ``key``: its name, or for a name too long for a
    file system, its CRC and its end."""
    name = key.replace("/", "+")
    if len(name) > 200:
        name = f"{zlib.crc32(key.encode()):08x}+{name[-180:]}"
    return os.path.join(app, "site.done", name)


def _pycache_trusted(directory: str) -> bool:
    """Whether the ``__pycache__`` that Python's own loader keeps in an extracted package
    is absent, or private with only private files of ours in it."""
    path = os.path.join(directory, "__pycache__")
    try:
        if not is_private_dir(os.lstat(path)):
            return False
        with os.scandir(path) as entries:
            return all(is_private_file(entry.stat(follow_symlinks=False)) for entry in entries)
    except FileNotFoundError:
        return True
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
