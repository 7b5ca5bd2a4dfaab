"""The code that ships inside every archive, as the ``_bundler_runtime`` package.

It imports only the standard library and nothing from the rest of ``bundler``: the builder
copies these files into the archive, where they run on Python 3.9 to 3.13. Modules that
are needed only by some apps (resources, metadata, extraction) are imported lazily.

This file is the first stage. On the build's Python, zipimport loads the runtime from the
bytecode stored beside each source. On any other Python that bytecode is useless and
compiling the start-up modules would cost milliseconds at every start, so their bytecode
is kept in the per-user cache, next to the app's own (see ``cache.py`` and ``importer.py``).
"""

from __future__ import annotations

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import marshal
import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType, ModuleType
    from typing import Any

# Set it to use another cache directory (created if missing; it must be private).
CACHE_ENV = "BUNDLER_CACHE"


def start(main_name: str, main_file: str) -> None:
    """Entry of the archive's ``__main__.py``: load the runtime, then let it run the app."""
    use_cached_bytecode()
    from .bootstrap import run

    run(main_name, main_file)


def use_cached_bytecode() -> None:
    """On a Python other than the build's, load the runtime's modules through the cache.

    zipimport would compile each runtime module at every start (twice: once to name its
    file, once to run it). Any problem here leaves zipimport in charge: the
    runtime must start even when the cache cannot be used.
    """
    if sys.dont_write_bytecode:
        return
    loader = globals()["__loader__"]  # the zipimporter of the archive
    try:
        sample = loader.get_data(os.path.join(loader.archive, __name__, "bootstrap.pyc"))
        if sample[:4] == _bootstrap_external.MAGIC_NUMBER:
            return  # the build's bytecode is usable here: zipimport loads it directly
        index = marshal.loads(loader.get_data(os.path.join(loader.archive, ".bundle", "index")))
        finder = RuntimeBytecodeFinder(loader, index["name"], index["hash"], index["runtime"])
    except Exception:
        return
    sys.meta_path.insert(0, finder)


def cache_roots() -> list[str]:
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


class RuntimeBytecodeFinder:
    """Finder and loader of ``_bundler_runtime.*`` with bytecode cached per user.

    The cached files sit beside the app's own (``apps/<app>/bytecode/<tag>/``); a miss
    compiles the source from the archive once and stores the result for the next start.
    """

    def __init__(
        self, zip_loader: Any, name: str, content_hash: str, modules: tuple[str, ...]
    ) -> None:
        self.archive: str = zip_loader.archive
        self._zip = zip_loader
        self._modules = frozenset(f"{__name__}.{module}" for module in modules)
        self._app = (name, content_hash)
        tag = sys.implementation.cache_tag
        self._relative = os.path.join(
            "apps", app_dir_name(name, content_hash), "bytecode", tag, __name__
        )

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> Any:
        if fullname not in self._modules:
            return None
        origin = os.path.join(self.archive, *fullname.split(".")) + ".py"
        spec = _bootstrap.ModuleSpec(fullname, self, origin=origin)  # type: ignore[arg-type]
        spec.has_location = True
        return spec

    def create_module(self, spec: object) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        path = module.__spec__.origin if module.__spec__ else None
        assert path is not None
        filename = os.path.basename(path) + "c"
        code = _read_cached(self._relative, filename)
        source = None
        if code is None:
            source = self._zip.get_data(path)
            code = compile(source, path, "exec", dont_inherit=True)
        else:
            _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
        exec(code, module.__dict__)
        if source is not None:
            self._store(filename, source, code)

    def get_data(self, path: str) -> bytes:
        """Archive members, as zipimport reads them (bootstrap reads the index this way)."""
        data: bytes = self._zip.get_data(path)
        return data

    def _store(self, filename: str, source: bytes, code: CodeType) -> None:
        try:
            from . import cache

            directory = os.path.join(cache.bytecode_dir(*self._app), __name__)
            cache.write_atomic(os.path.join(directory, filename), pyc_bytes(source, code))
        except Exception:
            pass  # a cache we cannot write only costs the next start a compile


def pyc_bytes(source: bytes, code: CodeType) -> bytes:
    """A hash-based, unchecked pyc (PEP 552) for this Python: what the cache stores."""
    key = _bootstrap_external._RAW_MAGIC_NUMBER  # type: ignore[attr-defined]
    header = _bootstrap_external.MAGIC_NUMBER + b"\x01\x00\x00\x00" + _imp.source_hash(key, source)
    return header + marshal.dumps(code)


def _read_cached(relative: str, filename: str) -> CodeType | None:
    """Bytecode from the first cache root that is ours; None if absent or not trusted."""
    for root in cache_roots():
        try:
            if not _is_private(os.lstat(root)):
                continue
            with open(os.path.join(root, relative, filename), "rb") as stream:
                info = os.fstat(stream.fileno())
                data = stream.read()
        except OSError:
            continue
        # Only bytecode we wrote ourselves is executed: the root is ours and private, so
        # nobody else could have created anything below it; the file must be ours too.
        return load_pyc(data) if _is_owned(info) else None
    return None


def load_pyc(data: bytes) -> CodeType | None:
    """The code in a cached pyc written for this Python; None if it is not one."""
    if data[:4] != _bootstrap_external.MAGIC_NUMBER:
        return None
    try:
        code: CodeType = marshal.loads(memoryview(data)[16:])
    except (EOFError, ValueError, TypeError):
        return None  # unreadable: the caller compiles again and overwrites it
    return code


def _is_private(info: os.stat_result) -> bool:
    return stat.S_ISDIR(info.st_mode) and _is_owned(info) and not info.st_mode & 0o022


def _is_owned(info: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()
