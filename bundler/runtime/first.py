"""The runtime's first stage: what the archive's ``__main__.py`` runs before any other
runtime code, so it is kept small (on a Python other than the build's it is the one runtime
module compiled at every start).

It serves the other runtime modules, this package's ``__init__`` included, from one member
(``RUNTIME_MEMBER``: the bytecode of each for the build's Python, deflated one by one); on
another Python from bytecode kept per user, compiling the sources from the archive once.
Only bytecode we wrote ourselves is run: cached files must be ours, in directories nobody
else may write to, checked from the cache root down. Standard library only, and nothing of
this package (``__init__`` re-exports what others use).
"""

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import marshal
import os
import stat
import sys
import zlib  # already imported by zipimport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType, ModuleType
    from typing import Any, Final

    Table = tuple[bytes, dict[str, bytes]]  # RUNTIME_MEMBER: (magic number, module -> pyc)

# Members the first stage reads before ``__init__`` has run (the format is there).
INDEX_MEMBER: "Final" = ".bundle/index"
# The bytecode of the runtime's modules for the build's Python: marshal of (magic number,
# {module: deflated pyc}); one read at start instead of one zipimport lookup per module.
RUNTIME_MEMBER: "Final" = ".bundle/runtime"
# How the runtime's modules are compiled, by the builder and here: without docstrings,
# which nothing reads, nor asserts (type narrowing for mypy only).
RUNTIME_OPTIMIZE: "Final" = 2
# Set it to use another cache directory (created if missing; it must be private).
CACHE_ENV: "Final" = "BUNDLER_CACHE"


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


# -- where the per-user cache lives --------------------------------------------------------


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


# -- bytecode ------------------------------------------------------------------------------

_CODE_TYPE = type(app_dir_name.__code__)  # types.CodeType, without importing types


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


# -- serving the runtime's modules -------------------------------------------------------------


def start(zip_loader: "Any", package: "ModuleType", table: "Table") -> None:
    """What ``__main__.py`` calls once it has run this module: serve the runtime's modules
    from ``table`` (the runtime member it read and checked) and run the package's
    ``__init__`` into ``package``. An error is the archive's: the stub reports it."""
    finder = RuntimeFinder(zip_loader, table)
    sys.meta_path.insert(0, finder)
    for module in (package, sys.modules[__name__]):  # made by the stub, without a loader
        spec: Any = module.__spec__
        spec.loader = finder
        module.__loader__ = finder  # type: ignore[assignment]
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
        self._zip = zip_loader
        self._package = __name__.rpartition(".")[0]
        self._verified: set[str] = set()  # cache directories checked private
        magic, compiled = table or marshal.loads(self.get_data(self._path(RUNTIME_MEMBER)))
        self._names = frozenset(f"{self._package}.{module}" for module in compiled)
        usable = magic == _bootstrap_external.MAGIC_NUMBER
        self._compiled: dict[str, bytes] = compiled if usable else {}
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
        is_package = module.__name__ == self._package
        name = "__init__" if is_package else module.__name__.rpartition(".")[2]
        path = self._path(self._package, name + ".py")
        pyc = self._compiled.get(name)  # deflated one by one: inflate what is imported
        code = load_pyc(zlib.decompress(pyc)) if pyc else self._cached_or_compiled(name, path)
        if code is None:
            raise ImportError(f"no usable code for {module.__name__}", name=module.__name__)
        _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
        exec(code, module.__dict__)

    def get_source(self, fullname: str) -> "str | None":
        parts = fullname.split(".") + (["__init__"] if fullname == self._package else [])
        return _bootstrap_external.decode_source(self.get_data(self._path(*parts) + ".py"))

    def get_data(self, path: str) -> bytes:
        """Members of the outer zip (the index), checked against their CRC, unlike zipimport."""
        data: bytes = self._zip.get_data(path)
        files = getattr(self._zip, "_files", None)  # Python 3.13: _get_files()
        member = path[len(self.archive) + 1 :]
        entry = (files if files is not None else self._zip._get_files()).get(member)
        if entry is None or zlib.crc32(data) != entry[7]:
            raise damaged(self.archive, member)
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
            relative = os.path.join(bytecode_subdir(*self._app), self._package, filename)
            code = read_cached_pyc(relative, self._verified)
            if code is not None:
                return code
        source = self.get_data(path)
        code = compile(source, path, "exec", dont_inherit=True, optimize=RUNTIME_OPTIMIZE)
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
