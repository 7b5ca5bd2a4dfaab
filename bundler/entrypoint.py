"""Decide which function or module the archive runs when it starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bundler.config import Config, parse_entry
from bundler.errors import EntryPointError

__all__ = ["EntryPoint", "choose_entry_point"]


@dataclass(frozen=True)
class EntryPoint:
    """``module:function`` to call, or a module (or package) to run as ``__main__``."""

    module: str
    function: str | None = None

    def __str__(self) -> str:
        return f"{self.module}:{self.function}" if self.function else self.module


def choose_entry_point(config: Config) -> EntryPoint:
    """Pick the entry point: ``-e``, else ``-c``, else the only script, else ``pkg/__main__.py``."""
    if config.entry is not None:
        return EntryPoint(*parse_entry(config.entry))
    scripts = {**config.project.scripts, **config.project.gui_scripts}
    if config.script is not None:
        if config.script not in scripts:
            raise EntryPointError(
                f"no script named '{config.script}' in [project.scripts]; "
                f"available: {_list_or_none(scripts)}"
            )
        return _from_script(config.script, scripts[config.script])
    if len(scripts) == 1:
        name, target = next(iter(scripts.items()))
        return _from_script(name, target)
    if len(scripts) > 1:
        raise EntryPointError(
            f"ambiguous entry point: [project.scripts] has {_list_or_none(scripts)}; "
            "choose one with -c NAME or pass -e MODULE:FUNC"
        )
    runnable = _packages_with_main(config.source_root)
    if len(runnable) == 1:
        return EntryPoint(runnable[0])
    if len(runnable) > 1:
        raise EntryPointError(
            f"ambiguous entry point: packages {', '.join(runnable)} each have a __main__.py; "
            "pass -e PACKAGE"
        )
    raise EntryPointError(
        "no entry point: add [project.scripts] to pyproject.toml, a <package>/__main__.py, "
        "or pass -e MODULE:FUNC"
    )


def _from_script(name: str, target: str) -> EntryPoint:
    # Extras in brackets ("mod:func [extra]") do not change what runs.
    module, function = parse_entry(target.split("[")[0])
    if not module:
        raise EntryPointError(f"script '{name}' has an invalid target '{target}'")
    return EntryPoint(module, function)


def _packages_with_main(root: Path) -> list[str]:
    return sorted(
        child.name
        for child in root.iterdir()
        if child.is_dir() and (child / "__main__.py").is_file() and child.name.isidentifier()
    )


def _list_or_none(names: dict[str, str]) -> str:
    return ", ".join(sorted(names)) if names else "none"
