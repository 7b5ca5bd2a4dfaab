"""Small corrections to stdlib modules, applied when (and only if) the app imports them.

The archive's finder sees every import first, so it can hand these modules to their usual
loader and adjust them right after they execute. Each patch is narrow and says why.
"""

from __future__ import annotations

import _frozen_importlib_external as _bootstrap_external
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

    from .importer import ArchiveImporter

# The module a multiprocessing child (spawn, forkserver) runs to import from the archive.
CHILD_MODULE = "_bundler_runtime.child"


def patched_spec(
    fullname: str, path: Sequence[str] | None, importer: ArchiveImporter
) -> ModuleSpec | None:
    """The usual spec of ``fullname``, with a patch run after the module executes."""
    patch = _PATCHES.get(fullname)
    spec = _bootstrap_external.PathFinder.find_spec(fullname, path)
    if patch is None or spec is None or spec.loader is None:
        return spec
    original_exec = spec.loader.exec_module

    def exec_module(module: ModuleType) -> None:
        original_exec(module)
        patch(module, importer)

    spec.loader.exec_module = exec_module  # type: ignore[method-assign]
    return spec


def _patch_multiprocessing_spawn(module: Any, importer: ArchiveImporter) -> None:
    """Make spawn and forkserver children import from the archive.

    A child re-creates ``__main__`` from the preparation data before it unpickles the
    target. For an archive that data names ``__main__`` (or ``pkg.__main__``), which
    multiprocessing deliberately does not re-run, so the child would never install our
    finder. Naming our child module instead installs it, and never starts the app.
    """
    original = module.get_preparation_data

    def get_preparation_data(name: str) -> dict[str, Any]:
        data: dict[str, Any] = original(name)
        data.pop("init_main_from_path", None)
        data["init_main_from_name"] = CHILD_MODULE
        return data

    module.get_preparation_data = get_preparation_data


def patch_linecache(module: Any, importer: ArchiveImporter) -> None:
    """Let linecache read archived sources by file name alone.

    Tracebacks pass the module's globals, so linecache can ask the loader; ``warnings``
    and ``linecache.getline(path, n)`` pass only the name, and a file inside an archive
    cannot be opened. zipimport apps lose those lines; ours do not.
    """
    original = module.updatecache

    def updatecache(filename: str, module_globals: Any = None) -> list[str]:
        lines: list[str] = original(filename, module_globals)
        if lines:
            return lines
        source = importer.source_of_path(filename)
        if source is None:
            return lines
        lines = source.splitlines(True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        module.cache[filename] = (len(source), None, lines, filename)
        return lines

    module.updatecache = updatecache


def _patch_py39_resources(module: Any, importer: ArchiveImporter) -> None:
    """Python 3.9's ``importlib.resources.files()`` ignores resource readers and assumes
    zipimport's layout (fixed in 3.10): ask our reader first, as 3.10 does."""
    fallback = module.from_package

    def from_package(package: ModuleType) -> Any:
        spec = package.__spec__
        if spec is not None and getattr(spec, "loader", None) is importer:
            reader = importer.get_resource_reader(spec.name)
            if reader is not None:
                return reader.files()
        return fallback(package)

    module.from_package = from_package


_PATCHES: dict[str, Callable[[Any, ArchiveImporter], None]] = {
    "multiprocessing.spawn": _patch_multiprocessing_spawn,
    "linecache": patch_linecache,
}
if sys.version_info < (3, 10):
    _PATCHES["importlib._common"] = _patch_py39_resources
