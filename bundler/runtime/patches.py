"""Small corrections to stdlib modules, applied when (and only if) the app imports them.

The archive's finder sees every import first, so it can hand these modules to their usual
loader and adjust them right after they execute. Each patch is narrow and says why. The
modules patched, and the function here that patches each, are listed in
``PATCHES`` (``__init__``); a patch is given what it needs from the archive as a
``PatchContext`` of callables, never the importer.
"""

import _frozen_importlib_external as _bootstrap_external

from . import PACKAGE_NAME, PATCHES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

# The module a multiprocessing child (spawn, forkserver) runs to import from the archive.
CHILD_MODULE = f"{PACKAGE_NAME}.child"


class PatchContext:
    """What the patches need from the archive that is running."""

    def __init__(
        self,
        source_of_path: "Callable[[str], str | None]",
        files_of: "Callable[[ModuleSpec], Any]",
    ) -> None:
        # The source text of an archived .py file named by path, or None.
        self.source_of_path = source_of_path
        # The resources root of a package of the archive (by its spec), or None.
        self.files_of = files_of


def patched_spec(
    fullname: str, path: "Sequence[str] | None", context: "PatchContext"
) -> "ModuleSpec | None":
    """The usual spec of ``fullname``, with its patch run after the module executes."""
    patch = globals()[PATCHES[fullname]]
    spec = _bootstrap_external.PathFinder.find_spec(fullname, path)
    if spec is None or spec.loader is None:
        return spec
    original_exec = spec.loader.exec_module

    def exec_module(module: "ModuleType") -> None:
        original_exec(module)
        patch(module, context)

    spec.loader.exec_module = exec_module  # type: ignore[method-assign]
    return spec


def patch_multiprocessing_spawn(module: "Any", context: "PatchContext") -> None:
    """Make spawn and forkserver children import from the archive.

    A child re-creates ``__main__`` from the preparation data before it unpickles the
    target. For an archive that data names ``__main__`` (or ``pkg.__main__``), which
    multiprocessing deliberately does not re-run, so the child would never install our
    finder. Naming our child module instead installs it, and never starts the app.
    """
    original = module.get_preparation_data

    def get_preparation_data(name: str) -> "dict[str, Any]":
        data: dict[str, Any] = original(name)
        data.pop("init_main_from_path", None)
        data["init_main_from_name"] = CHILD_MODULE
        return data

    module.get_preparation_data = get_preparation_data


def patch_linecache(module: "Any", context: "PatchContext") -> None:
    """Let linecache read archived sources by file name alone.

    Tracebacks pass the module's globals, so linecache can ask the loader; ``warnings``
    and ``linecache.getline(path, n)`` pass only the name, and a file inside an archive
    cannot be opened. zipimport apps lose those lines; ours do not.
    """
    original = module.updatecache

    def updatecache(filename: str, module_globals: "Any" = None) -> "list[str]":
        lines: list[str] = original(filename, module_globals)
        if lines:
            return lines
        source = context.source_of_path(filename)
        if source is None:
            return lines
        lines = source.splitlines(True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        module.cache[filename] = (len(source), None, lines, filename)
        return lines

    module.updatecache = updatecache


def patch_py39_resources(module: "Any", context: "PatchContext") -> None:
    """Python 3.9's ``importlib.resources.files()`` ignores resource readers and assumes
    zipimport's layout (fixed in 3.10): ask our reader first, as 3.10 does."""
    fallback = module.from_package

    def from_package(package: "ModuleType") -> "Any":
        spec = package.__spec__
        files = context.files_of(spec) if spec is not None else None
        return files if files is not None else fallback(package)

    module.from_package = from_package
