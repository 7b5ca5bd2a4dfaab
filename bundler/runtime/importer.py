"""The finder and loader that import modules straight from the archive's payload.

``ArchiveImporter`` sits first on ``sys.meta_path`` and follows the loader protocol exactly
(``find_spec``, ``exec_module``, ``get_code``, ``get_source``, ``get_resource_reader``,
``is_package``), so every tool that introspects loaders keeps working. Reading is
``reader.Archive``'s job; what a pure-Python app does not need at start lives in modules
of their own, imported the first time an app needs it: extracted modules, namespace
packages, bytecode for another Python and children's environment (special.py),
resources, metadata and the stdlib patches.
"""

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import marshal
import os
import sys

from . import (
    EXTENSION,
    MODULE_BYTECODE,
    MODULE_KIND,
    MODULE_PACKAGE,
    MODULE_SOURCE,
    NAMESPACE,
    PACKAGE_NAME,
    PATCHES,
)
from .reader import Archive

TYPE_CHECKING = False
if TYPE_CHECKING:  # the runtime never imports typing: it costs milliseconds at every start
    from collections.abc import Iterator, Sequence
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType
    from typing import Any

    from . import Index, ModuleRecord
    from .cache import BytecodeStore, UserCache
    from .extract import Extractor
    from .patches import PatchContext
    from .resources import ArchiveResourceReader


class ArchiveLoader:
    """Loader of the modules of one archive's payload: code, source, data, resources."""

    def __init__(self, path: str, index: "Index", cache: "UserCache | None" = None) -> None:
        self.archive = Archive(path, index["chunks"], index.get("packs", ()))
        self.index = index
        self._cache = cache
        self._use_bytecode = index["magic"] == _bootstrap_external.MAGIC_NUMBER
        # special.compiled_code's: cache directories found private, and the store.
        self.verified: set[str] = set()
        self.bytecode_store: BytecodeStore | None = None
        # Records replaced in this process: an extension that fell back to its twin.
        self._replaced: dict[str, ModuleRecord] = {}
        self._resource_readers: dict[str, ArchiveResourceReader] = {}

    def create_module(self, spec: "ModuleSpec") -> None:
        return None

    # importlib's own: get_code, then exec through _call_with_frames_removed, so that
    # Python drops the import machinery's frames from tracebacks as it does for a
    # virtualenv's modules (a frame of ours in between would keep them all).
    exec_module = _bootstrap_external._LoaderBasics.exec_module

    def is_package(self, fullname: str) -> bool:
        return self._entry(fullname)[MODULE_PACKAGE]

    def get_filename(self, fullname: str) -> str:
        return self.archive.path_of(self._entry(fullname)[MODULE_SOURCE])

    def get_code(self, fullname: str) -> "CodeType":
        record = self._entry(fullname)
        source, bytecode = record[MODULE_SOURCE], record[MODULE_BYTECODE]
        path = self.archive.path_of(source)
        if bytecode is not None and self._use_bytecode:
            # Hash-based pycs (PEP 552) written at build time: the archive cannot change
            # under us, so the source hash is not checked again.
            return _unmarshal(self.archive.read(bytecode), path)
        if source is None:
            raise ImportError(f"no source or bytecode for {fullname!r}", name=fullname)
        return self._compile_cached(source, path)

    def _compile_cached(self, member: str, path: str) -> "CodeType":
        """Compile for this Python (not the build's), keeping the result for next time."""
        from .special import compiled_code

        return compiled_code(self, member, path)

    def get_source(self, fullname: str) -> "str | None":
        source = self._entry(fullname)[MODULE_SOURCE]
        if source is None:
            return None
        return _bootstrap_external.decode_source(self.archive.read(source))

    def get_data(self, path: str) -> bytes:
        member = self.archive.member_of(os.fspath(path))
        if member is None:
            with open(path, "rb") as stream:
                return stream.read()
        return self.archive.read(member)

    def get_resource_reader(self, fullname: str) -> "ArchiveResourceReader | None":
        record = self._record(fullname)
        if record is None or not record[MODULE_PACKAGE]:
            return None
        reader = self._resource_readers.get(fullname)
        if reader is None:
            from .resources import ArchiveResourceReader

            reader = ArchiveResourceReader(self.archive, _package_dir(fullname))
            self._resource_readers[fullname] = reader
        return reader

    def source_of_path(self, path: str) -> "str | None":
        """Source text of an archived ``.py`` file, for linecache (warnings, pdb)."""
        member = self.archive.member_of(path)
        if member is None or not member.endswith(".py") or member not in self.archive.files:
            return None
        text: str = _bootstrap_external.decode_source(self.archive.read(member))
        return text

    def cache(self) -> "UserCache":
        """The per-user cache, found when something first needs it (never at start)."""
        if self._cache is None:
            from .cache import UserCache

            self._cache = UserCache()
        return self._cache

    def _record(self, fullname: str) -> "ModuleRecord | None":
        replaced = self._replaced.get(fullname)
        if replaced is not None:
            return replaced
        record: ModuleRecord | None = self.archive.modules.get(fullname)
        return record

    def _entry(self, fullname: str) -> "ModuleRecord":
        record = self._record(fullname)
        if record is None:
            raise ImportError(f"{fullname!r} is not in {self.archive.path}", name=fullname)
        return record

    def __repr__(self) -> str:
        return f"<ArchiveImporter {self.archive.path!r}>"


class ArchiveImporter(ArchiveLoader):
    """Meta path finder for every module in one archive's payload, and their loader."""

    def __init__(self, path: str, index: "Index", cache: "UserCache | None" = None) -> None:
        super().__init__(path, index, cache)
        # Modules imported from the per-user cache (native code, zip-unsafe packages).
        self._extracted = index["extract"]["modules"]
        self.extractor: Extractor | None = None  # special.extracted_spec's
        self._patch_context: PatchContext | None = None
        # Before data files beside the environment may move it: a child's own prefix.
        self.host_prefix = sys.prefix

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        record = self._record(fullname)
        if record is None:
            if fullname in PATCHES:
                from .patches import patched_spec

                return patched_spec(fullname, path, self._patches())
            return None
        if fullname in self._extracted and fullname not in self._replaced:
            return self._extracted_spec(fullname, record)
        if record[MODULE_KIND] == NAMESPACE:
            return self.namespace_spec(fullname)
        if record[MODULE_KIND] == EXTENSION:
            return None  # the builder lists every extension in "extract": not reached
        spec = _bootstrap.ModuleSpec(
            fullname,
            self,  # type: ignore[arg-type] # a loader by protocol, not by inheritance
            origin=self.archive.path_of(record[MODULE_SOURCE]),
            is_package=record[MODULE_PACKAGE],
        )
        spec.has_location = True
        if record[MODULE_PACKAGE]:
            spec.submodule_search_locations = [self.archive.path_of(_package_dir(fullname))]
        return spec

    def _extracted_spec(self, fullname: str, record: "ModuleRecord") -> "ModuleSpec | None":
        from .special import extracted_spec

        return extracted_spec(self, fullname, record)

    def replace_record(self, fullname: str, record: "ModuleRecord") -> None:
        """Import ``fullname`` from now on as ``record`` says (an extension's twin)."""
        self._replaced[fullname] = record

    def namespace_spec(self, fullname: str, parent_path: object = None) -> "ModuleSpec":
        """A namespace package of the archive (``_NamespacePath`` asks again, with its
        parent's path, when that changes)."""
        from .special import namespace_spec

        return namespace_spec(self, fullname)

    def invalidate_caches(self) -> None:
        """Nothing to invalidate: an archive does not change while it runs."""

    def find_distributions(self, context: "Any" = None) -> "Iterator[Any]":
        """Distributions stored in the archive, for ``importlib.metadata``."""
        from .metadata import find_distributions

        return find_distributions(self.archive, self.index["dists"], context)

    def iter_package(self, package: str) -> "Iterator[tuple[str, bool]]":
        """(name, is_package) of the modules directly in ``package`` ("" for the top)."""
        for name, record in sorted(self.archive.modules_in(_package_dir(package)).items()):
            yield name.rpartition(".")[2], record[MODULE_PACKAGE]

    def app_dir(self) -> str:
        """The app's private directory in the per-user cache (made when first asked for)."""
        return self.cache().app_dir(self.index["name"], self.index["hash"])

    def _files_of(self, spec: "ModuleSpec") -> "Any":
        if getattr(spec, "loader", None) is not self:
            return None
        reader = self.get_resource_reader(spec.name)
        return reader.files() if reader is not None else None

    def _patches(self) -> "PatchContext":
        if self._patch_context is None:
            from .patches import PatchContext

            context = PatchContext(self.source_of_path, self._files_of, self._child_environment)
            self._patch_context = context
        return self._patch_context

    def _child_environment(self) -> "dict[str, str]":
        from .special import child_environment

        return child_environment(self)


class ArchivePathFinder:
    """Path entry finder for directories inside the archive (used by ``pkgutil``)."""

    def __init__(
        self, importer: "ArchiveImporter", package: str, fallback: "Any" = None, outer: str = ""
    ) -> None:
        self.importer = importer
        self.package = package
        self.fallback = fallback
        # The root's: the archive, whose own zip holds the stub and the runtime (zipimport
        # serves those; made when one is first asked for, not for each stdlib import).
        self.outer = outer

    def find_spec(self, fullname: str, target: "ModuleType | None" = None) -> "ModuleSpec | None":
        # Only the archive's own modules: the stdlib patches belong to the meta path.
        own = fullname in self.importer.archive.modules
        spec = self.importer.find_spec(fullname) if own else None
        if self.fallback is None and self.outer and fullname.partition(".")[0] in _OUTER:
            self.fallback = _zip_importer(self.outer)
        if spec is not None or self.fallback is None:
            return spec
        if hasattr(self.fallback, "find_spec"):
            found: ModuleSpec | None = self.fallback.find_spec(fullname, target)
            return found
        loader, _portions = self.fallback.find_loader(fullname)  # zipimport of Python 3.9
        return _bootstrap.spec_from_loader(fullname, loader) if loader is not None else None

    def invalidate_caches(self) -> None:
        """Nothing to invalidate."""

    def iter_modules(self, prefix: str = "") -> "Iterator[tuple[str, bool]]":
        """(name, is_package) of the modules directly under this directory."""
        for name, is_package in self.importer.iter_package(self.package):
            yield prefix + name, is_package


def install_importer(path: str, index: "Index") -> "ArchiveImporter":
    """Make the archive's modules importable in this process: its finder first on
    ``sys.meta_path``, a path hook for ``pkgutil``, linecache patched if already loaded."""
    importer = ArchiveImporter(path, index)
    sys.meta_path.insert(0, importer)
    archive = importer.archive

    def path_hook(entry: str) -> "ArchivePathFinder":
        member = "" if entry == path else archive.member_of(entry)
        if member is None:
            raise ImportError("not inside this archive")
        if not member:
            # The root also holds the runtime itself, which zipimport serves.
            return ArchivePathFinder(importer, "", outer=path)
        package = member.replace("/", ".")
        if package not in archive.modules:
            raise ImportError("not a package directory of this archive")
        return ArchivePathFinder(importer, package)

    sys.path_hooks.insert(0, path_hook)
    if "linecache" in sys.modules:  # imported at start by some Pythons (3.13): patch it now
        from .patches import patch_linecache

        patch_linecache(sys.modules["linecache"], importer._patches())
    # Python cached a zipimporter for the root while it located __main__.py; ours
    # replaces it so that pkgutil.iter_modules() sees the payload's top-level modules.
    sys.path_importer_cache[path] = path_hook(path)
    return importer


def _unmarshal(data: bytes, path: str) -> "CodeType":
    code: CodeType = marshal.loads(memoryview(data)[16:])
    _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
    return code


# The modules of the outer zip: the stub and the runtime.
_OUTER = ("__main__", PACKAGE_NAME)


def _zip_importer(path: str) -> "Any":
    try:
        import zipimport

        return zipimport.zipimporter(path)
    except Exception:  # without it only payload modules are found
        return None


def _package_dir(fullname: str) -> str:
    return fullname.replace(".", "/")
