"""Install distributions with pip, for a target interpreter, into a directory or a venv.

pip does all dependency resolution: this module only builds its command line, runs it
quietly, and turns a failure into one line that says what to do.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from bundler.errors import StagingError
from bundler.runtime import PACKAGE_NAME
from bundler.runtime.metadata import normalise_name
from bundler.staging.reasons import index_failure, pip_reason
from bundler.staging.tools import ToolSettings, relevant_tail, run_tool
from bundler.staging.wheeltags import Diagnosis, missing_wheel
from bundler.targets import ForeignTarget

__all__ = [
    "IndexOptions",
    "PipRequest",
    "install_into_directory",
    "install_into_environment",
    "installed_hashes",
]

# ``pip --python`` (pip runs itself under the target interpreter) arrived in pip 22.3.
_MINIMUM_PIP = Version("22.3")

# Options of every pip install we run: no prompts, no bytecode (the archive compiles its
# own), no noise about scripts and root, no progress bars in captured output.
_QUIET_INSTALL = (
    "--no-input",
    "--disable-pip-version-check",
    "--no-compile",
    "--no-warn-script-location",
    "--root-user-action=ignore",
    "--progress-bar=off",
)

# pip for a target that is not here: --python-version and --platform set the wheel tags
# and Requires-Python it checks, but it evaluates the environment markers of
# dependencies ("tomli; python_version < '3.11'") for the interpreter running it. This
# runs pip with the target's markers (argv[1], JSON) as that default, as pex does; pip is
# imported from the directory argv[2] when it is not empty (an archive's copy of pip).
_FOREIGN_PIP = r"""
import json, runpy, sys
wanted = json.loads(sys.argv.pop(1))
where = sys.argv.pop(1)
if where:
    sys.path.insert(0, where)
from pip._vendor.packaging import markers
own = markers.default_environment
markers.default_environment = lambda: {**own(), **wanted}
sys.argv[0] = "pip"
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True)
class IndexOptions:
    """Where pip (or uv) looks for distributions: extra ``--find-links``, whether to skip the
    index; and which of the two installs."""

    find_links: tuple[str, ...] = ()
    no_index: bool = False
    installer: str = "pip"  # the program that installs from there: "pip" or "uv"

    def arguments(self) -> list[str]:
        """These options as pip arguments."""
        args = ["--no-index"] if self.no_index else []
        for link in self.find_links:
            args += ["--find-links", link]
        return args


@dataclass(frozen=True)
class PipRequest:
    """What one ``pip install --target`` installs, and how strictly."""

    requirements: tuple[str, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    constraint_files: tuple[Path, ...] = ()
    no_deps: bool = False  # exactly these distributions (a lock, or the project on top)
    require_hashes: bool = False  # every distribution's hash must match its pin
    report: Path | None = None  # pip's --report: what it installed, from which file

    def arguments(self) -> list[str]:
        """What to install and how strictly, as arguments of ``pip install`` (and of
        ``uv pip install``, which spells them the same)."""
        args = ["--no-deps"] if self.no_deps else []
        args += ["--require-hashes"] if self.require_hashes else []
        for path in self.constraint_files:
            args += ["--constraint", str(path)]
        for path in self.requirement_files:
            args += ["--requirement", str(path)]
        return args + (["--", *self.requirements] if self.requirements else [])


def install_into_directory(
    target: Path,
    request: PipRequest,
    *,
    python: str,
    index: IndexOptions,
    settings: ToolSettings,
    what: str,
    foreign: ForeignTarget | None = None,
) -> None:
    """``pip install --target target`` of ``request`` for the interpreter ``python``, or
    for the ``foreign`` target that has no interpreter here.

    pip evaluates markers and wheel tags for ``python``, not for the interpreter running
    bundle. ``what`` names the requirements in an error message ("black and its
    dependencies").
    """
    pip = _foreign_pip(foreign) if foreign is not None else _pip(python)
    command = [*pip, "install", *_QUIET_INSTALL, "--target", str(target)]
    command += foreign.pip_options() if foreign is not None else []
    command += index.arguments()
    command += ["--report", str(request.report)] if request.report else []
    _run_pip(what, [*command, *request.arguments()], settings, index, foreign)


def installed_hashes(report: Path) -> dict[str, str]:
    """Normalised name -> SHA-256 of the file (wheel or sdist) pip installed it from, from
    pip's ``--report``; local directories have none. Paths and URLs are not kept: they
    name the build machine's places."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = {}
    for item in data.get("install", []) if isinstance(data, dict) else []:
        archive = item.get("download_info", {}).get("archive_info", {})
        sha256 = archive.get("hashes", {}).get("sha256")
        old = archive.get("hash", "")  # pip before 23: "sha256=..."
        if not sha256 and old.startswith("sha256="):
            sha256 = old[len("sha256=") :]
        name = item.get("metadata", {}).get("name")
        if sha256 and name:
            found[normalise_name(name)] = sha256
    return found


def install_into_environment(
    python: str,
    requirements: Sequence[str],
    *,
    index: IndexOptions,
    settings: ToolSettings,
    what: str,
) -> None:
    """``pip install`` of ``requirements`` into the virtual environment of ``python``."""
    # pip reads environment markers ("tomli; python_version < '3.11'") from a requirements
    # file but not from the command line, and build-system.requires may carry them.
    handle, listing = tempfile.mkstemp(
        prefix="bundle-build-requires-", suffix=".txt", dir=settings.temp_dir
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write("\n".join(requirements) + "\n")
        command = [*_pip(python), "install", *_QUIET_INSTALL, *index.arguments(), "-r", listing]
        _run_pip(what, command, settings, index)
    finally:
        os.unlink(listing)


def _pip(python: str) -> list[str]:
    _check_pip()
    command = [sys.executable, *_pip_program()]
    if os.path.abspath(python) != os.path.abspath(sys.executable):
        command += ["--python", python]
    return command


def _pip_program() -> list[str]:
    """How this process's pip runs in a subprocess: ``-m pip``; or, when bundle itself runs
    from an archive (``python bundle.pyz``, where the interpreter alone has no pip), the
    runner script of the archive's extracted copy of pip, as ``pip --python`` runs it."""
    if PACKAGE_NAME not in sys.modules:  # the runtime of an archive is not running
        return ["-m", "pip"]
    import pip

    runner = os.path.join(os.path.dirname(os.path.abspath(pip.__file__)), "__pip-runner__.py")
    if not os.path.isfile(runner):
        raise StagingError(
            "this archive of bundle carries pip inside the zip, where no other process can "
            "run it: rebuild it with --extract pip"
        )
    return [runner]


def _foreign_pip(foreign: ForeignTarget) -> list[str]:
    """pip under the wrapper that gives it the target's markers: this process's pip, found
    as ``_pip_program`` finds it (inside an archive: the directory of its copy of pip)."""
    _check_pip()
    program = _pip_program()
    where = "" if program[0] == "-m" else os.path.dirname(os.path.dirname(program[0]))
    markers = json.dumps(foreign.markers(), sort_keys=True)
    return [sys.executable, "-c", _FOREIGN_PIP, markers, where]


def _check_pip() -> None:
    try:
        found = importlib.metadata.version("pip")
    except importlib.metadata.PackageNotFoundError:
        raise StagingError(
            f"pip is not installed for {sys.executable}, which runs bundle; install it with "
            f"'{sys.executable} -m ensurepip', or build with --no-install"
        ) from None
    try:
        too_old = Version(found) < _MINIMUM_PIP
    except InvalidVersion:
        too_old = False
    if too_old:
        raise StagingError(
            f"pip {found} is too old to install for another interpreter; upgrade it with "
            f"'{sys.executable} -m pip install -U \"pip>={_MINIMUM_PIP}\"'"
        )


def _run_pip(
    what: str,
    command: list[str],
    settings: ToolSettings,
    index: IndexOptions,
    foreign: ForeignTarget | None = None,
) -> None:
    """Run pip's ``command``; its failure as one line. Its pip (the words before
    ``install``) is asked again why a distribution was not found."""
    output = run_tool(command, settings=settings, what=f"pip installing {what}")
    if output.ok:
        return
    details = () if settings.verbose else relevant_tail(output.lines)
    reason = pip_reason(output.lines)
    diagnosis = Diagnosis(None)
    if "No matching distribution" in reason:
        pip = command[: command.index("install")]
        options = () if foreign is None else foreign.pip_options()
        target = None if foreign is None else foreign.name
        diagnosis = missing_wheel(reason, pip, [*index.arguments(), *options], settings, target)
    unreachable = None if index.no_index else index_failure([*output.lines, *diagnosis.lines])
    if unreachable is not None:
        raise StagingError(
            f"pip could not reach the package index {unreachable.index} ({unreachable.cause}) "
            f"to install {what}: check the network and proxy settings, or build offline with "
            "--no-index --find-links DIR",
            details=details,
        )
    if diagnosis.message is not None:
        raise StagingError(f"pip could not install {what}: {diagnosis.message}", details=details)
    raise StagingError(f"pip could not install {what}: {reason}; {_hint(reason, index)}", details)


def _hint(reason: str, index: IndexOptions) -> str:
    if "requires a different Python" in reason:
        return "pick a version that supports the target, or another interpreter with --python"
    if "No matching distribution" in reason or "Could not find a version" in reason:
        if index.no_index and not index.find_links:
            return "--no-index leaves pip nowhere to look: add --find-links DIR with the wheels"
        if index.no_index:
            return f"with --no-index pip only looks in {', '.join(index.find_links)}: add it there"
        return "check the name and version (build offline with --no-index --find-links DIR)"
    if "conflicting dependencies" in reason or "ResolutionImpossible" in reason:
        return "relax the conflicting requirements or constraints"
    if "the hash the lock pins" in reason:
        return "check the lock and where pip looks"
    if "--require-hashes" in reason or "Hashes are required" in reason:
        return "pin every requirement with its hash (pip hash FILE), or drop the hashes"
    if reason.startswith("building "):
        return "fix that project's build (-v shows all of its output)"
    return "pip's last lines are above; -v shows all of its output"
