"""Decide which function or module the archive runs when it starts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bundler.config import Config, parse_entry
from bundler.environment import Distribution, Environment
from bundler.errors import EntryPointError

__all__ = [
    "EntryPoint",
    "check_entry_point",
    "choose_entry_point",
    "plain_scripts",
    "script_module",
]

# Scripts named in an error message, at most: a large environment has hundreds.
_LISTED = 25


@dataclass(frozen=True)
class EntryPoint:
    """``module:function`` to call, or a module (or package) to run as ``__main__``.

    A plain script that a distribution installs (``scripts=`` in its setup: pip puts it
    in ``bin/``) runs as ``__main__`` too: ``script`` is its file, and ``module`` a name
    no import can spell, under which the archive indexes it.
    """

    module: str
    function: str | None = None
    script: Path | None = None

    def __str__(self) -> str:
        if self.script is not None:
            return f"the script {self.script.name}"
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
        plain = _plain_script(config.script, env) if target is None else None
        if plain is not None:
            return plain
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


def _plain_script(name: str, env: Environment) -> EntryPoint | None:
    """The plain script ``name`` that a distribution installed, if any.

    Only a Python script can run from an archive: another (a shell script) is an error
    that says so."""
    for dist in env.distributions:
        path = plain_scripts(dist).get(name)
        if path is None:
            continue
        try:
            head = path.read_bytes()[:200]
        except OSError as exc:
            raise EntryPointError(f"cannot read the script {path}: {exc.strerror}") from None
        first = head.split(b"\n", 1)[0]
        if first.startswith(b"#!") and b"python" not in first:
            shown = first.decode(errors="replace")
            raise EntryPointError(
                f"the script '{name}' of {dist.name} is not a Python script ({shown}); "
                "an archive runs Python only: pass -e MODULE:FUNC"
            )
        return EntryPoint(script_module(name), None, path)
    return None


def script_module(name: str) -> str:
    """The name a plain script is indexed under: one no file can give a module (a space,
    parentheses), with no dot (which would name a parent package)."""
    return f"{name.replace('.', '_')} (script)"


def plain_scripts(dist: Distribution) -> dict[str, Path]:
    """Name -> file of the scripts ``dist`` installed that are not entry points: a
    wheel's ``*.data/scripts``, which pip writes to ``bin/`` (RECORD: ``../../bin/x``
    from a --target directory, ``../../../bin/x`` from a virtualenv's site-packages)."""
    generated = set(dist.scripts)
    found: dict[str, Path] = {}
    for name in dist.files:
        parts = name.split("/")
        ups = len(parts) - len([p for p in parts if p != ".."])
        rest = parts[ups:]
        if not ups or len(rest) != 2 or rest[0] not in ("bin", "Scripts") or ".." in rest:
            continue
        script = rest[1]
        stem = script[:-4] if script.endswith(".exe") else script
        if stem in generated or script in found:
            continue
        parents = dist.site_dir.parents
        prefix = [parents[ups - 1]] if ups <= len(parents) else []
        for base in (*prefix, dist.site_dir):
            candidate = base.joinpath(*rest)
            if candidate.is_file():
                found[script] = candidate
                break
    return found


def _available(project_scripts: Mapping[str, str], env: Environment) -> str:
    names = sorted(project_scripts)
    names += sorted(set(_installed_scripts(env)) - set(project_scripts))
    names += sorted({s for d in env.distributions for s in plain_scripts(d)} - set(names))
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
