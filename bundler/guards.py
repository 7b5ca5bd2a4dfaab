"""Refusals of settings that would write an archive that cannot work, said in one line,
and the output directory, created when it is missing (as pex does) and removed again when
the build fails."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from bundler.config import Config, parse_entry
from bundler.entrypoint import EntryPoint
from bundler.environment import Environment
from bundler.errors import ConfigError, OutputError, did_you_mean
from bundler.resolve import Graph, ModuleLocator

__all__ = [
    "check_configured_entry",
    "check_entry_not_excluded",
    "check_excludes_matter",
    "check_includes_exist",
    "output_directory",
]


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


def check_includes_exist(config: Config, env: Environment) -> None:
    """An ``--include`` that names no module of the environment is a typo (or a path where
    a module name belongs): say so before resolving."""
    locator = ModuleLocator(env.search_path, env.interpreter.extension_suffixes)
    for name in config.include:
        if name not in env.interpreter.builtin_modules and locator.find(name) is None:
            raise _names_nothing("--include", name, env)


def check_excludes_matter(config: Config, env: Environment, graph: Graph) -> None:
    """An ``--exclude`` that names no module of the environment and that no bundled source
    mentions cannot have changed anything: a typo. (Excluding an optional import that is
    not installed here is fine: the source mentions it.)"""
    locator = ModuleLocator(env.search_path, env.interpreter.extension_suffixes)
    unknown = [name for name in config.exclude if locator.find(name) is None]
    for name in unknown:
        word = re.compile(rf"\b{re.escape(name.split('.')[0])}\b".encode())
        if not any(_mentions(module.path, word) for module in graph.bundled()):
            raise _names_nothing("--exclude", name, env)


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


def _remove_empty(directories: Iterable[Path]) -> None:
    for directory in directories:  # deepest first
        with contextlib.suppress(OSError):
            directory.rmdir()


_SPELLING = "check the spelling (it takes module names such as mypkg.tests, not paths)"


def _names_nothing(flag: str, name: str, env: Environment) -> ConfigError:
    hint = did_you_mean(re.split(r"[./\\]", name)[0], _top_level_names(env.search_path))
    return ConfigError(f"{flag} {name} names no module of the environment{hint}: {_SPELLING}")


def _mentions(path: Path | None, word: re.Pattern[bytes]) -> bool:
    if path is None or path.suffix != ".py":
        return False
    try:
        return word.search(path.read_bytes()) is not None
    except OSError:
        return False


def _top_level_names(search_path: Iterable[Path]) -> list[str]:
    names: set[str] = set()
    for directory in search_path:
        with contextlib.suppress(OSError):
            names.update(entry.split(".")[0] for entry in os.listdir(directory))
    return sorted(name for name in names if name.isidentifier())
