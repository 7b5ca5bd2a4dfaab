"""Install distributions with pip, for a target interpreter, into a directory or a venv.

pip does all dependency resolution: this module only builds its command line, runs it
quietly, and turns a failure into one line that says what to do.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from bundler.errors import StagingError
from bundler.staging.tools import relevant_tail, run_tool, summary_line

__all__ = ["IndexOptions", "install_into_directory", "install_into_environment"]

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


@dataclass(frozen=True)
class IndexOptions:
    """Where pip looks for distributions: extra ``--find-links`` and whether to skip the index."""

    find_links: tuple[str, ...] = ()
    no_index: bool = False

    def arguments(self) -> list[str]:
        """These options as pip arguments."""
        args = ["--no-index"] if self.no_index else []
        for link in self.find_links:
            args += ["--find-links", link]
        return args


def install_into_directory(
    target: Path,
    *,
    python: str,
    requirements: Sequence[str],
    requirement_files: Sequence[Path] = (),
    constraint_files: Sequence[Path] = (),
    index: IndexOptions,
    verbose: bool,
    what: str,
) -> None:
    """``pip install --target target`` of ``requirements`` for the interpreter ``python``.

    pip evaluates markers and wheel tags for ``python``, not for the interpreter running
    bundle. ``what`` names the requirements in an error message ("black and its
    dependencies").
    """
    command = [*_pip(python), "install", *_QUIET_INSTALL, "--target", str(target)]
    command += index.arguments()
    for path in constraint_files:
        command += ["--constraint", str(path)]
    for path in requirement_files:
        command += ["--requirement", str(path)]
    command += ["--", *requirements] if requirements else []
    _run_pip(command, verbose=verbose, what=what, index=index)


def install_into_environment(
    python: str, requirements: Sequence[str], *, index: IndexOptions, verbose: bool, what: str
) -> None:
    """``pip install`` of ``requirements`` into the virtual environment of ``python``."""
    # pip reads environment markers ("tomli; python_version < '3.11'") from a requirements
    # file but not from the command line, and build-system.requires may carry them.
    handle, listing = tempfile.mkstemp(prefix="bundle-build-requires-", suffix=".txt")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write("\n".join(requirements) + "\n")
        command = [*_pip(python), "install", *_QUIET_INSTALL, *index.arguments(), "-r", listing]
        _run_pip(command, verbose=verbose, what=what, index=index)
    finally:
        os.unlink(listing)


def _pip(python: str) -> list[str]:
    _check_pip()
    command = [sys.executable, "-m", "pip"]
    if os.path.abspath(python) != os.path.abspath(sys.executable):
        command += ["--python", python]
    return command


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


def _run_pip(command: list[str], *, verbose: bool, what: str, index: IndexOptions) -> None:
    output = run_tool(command, verbose=verbose)
    if output.ok:
        return
    reason = summary_line(output.lines)
    raise StagingError(
        f"pip could not install {what}: {reason}; {_hint(reason, index)}",
        details=() if verbose else relevant_tail(output.lines),
    )


def _hint(reason: str, index: IndexOptions) -> str:
    if "requires a different Python" in reason:
        return "pick a version that supports the target, or another interpreter with --python"
    if "No matching distribution" in reason or "Could not find a version" in reason:
        if index.no_index and not index.find_links:
            return "--no-index leaves pip nowhere to look: add --find-links DIR with the wheels"
        if index.no_index:
            return f"with --no-index pip only looks in {', '.join(index.find_links)}: add it there"
        return (
            "check the name and version, and that the index is reachable "
            "(build offline with --no-index --find-links DIR)"
        )
    if "conflicting dependencies" in reason or "ResolutionImpossible" in reason:
        return "relax the conflicting requirements or constraints"
    return "pip's last lines are above; -v shows all of its output"
