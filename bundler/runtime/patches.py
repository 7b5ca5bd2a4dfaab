"""Small corrections to stdlib modules, applied when (and only if) the app imports them.

The archive's finder sees every import first, so it can hand these modules to their usual
loader and adjust them right after they execute. Each patch is narrow and says why. The
modules patched, and the function here that patches each, are listed in
``PATCHES`` (``__init__``); a patch is given what it needs from the archive as a
``PatchContext`` of callables, never the importer.
"""

import _frozen_importlib_external as _bootstrap_external
import os
import sys

from . import PACKAGE_NAME, PATCHES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

# The module a multiprocessing child (spawn, forkserver) runs to import from the archive.
CHILD_MODULE = f"{PACKAGE_NAME}.child"
# What a child interpreter reads to import from the archive that started it: the archive,
# and the sys.prefix of the interpreter that ran it (SITECUSTOMIZE checks both).
CHILD_ARCHIVE_ENV = "BUNDLER_CHILD_ARCHIVE"
CHILD_PREFIX_ENV = "BUNDLER_CHILD_PREFIX"
# The sitecustomize of such a child, first on its PYTHONPATH (the only file of its directory).
SITECUSTOMIZE = f"""\
\"\"\"Written by bundler: this interpreter was started by an app running from an archive
({CHILD_ARCHIVE_ENV}); like a virtualenv's interpreter, it imports what the app bundles.\"\"\"


def _chain(here):
    # The sitecustomize this one hides (the system's, a distribution's) runs as it would.
    import importlib.machinery
    import importlib.util
    import os
    import sys

    rest = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec(__name__, rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[__name__] = module
        spec.loader.exec_module(module)


def _start():
    import os
    import sys

    _chain(os.path.dirname(os.path.abspath(__file__)))
    archive = os.environ.get("{CHILD_ARCHIVE_ENV}", "")
    # The same interpreter only: not a virtualenv the app made, nor another Python; and
    # not a child that runs the archive itself ([sys.executable, sys.argv[0], ...]).
    itself = bool(sys.argv) and os.path.abspath(sys.argv[0]) == archive
    same = os.environ.get("{CHILD_PREFIX_ENV}") == sys.prefix
    if same and not itself and os.path.isfile(archive):
        import runpy

        runpy.run_path(archive, run_name="__bundler_child__")


_start()
"""


class PatchContext:
    """What the patches need from the archive that is running."""

    def __init__(
        self,
        source_of_path: "Callable[[str], str | None]",
        files_of: "Callable[[ModuleSpec], Any]",
        child_environment: "Callable[[], dict[str, str]]" = dict,
    ) -> None:
        # The source text of an archived .py file named by path, or None.
        self.source_of_path = source_of_path
        # The resources root of a package of the archive (by its spec), or None.
        self.files_of = files_of
        # The variables that make a child interpreter import from the archive ({} when
        # the cache cannot hold its sitecustomize): PYTHONPATH names its directory.
        self.child_environment = child_environment


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


def patch_subprocess(module: "Any", context: "PatchContext") -> None:
    """Let a child started as ``[sys.executable, "-m", X]`` (or ``-c``, or a script)
    import from the archive, as a virtualenv's interpreter imports from its site-packages:
    nox and pdm run ``-m virtualenv``, pre-commit ``-m pre_commit.languages.pygrep``,
    pytest-xdist its workers through execnet. Only this very interpreter (named by a path
    in its own directory), never another program or a virtualenv the app made."""
    popen = module.Popen
    original = popen.__init__

    def __init__(self: "Any", args: "Any", *positional: "Any", **options: "Any") -> None:
        executable = options.get("executable")
        if not positional and not options.get("shell") and _runs_this_python(args, executable):
            extra = context.child_environment()
            if extra:
                options["env"] = _child_env(options.get("env"), extra)
        original(self, args, *positional, **options)

    __init__.__wrapped__ = original  # type: ignore[attr-defined]  # inspect.signature
    popen.__init__ = __init__


def _runs_this_python(args: "Any", executable: "Any") -> bool:
    program = executable
    if program is None:
        single = isinstance(args, (str, bytes, os.PathLike))
        program = args if single else next(iter(args), None)
    try:
        program = os.path.abspath(os.fsdecode(program))
        here = os.path.dirname(sys.executable)
        return os.path.dirname(program) == here and os.path.samefile(program, sys.executable)
    except (TypeError, ValueError, OSError):
        return False


def _child_env(env: "Any", extra: "dict[str, str]") -> "Any":
    merged = dict(os.environ if env is None else env)
    if not all(isinstance(key, str) for key in merged):
        return env  # a bytes environment: left as the app made it
    inherited = merged.get("PYTHONPATH")
    merged.update(extra)
    if inherited:
        merged["PYTHONPATH"] = extra["PYTHONPATH"] + os.pathsep + inherited
    return merged
