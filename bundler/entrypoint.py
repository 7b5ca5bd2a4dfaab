"""Decide which function or module the archive runs when it starts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bundler.config import Config, parse_entry
from bundler.environment import Environment
from bundler.errors import EntryPointError

__all__ = ["EntryPoint", "check_entry_point", "choose_entry_point"]

# Scripts named in an error message, at most: a large environment has hundreds.
_LISTED = 25


@dataclass(frozen=True)
class EntryPoint:
    """``module:function`` to call, or a module (or package) to run as ``__main__``."""

    module: str
    function: str | None = None

    def __str__(self) -> str:
        return f"{self.module}:{self.function}" if self.function else self.module


def check_entry_point(config: Config) -> None:
    """Raise now, before anything is built or installed, if the configuration alone shows
    that the entry point is ambiguous or missing."""
    _from_config(config)


def choose_entry_point(config: Config, env: Environment) -> EntryPoint:
    """Pick the entry point.

    ``-e`` wins; else ``-c``, a script of the project or of any distribution in ``env``;
    else the project's only script; else its only ``<package>/__main__.py``; and without
    a project, the only script of the distributions named by ``--with``.
    """
    found = _from_config(config)
    if found is not None:
        return found
    project_scripts = _project_scripts(config, env)
    if config.script is not None:
        target = project_scripts.get(config.script) or _installed_scripts(env).get(config.script)
        if target is None:
            where = "the project or its environment" if config.has_project else "the environment"
            raise EntryPointError(
                f"no script named '{config.script}' in {where}; "
                f"available: {_available(project_scripts, env)}"
            )
        return _from_script(config.script, target)
    if project_scripts:
        return _only_one(project_scripts, "the project")
    if not config.has_project and config.install is not None:
        requested = _requested_scripts(config.install.requirements, env)
        if requested:
            return _only_one(requested, "the distributions given with --with")
    if config.has_project:
        raise _no_entry_point()
    raise EntryPointError(
        f"no entry point: pass -c SCRIPT (available: {_available({}, env)}) or -e MODULE:FUNC"
    )


def _from_config(config: Config) -> EntryPoint | None:
    """The entry point the configuration names, or None when the environment must decide."""
    if config.entry is not None:
        return EntryPoint(*parse_entry(config.entry))
    project = config.project
    scripts = {**project.scripts, **project.gui_scripts} if project else {}
    if config.script is not None:
        target = scripts.get(config.script)
        return _from_script(config.script, target) if target else None
    if scripts:
        return _only_one(scripts, "[project.scripts]")
    if not config.has_project:
        return None
    runnable = _packages_with_main(config.source_root)
    if len(runnable) == 1:
        return EntryPoint(runnable[0])
    if len(runnable) > 1:
        raise EntryPointError(
            f"ambiguous entry point: packages {', '.join(runnable)} each have a __main__.py; "
            "pass -e PACKAGE"
        )
    if project is not None and not {"scripts", "gui-scripts"} & set(project.dynamic):
        raise _no_entry_point()  # the built wheel cannot bring scripts the table lacks
    return None


def _only_one(scripts: Mapping[str, str], where: str) -> EntryPoint:
    if len(scripts) > 1:
        raise EntryPointError(
            f"ambiguous entry point: {len(scripts)} scripts in {where}: {_list_or_none(scripts)}; "
            "choose one with -c NAME or pass -e MODULE:FUNC"
        )
    name, target = next(iter(scripts.items()))
    return _from_script(name, target)


def _no_entry_point() -> EntryPointError:
    return EntryPointError(
        "no entry point: add [project.scripts] to pyproject.toml, a <package>/__main__.py, "
        "or pass -e MODULE:FUNC"
    )


def _project_scripts(config: Config, env: Environment) -> dict[str, str]:
    """The project's scripts as declared, plus those its build backend generated."""
    project = config.project
    declared = {**project.scripts, **project.gui_scripts} if project else {}
    installed = env.distribution(env.project) if env.project else None
    return {**(installed.scripts if installed else {}), **declared}


def _installed_scripts(env: Environment) -> dict[str, str]:
    """Every script of every distribution in ``env``; the first on the search path wins."""
    scripts: dict[str, str] = {}
    for dist in env.distributions:
        for name, target in dist.scripts.items():
            scripts.setdefault(name, target)
    return scripts


def _requested_scripts(requirements: tuple[str, ...], env: Environment) -> dict[str, str]:
    scripts: dict[str, str] = {}
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        dist = env.distribution(match.group(1)) if match else None
        if dist is not None:
            scripts.update(dist.scripts)
    return scripts


def _available(project_scripts: Mapping[str, str], env: Environment) -> str:
    names = sorted(project_scripts)
    names += sorted(set(_installed_scripts(env)) - set(project_scripts))
    if not names:
        return "none"
    more = len(names) - _LISTED
    return ", ".join(names[:_LISTED]) + (f" and {more} more" if more > 0 else "")


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


def _list_or_none(names: Mapping[str, str]) -> str:
    return ", ".join(sorted(names)) if names else "none"
