"""Start an app from its archive: read the index, install the importer, call the entry point."""

import marshal
import os
import sys

from . import FORMAT_VERSION, INDEX_MEMBER, PREFIX_UNIT, BootError
from .importer import ArchiveImporter, install_importer

TYPE_CHECKING = False
if TYPE_CHECKING:  # the runtime never imports typing: it costs milliseconds at every start
    from types import TracebackType
    from typing import Any

    from . import Index


def run(main_name: str, main_file: str) -> None:
    """Entry of the archive's ``__main__.py``.

    Run as ``__main__`` it starts the app. Run under any other name (``__mp_main__`` when
    multiprocessing's spawn start method re-imports the main module in a child) it only
    installs the importer, so the child can unpickle the app's functions.
    """
    archive = os.path.dirname(os.path.abspath(main_file))
    try:
        index = _prepare(archive, isolate=main_name != "__mp_main__")
        if main_name != "__main__":
            return
        _show_app_frames_only(archive)
        status = run_entry_point(index)
    except BootError as exc:
        # Also raised while the app runs, when a damaged member is read.
        sys.stderr.write(f"{os.path.basename(archive)}: error: {exc}\n")
        sys.exit(1)
    sys.exit(status)


def _prepare(archive: str, isolate: bool) -> "Index":
    """Read the index, check the Python, install the importer: before the app runs, any
    error is the archive's (a crafted or damaged index), said in one line."""
    try:
        index = read_index(archive)
        runtime_hash = index["hash"]  # the runtime's own bytecode is cached under it
        if index["targets"]:
            index = _target_index(archive, index)
        check_python(index)
        importer = install(archive, index, isolate)
        finder: Any = next((f for f in sys.meta_path if hasattr(f, "store_with")), None)
        if finder is not None and finder.compiles:  # another Python: keep what it compiled
            from .special import keep_runtime_bytecode

            keep_runtime_bytecode(finder, importer, runtime_hash)
    except BootError:
        raise
    except Exception as exc:
        raise BootError(
            f"{archive} is damaged ({type(exc).__name__} in its index); rebuild or re-download it"
        ) from None
    return index


def read_index(archive: str, member: str = INDEX_MEMBER) -> "Index":
    """Load the module index that the builder stored next to ``__main__.py`` (or the
    index of another of its targets)."""
    loader = globals()["__loader__"]  # the zipimporter that loaded this module
    try:
        # zipimport knows the archive by the path it was given, relative or not.
        data = loader.get_data(os.path.join(loader.archive, member))
        index = marshal.loads(data)
    except BootError:
        raise  # its CRC did not match: the message says so
    except Exception as exc:  # any failure here means a damaged archive
        raise BootError(
            f"{archive} is damaged ({exc.__class__.__name__} in its index); "
            "rebuild or re-download it"
        ) from None
    version = index.get("format") if isinstance(index, dict) else None
    if version != FORMAT_VERSION:
        raise BootError(
            f"{archive} uses archive format {version!r}, but its runtime reads format "
            f"{FORMAT_VERSION}; rebuild it with a matching bundler"
        )
    return index  # type: ignore[no-any-return]


def _target_index(archive: str, index: "Index") -> "Index":
    """The index of the target that matches this interpreter (an archive built for
    several); none matching is said in one line that lists the archive's targets."""
    from .targets import describe_running, describe_targets, select_target

    chosen = select_target(index["targets"])
    if chosen is None:
        raise BootError(
            f"{index['name']} has no build for this interpreter ({describe_running()}, "
            f"{sys.executable}); the archive holds {describe_targets(index['targets'])}: "
            "run it with one of those, or rebuild it with this target"
        )
    member = chosen[-1]
    return index if member == INDEX_MEMBER else read_index(archive, member)


def check_python(index: "Index") -> None:
    """Refuse to start on a Python that the app's ``requires-python`` excludes, or that
    one of the limits the build found excludes (a distribution's Requires-Python, native
    code, a dependency selected by a marker): one line naming the reason."""
    spec = index["requires_python"]
    running = ".".join(map(str, sys.version_info[:3]))
    if spec and not version_matches(spec, sys.version_info[:3]):
        raise BootError(
            f"{index['name']} requires Python {spec}, but this is Python {running} "
            f"({sys.executable}); run it with a matching interpreter"
        )
    for limit, reason in index["pythons"]:
        if not version_matches(limit, sys.version_info[:3]):
            raise BootError(
                f"{index['name']} cannot run on Python {running} ({sys.executable}): "
                f"{reason}; it runs on Python {index['python_range']}"
            )


def install(archive: str, index: "Index", isolate: bool = True) -> "ArchiveImporter":
    """Put the archive's finder first on ``sys.meta_path`` and hide host site-packages.

    A multiprocessing child (``isolate`` false) keeps its ``sys.path``: spawn and
    forkserver have set it to the parent's, already isolated, with what the app added
    (uvicorn's app directory, which its workers import the app from)."""
    importer = install_importer(archive, index)
    if isolate and not index["inherit_path"]:
        sys.path[:] = _isolated_path(sys.path, archive)
    if PREFIX_UNIT in index["extract"]["units"]:  # data files beside the environment
        from .extract import use_data_prefix

        app = (index["name"], index["hash"])
        use_data_prefix(importer.archive, index["extract"], lambda: importer.cache().app_dir(*app))
    return importer


def run_entry_point(index: "Index") -> "Any":
    """Run the entry point; its return value becomes the exit status."""
    module_name, function = index["entry"]
    try:
        if function is None:
            import runpy

            runpy.run_module(module_name, run_name="__main__", alter_sys=True)
            return 0
        target: Any = __import__(module_name, fromlist=["_"])
        for attribute in function.split("."):
            target = getattr(target, attribute)
        _as_a_script(sys.modules["__main__"])
        return target()
    except KeyboardInterrupt:
        return 130
    except ImportError as exc:
        # A library may wrap our error in its own (numpy re-raises with advice): the
        # message the user needs is still ours, the one line about the cache or the ABI.
        from .tracebacks import boot_error_in_chain

        cause = boot_error_in_chain(exc)
        if cause is None:
            raise
        raise cause from None


def _as_a_script(main: "Any") -> None:
    """Make ``__main__`` what a virtualenv's console script has: no ``__spec__`` nor
    ``__package__`` (runpy gave the zip's). Reloaders read them to restart the program:
    Django's ran ``python -m __main__``, werkzeug's ``python -m app``; now, as from a
    console script, they run ``python app.pyz ARGS`` again."""
    main.__spec__ = None
    main.__package__ = None


def version_matches(specifier: str, version: "tuple[int, ...]") -> bool:
    """Evaluate a PEP 440 specifier set such as ``>=3.9,!=3.10.*`` for a release tuple."""
    for clause in specifier.split(","):
        clause = clause.strip()
        if not clause:
            continue
        operator = clause[:3] if clause.startswith("===") else clause.rstrip("0123456789.*")
        operator = operator.strip()
        wanted = clause[len(operator) :].strip()
        if not _clause_matches(operator, wanted, version):
            return False
    return True


def _clause_matches(operator: str, wanted: str, version: "tuple[int, ...]") -> bool:
    wildcard = wanted.endswith(".*")
    try:
        numbers = tuple(int(part) for part in wanted.rstrip(".*").split("."))
    except ValueError:
        return True  # not a release number we understand: do not block the app
    if operator in ("==", "!=") and wildcard:
        equal = tuple(version[: len(numbers)]) == numbers
        return equal if operator == "==" else not equal
    if operator == "~=":
        if len(numbers) < 2:
            return True
        prefix = numbers[:-1]
        return _compare(version, numbers) >= 0 and tuple(version[: len(prefix)]) == prefix
    comparison = _compare(version, numbers)
    return {
        "==": comparison == 0,
        "===": comparison == 0,
        "!=": comparison != 0,
        ">=": comparison >= 0,
        "<=": comparison <= 0,
        ">": comparison > 0,
        "<": comparison < 0,
    }.get(operator, True)


def _compare(version: "tuple[int, ...]", numbers: "tuple[int, ...]") -> int:
    width = max(len(version), len(numbers))
    left = tuple(version) + (0,) * (width - len(version))
    right = numbers + (0,) * (width - len(numbers))
    return (left > right) - (left < right)


def _isolated_path(path: "list[str]", archive: str) -> "list[str]":
    """Keep the archive, the standard library and PYTHONPATH; drop site directories.

    A module missing from the archive then fails on the build machine too, instead of
    being picked up silently from the developer's site-packages.
    """
    stdlib = os.path.dirname(os.__file__)
    explicit = set()
    if not sys.flags.ignore_environment:
        explicit = {p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    kept = []
    for entry in path:
        parts = entry.replace("\\", "/").split("/")
        in_site = "site-packages" in parts or "dist-packages" in parts
        if (
            os.path.abspath(entry) == archive
            or entry in explicit
            or (not in_site and (entry == stdlib or entry.startswith(stdlib + os.sep)))
            or (entry.endswith(".zip") and entry.startswith(sys.base_prefix))
        ):
            kept.append(entry)
    return kept


# Set to "full" to see the runtime's own frames in tracebacks too (for bug reports).
TRACEBACK_ENV = "BUNDLER_TRACEBACK"


def _show_app_frames_only(archive: str) -> None:
    """Print uncaught exceptions like a virtualenv's console script would (tracebacks.py:
    source lines through linecache, which asks our loader; the runtime's frames and those
    before the app's first left out). BUNDLER_TRACEBACK=full keeps them all."""
    if sys.excepthook is not sys.__excepthook__:
        return

    def excepthook(
        kind: "type[BaseException]", value: "BaseException", tb: "TracebackType | None"
    ) -> None:
        from .tracebacks import print_app_exception

        print_app_exception(archive, kind, value, tb, os.environ.get(TRACEBACK_ENV) == "full")

    sys.excepthook = excepthook
