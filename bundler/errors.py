"""Exceptions whose message is the one line the user sees, and the exit status it gets.

Exit statuses of ``bundle``: 0 success; 1 the build or a check failed (pip, the build
backend, imports under ``--strict``, the output file, the cache); 2 a usage or input error
(the command line, ``pyproject.toml``, the entry point); 130 interrupted.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AbsentError",
    "BuildCacheError",
    "BundleError",
    "CacheDirError",
    "ConfigError",
    "EntryPointError",
    "InspectError",
    "InterpreterError",
    "LockError",
    "NotReproducibleError",
    "OutputError",
    "ProjectError",
    "ResolveError",
    "SbomError",
    "ScriptMetadataError",
    "StagingError",
    "TargetError",
    "ToolTimeoutError",
    "did_you_mean",
]


class BundleError(Exception):
    """A failure caused by the user's input or machine, not by a bug in bundler.

    The message is a complete sentence saying what is wrong and what to do about it;
    the CLI prints it as ``bundle: error: <message>`` and exits non-zero.
    """

    # Lines of a failed tool's output (pip, a build backend) that explain the message;
    # the CLI prints them above it.
    details: tuple[str, ...] = ()
    # What ``bundle`` exits with: 1, the build failed; 2 (input errors), it could not start.
    exit_status: int = 1


class ProjectError(BundleError):
    """The project directory or its ``pyproject.toml`` cannot be used."""

    exit_status = 2


class ConfigError(BundleError):
    """A setting in ``pyproject.toml`` or on the command line is invalid."""

    exit_status = 2


class TargetError(ConfigError):
    """A target (``--target-python``, ``--platform``, ``targets``) is not one to build for."""


class EntryPointError(BundleError):
    """The entry point is missing, ambiguous or does not exist."""

    exit_status = 2


class AbsentError(BundleError):
    """What was asked of an archive is not in it: a module given to --why, its SBOM."""


class InspectError(BundleError):
    """The archive given to ``bundle inspect`` or ``bundle check`` cannot be read."""

    exit_status = 2


class InterpreterError(BundleError):
    """The target interpreter or its environment cannot be inspected."""


class ResolveError(BundleError):
    """Import resolution failed (a syntax error in project code, or a strict-mode miss)."""


class OutputError(BundleError):
    """The output archive cannot be written where the user asked."""


class StagingError(BundleError):
    """Building the project's wheel, or installing it and its requirements, failed."""

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details


class ToolTimeoutError(StagingError):
    """pip or the build backend ran longer than the timeout allows."""


class LockError(BundleError):
    """A lock (hashed requirements, ``pylock.toml``) cannot be used for this build."""


class BuildCacheError(BundleError):
    """The build cache (built wheels, staging directories) cannot be used."""


class NotReproducibleError(BundleError):
    """A second build of the same inputs (``--check-reproducible``) made another archive."""


class SbomError(BundleError):
    """The SBOM cannot be written where ``--sbom`` asks."""


class ScriptMetadataError(BundleError):
    """A script's inline metadata (PEP 723, ``# /// script``) cannot be read."""

    exit_status = 2


class CacheDirError(BundleError):
    """The per-user extraction cache cannot be listed or cleared."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the choice closest to a misspelt ``word``, or ``""``: a
    close spelling, else a choice that starts the word or that the word starts."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.7)
    if not close:
        close = [c for c in options if min(len(c), len(word)) >= 3 and word.startswith(c)]
        close = close or [c for c in options if len(word) >= 3 and c.startswith(word)]
    return f" (did you mean {close[0]}?)" if close else ""
