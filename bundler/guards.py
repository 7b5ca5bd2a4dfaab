"""Refusals of settings that would write an archive that cannot work, said in one line,
and the output directory, created when it is missing (as pex does) and removed again when
the build fails."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from bundler.config import Config, parse_entry
from bundler.entrypoint import EntryPoint
from bundler.environment import Environment, Interpreter
from bundler.errors import ConfigError, OutputError, did_you_mean
from bundler.plan.extraction import ExtractionPlan
from bundler.resolve import ModuleLocator

__all__ = [
    "check_configured_entry",
    "check_entry_not_excluded",
    "check_modules_exist",
    "output_directory",
    "pinned_shebang",
]

# Extension suffixes that any CPython 3 of the platform loads: code behind them does not
# tie the archive to one minor version.
_STABLE_SUFFIXES = frozenset({".abi3.so", ".so", ".pyd"})


def check_entry_not_excluded(entry: EntryPoint, exclude: Sequence[str]) -> None:
    """An archive whose entry module is excluded has nothing to start: refuse it."""
    for name in exclude:
        if entry.module == name or entry.module.startswith(name + "."):
            raise ConfigError(
                f"--exclude {name} leaves out the entry module {entry.module}, so the archive "
                "could not start: remove it from --exclude (or [tool.bundle] exclude)"
            )


def check_configured_entry(config: Config) -> None:
    """Refuse an excluded ``-e``/``entry`` at once, before anything slow runs."""
    if config.entry is not None:
        check_entry_not_excluded(EntryPoint(*parse_entry(config.entry)), config.exclude)


def check_modules_exist(config: Config, env: Environment) -> None:
    """An ``--include`` or ``--exclude`` that names no module of the environment is a typo
    (or a path where a module name belongs): say so before resolving."""
    locator = ModuleLocator(env.search_path, env.interpreter.extension_suffixes)
    for flag, names in (("--include", config.include), ("--exclude", config.exclude)):
        for name in names:
            if name in env.interpreter.builtin_modules or locator.find(name) is not None:
                continue
            hint = did_you_mean(name.split(".")[0], _top_level_names(env.search_path))
            raise ConfigError(
                f"{flag} {name} names no module of the environment{hint}: check the spelling "
                "(it takes module names such as mypkg.tests, not paths)"
            )


def pinned_shebang(config: Config, plan: ExtractionPlan, interpreter: Interpreter) -> str:
    """The shebang to write: the configured one, or, when the archive holds native code
    built for this minor version only (not abi3), one that names that version."""
    if config.shebang_given or not _tied_to_minor(plan):
        return config.shebang
    major, minor = interpreter.version[:2]
    return f"#!/usr/bin/env python{major}.{minor}"


@contextlib.contextmanager
def output_directory(output: Path) -> Iterator[None]:
    """Create the missing directories above ``output``; remove them if the block fails."""
    missing = []
    parent = output.parent.absolute()
    while not os.path.lexists(parent) and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    if missing and not parent.is_dir():
        raise OutputError(
            f"cannot create the output directory {output.parent}: {parent} is not a directory"
        )
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except OSError as exc:
            _remove_empty(missing)
            raise OutputError(
                f"cannot create the output directory {output.parent}: {exc.strerror or exc}"
            ) from None
    try:
        yield
    except BaseException:
        _remove_empty(missing)
        raise


def _tied_to_minor(plan: ExtractionPlan) -> bool:
    return any(
        code.abi3_floor is None and not set(code.suffixes) <= _STABLE_SUFFIXES
        for code in plan.native.values()
    )


def _remove_empty(directories: Iterable[Path]) -> None:
    for directory in directories:  # deepest first
        with contextlib.suppress(OSError):
            directory.rmdir()


def _top_level_names(search_path: Iterable[Path]) -> list[str]:
    names: set[str] = set()
    for directory in search_path:
        with contextlib.suppress(OSError):
            names.update(entry.split(".")[0] for entry in os.listdir(directory))
    return sorted(name for name in names if name.isidentifier())
