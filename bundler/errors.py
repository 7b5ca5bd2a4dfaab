"""Exceptions whose message is the one line the user sees."""

from __future__ import annotations

__all__ = [
    "BuildCacheError",
    "BundleError",
    "CacheDirError",
    "ConfigError",
    "EntryPointError",
    "InterpreterError",
    "LockError",
    "OutputError",
    "ProjectError",
    "ResolveError",
    "StagingError",
    "ToolTimeoutError",
]


class BundleError(Exception):
    """A failure caused by the user's input or machine, not by a bug in bundler.

    The message is a complete sentence saying what is wrong and what to do about it;
    the CLI prints it as ``bundle: error: <message>`` and exits non-zero.
    """

    # Lines of a failed tool's output (pip, a build backend) that explain the message;
    # the CLI prints them above it.
    details: tuple[str, ...] = ()


class ProjectError(BundleError):
    """The project directory or its ``pyproject.toml`` cannot be used."""


class ConfigError(BundleError):
    """A setting in ``pyproject.toml`` or on the command line is invalid."""


class EntryPointError(BundleError):
    """The entry point is missing, ambiguous or does not exist."""


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


class CacheDirError(BundleError):
    """The per-user extraction cache cannot be listed or cleared."""
