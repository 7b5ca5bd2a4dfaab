"""What the importer does beyond a pure-Python module of the payload, imported the first time
an app needs it (never at the start of a pure-Python app on the build's Python): modules
imported from the per-user cache (native code, zip-unsafe packages) and the twins that
replace them, namespace packages, bytecode for a Python other than the build's, and the
environment that makes a child interpreter import from the archive.

Each function is given the ``ArchiveImporter`` (or loader) whose method called it.
"""

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import os
import sys

from . import MODULE_PACKAGE, PACKAGE_NAME, SOURCE, bytecode_subdir, module_record, read_cached_pyc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType
    from typing import Any

    from . import ModuleRecord
    from .resources import ArchiveResourceReader


def extracted_spec(importer: "Any", fullname: str, record: "ModuleRecord") -> "ModuleSpec | None":
    """The spec of a module imported from the per-user cache; where a compiled module cannot
    be loaded here, its pure-Python twin's (mypyc ships both), as a virtualenv of this
    Python would import it."""
    from .extract import ExtractionError, Extractor

    if importer.extractor is None:
        importer.extractor = Extractor(
            importer.archive, importer.index["extract"], importer.app_dir
        )
    extractor = importer.extractor
    try:
        spec: ModuleSpec | None = extractor.find_spec(fullname, record)
        return spec
    except ExtractionError:
        twin = extractor.fallback(fullname)
        if twin is None:
            raise
        copied: ModuleSpec | None = extractor.twin_spec(fullname, record, twin[0])
        if copied is not None:
            return copied  # its package runs from extracted files: so must the twin
        source, bytecode = twin
        importer.replace_record(
            fullname, module_record(source, bytecode, record[MODULE_PACKAGE], SOURCE)
        )
        found: ModuleSpec | None = importer.find_spec(fullname)
        return found


def namespace_spec(importer: "Any", fullname: str) -> "ModuleSpec":
    """A namespace package, shaped as PathFinder shapes one (``_NamespacePath``)."""
    location = [importer.archive.path_of(fullname.replace(".", "/"))]
    loader = NamespaceLoader(fullname, location, importer.namespace_spec)
    loader.resource_reader = importer.get_resource_reader
    spec = _bootstrap.ModuleSpec(fullname, loader, is_package=True)
    spec.submodule_search_locations = loader._path
    return spec


# Public as NamespaceLoader since 3.11; _NamespaceLoader before.
_NamespaceLoaderBase: "Any" = (
    getattr(_bootstrap_external, "NamespaceLoader", None) or _bootstrap_external._NamespaceLoader
)


class NamespaceLoader(_NamespaceLoaderBase):  # type: ignore[misc]
    """importlib's own namespace loader, able to read package data from the archive.

    Named like its base, so that code which checks the loader's type sees what a
    virtualenv gives it.
    """

    resource_reader: "Any"  # the archive importer's get_resource_reader

    def exec_module(self, module: "ModuleType") -> None:
        module.__file__ = None  # what PathFinder's namespace packages get, too

    def get_resource_reader(self, fullname: str) -> "ArchiveResourceReader | None":
        reader: ArchiveResourceReader | None = self.resource_reader(fullname)
        return reader


NamespaceLoader.__name__ = NamespaceLoader.__qualname__ = _NamespaceLoaderBase.__name__


def compiled_code(loader: "Any", member: str, path: str) -> "CodeType":
    """The code of source ``member`` for this Python (not the build's): the bytecode kept
    in the per-user cache (a private file of ours, read as the first stage reads the
    runtime's own: nothing else of the cache is loaded to read it), else compiled and
    kept for the next start. ``-B`` and PYTHONDONTWRITEBYTECODE turn the cache off."""
    keep = not sys.dont_write_bytecode
    if keep:
        index = loader.index
        relative = os.path.join(bytecode_subdir(index["name"], index["hash"]), member + "c")
        code = read_cached_pyc(relative.replace("/", os.sep), loader.verified)
        if code is not None:
            _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
            return code
    source = loader.archive.read(member)
    code = compile(source, path, "exec", dont_inherit=True)
    if keep:
        if loader.bytecode_store is None:
            from .cache import BytecodeStore

            index = loader.index
            loader.bytecode_store = BytecodeStore(loader.cache(), index["name"], index["hash"])
        loader.bytecode_store.store(member, source, code)
    return code


def child_environment(importer: "Any") -> "dict[str, str]":
    """What makes a child of this interpreter import from the archive: the directory of its
    sitecustomize (patches.SITECUSTOMIZE, in the app's private cache directory) first on
    PYTHONPATH. Nothing when the cache cannot hold it: the child runs as it would
    without."""
    from . import read_trusted
    from .cache import CacheError, ensure_private_dir, write_atomic
    from .patches import CHILD_ARCHIVE_ENV, CHILD_PREFIX_ENV, SITECUSTOMIZE

    try:
        child = os.path.join(importer.app_dir(), "child")
        directory = ensure_private_dir(child, parents=False)  # ours, no link
        path = os.path.join(directory, "sitecustomize.py")
        if read_trusted(path) != SITECUSTOMIZE.encode():
            write_atomic(path, SITECUSTOMIZE.encode())
    except (CacheError, OSError):
        return {}
    return {
        CHILD_ARCHIVE_ENV: importer.archive.path,
        CHILD_PREFIX_ENV: importer.host_prefix,
        "PYTHONPATH": directory,
    }


def keep_runtime_bytecode(finder: "Any", importer: "Any", runtime_hash: str) -> None:
    """On a Python other than the build's, keep the runtime modules that the first stage
    (``finder``) compiles in the per-user cache, for the next start (under the hash that
    the first stage looks them up with: the first target's). The cache is opened for the
    first module to keep: a start that compiles none does not load it."""
    stores: list[Any] = []
    waiting: list[tuple[str, bytes]] = []

    def write(name: str, pyc: bytes) -> None:
        waiting.append((name, pyc))
        if not stores:
            if len(waiting) > 1:
                return  # importing cache compiled it (or trust): kept once the store is made
            from .cache import BytecodeStore

            stores.append(BytecodeStore(importer.cache(), importer.index["name"], runtime_hash))
        while waiting:
            done, data = waiting.pop(0)
            stores[0].store_pyc(f"{PACKAGE_NAME}/{done}", data)

    finder.store_with(write)
