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
import marshal
import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType

# Set it to use another cache directory (created if missing; it must be private).
CACHE_ENV = "BUNDLER_CACHE"
# What every start on a foreign Python imports (cache: to find the app's cached bytecode).
_STARTUP_MODULES = ("bootstrap", "importer", "cache")


def start(main_name: str, main_file: str) -> None:
    """Entry of the archive's ``__main__.py``: load the runtime, then let it run the app."""
    if not __file__.endswith("c"):
        # zipimport names the file it loaded: no ".pyc" means this Python cannot use the
        # build's bytecode.
        _load_startup_modules(os.path.dirname(os.path.abspath(main_file)))
    from .bootstrap import run

    run(main_name, main_file)


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


def _load_startup_modules(archive: str) -> None:
    """Import the start-up modules with cached bytecode, compiling (and caching) on a miss.

    Any problem here falls back to zipimport's own compile: the runtime must start even
    when the cache cannot be used, and bootstrap reports a damaged archive properly.
    """
    if sys.dont_write_bytecode:
        return
    loader = globals()["__loader__"]  # the zipimporter of the archive
    try:
        index = marshal.loads(loader.get_data(os.path.join(loader.archive, ".bundle", "index")))
        relative = os.path.join(
            "apps",
            app_dir_name(index["name"], index["hash"]),
            "bytecode",
            sys.implementation.cache_tag,
            __name__,
        )
    except Exception:
        return
    compiled: dict[str, tuple[bytes, CodeType]] = {}
    for name in _STARTUP_MODULES:
        path = os.path.join(archive, __name__, f"{name}.py")
        code = _read_cached(relative, f"{name}.pyc")
        if code is None:
            source = loader.get_data(os.path.join(loader.archive, __name__, f"{name}.py"))
            code = compile(source, path, "exec", dont_inherit=True)
            compiled[name] = (source, code)
        _execute(f"{__name__}.{name}", path, code, loader)
    if compiled:
        _store(index, compiled)


def _read_cached(relative: str, filename: str) -> CodeType | None:
    """Bytecode from the first cache root that is ours; None if absent or not trusted."""
    from _frozen_importlib_external import MAGIC_NUMBER

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
        if _is_owned(info) and data[:4] == MAGIC_NUMBER:
            try:
                code: CodeType = marshal.loads(memoryview(data)[16:])
                return code
            except (EOFError, ValueError, TypeError):
                return None
    return None


def _execute(fullname: str, path: str, code: CodeType, loader: object) -> None:
    import _imp

    spec = _bootstrap.ModuleSpec(fullname, loader, origin=path)  # type: ignore[arg-type]
    spec.has_location = True
    module = _bootstrap.module_from_spec(spec)
    _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
    sys.modules[fullname] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        del sys.modules[fullname]
        raise
    setattr(sys.modules[__name__], fullname.rpartition(".")[2], module)


def _store(index: dict[str, str], compiled: dict[str, tuple[bytes, CodeType]]) -> None:
    """Write the start-up modules' bytecode where the next start will look for it."""
    try:
        from . import cache, importer

        directory = os.path.join(
            cache.app_dir(index["name"], index["hash"]),
            "bytecode",
            sys.implementation.cache_tag,
            __name__,
        )
        for name, (source, code) in compiled.items():
            cache.write_atomic(
                os.path.join(directory, f"{name}.pyc"), importer.pyc_bytes(source, code)
            )
    except Exception:
        pass  # a cache we cannot write only costs the next start a compile


def _is_private(info: os.stat_result) -> bool:
    return stat.S_ISDIR(info.st_mode) and _is_owned(info) and not info.st_mode & 0o022


def _is_owned(info: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()
