"""Read ``pyproject.toml``: the PEP 621 ``[project]`` table and ``[tool.bundle]``, each
value checked for its type, so that a wrong shape is one line naming the key."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bundler.errors import ConfigError, ProjectError, did_you_mean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

__all__ = ["TOOL_KEYS", "ProjectMetadata", "normalise_shebang", "read_pyproject", "string_list"]

# Every key [tool.bundle] accepts, with the Python type its value must have.
TOOL_KEYS: dict[str, type | tuple[type, ...]] = {
    "entry": str,
    "script": str,
    "include": list,
    "exclude": list,
    "shebang": str,
    "output": str,
    "python": str,
    "strict": bool,
    "inherit-path": bool,
    "compile": bool,
    "bytecode": str,
    "sources": str,
    "installer": str,
    "install": bool,
    "with": list,
    "requirements": list,
    "constraints": list,
    "find-links": list,
    "no-index": bool,
    "build-isolation": bool,
    "extract": list,
    "zip-safe": list,
    "ignore-missing": list,
    "prune": bool,
    "extras": list,
    "timeout": (int, float),
    "check-skip": list,
    "targets": list,
}


@dataclass(frozen=True)
class ProjectMetadata:
    """The parts of the PEP 621 ``[project]`` table that a bundle needs."""

    name: str
    version: str
    requires_python: str | None = None
    dependencies: tuple[str, ...] = ()
    scripts: Mapping[str, str] = field(default_factory=dict)
    gui_scripts: Mapping[str, str] = field(default_factory=dict)
    entry_points: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    summary: str = ""
    # Fields the build backend fills in (PEP 621 "dynamic"), e.g. ("version", "scripts").
    dynamic: tuple[str, ...] = ()


def read_pyproject(path: Path) -> tuple[ProjectMetadata | None, dict[str, Any]]:
    """The ``[project]`` table (None when absent) and ``[tool.bundle]`` of ``path``."""
    data = _read_toml(path)
    return _read_project_table(data, path), _read_tool_table(data, path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            data: dict[str, Any] = tomllib.load(stream)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read {path}: {exc}") from None


def _read_project_table(data: Mapping[str, Any], path: Path) -> ProjectMetadata | None:
    table = data.get("project")
    if table is None:
        return None  # the build backend may know the metadata (e.g. [tool.poetry])
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [project] must be a table")
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{path}: [project] needs a 'name'")
    version = table.get("version", "0")
    if not isinstance(version, str):
        raise ConfigError(f"{path}: [project] 'version' must be a string")
    requires_python = table.get("requires-python")
    if requires_python is not None and not isinstance(requires_python, str):
        raise ConfigError(f"{path}: [project] 'requires-python' must be a string")
    return ProjectMetadata(
        name=name,
        version=version,
        requires_python=requires_python,
        dependencies=tuple(string_list(table.get("dependencies", []), "dependencies", path)),
        scripts=_string_table(table.get("scripts", {}), "[project.scripts]", path),
        gui_scripts=_string_table(table.get("gui-scripts", {}), "[project.gui-scripts]", path),
        entry_points={
            group: _string_table(items, f"[project.entry-points.{group}]", path)
            for group, items in _table(
                table.get("entry-points", {}), "[project.entry-points]", path
            ).items()
        },
        summary=str(table.get("description", "")),
        dynamic=tuple(string_list(table.get("dynamic", []), "[project] dynamic", path)),
    )


def _read_tool_table(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    tool = _table(data.get("tool", {}), "[tool]", path).get("bundle", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool.bundle] must be a table")
    for key, value in tool.items():
        expected = TOOL_KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted(TOOL_KEYS))
            raise ConfigError(
                f"{path}: unknown key '{key}' in [tool.bundle]{did_you_mean(key, TOOL_KEYS)} "
                f"(known keys: {known})"
            )
        if not isinstance(value, expected):
            kind = expected.__name__ if isinstance(expected, type) else "value"
            raise ConfigError(f"{path}: [tool.bundle] '{key}' must be a {kind}")
        if expected is list:
            string_list(value, f"[tool.bundle] {key}", path)
    return dict(tool)


def string_list(value: Any, what: str, path: Path) -> list[str]:
    """``value`` if it is a list of strings; else the ConfigError naming ``what``."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: {what} must be a list of strings")
    return value


def _table(value: Any, what: str, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {what} must be a table")
    return value


def _string_table(value: Any, what: str, path: Path) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{path}: {what} must be a table of strings")
    return dict(value)


def normalise_shebang(line: str) -> str:
    """A shebang line (``#!`` added if missing) that a kernel can run, or ConfigError."""
    line = line.strip()
    if "\n" in line or "\r" in line:
        raise ConfigError("the shebang must be a single line")
    line = line if line.startswith("#!") else f"#!{line}"
    program = line[2:].strip().split(" ")[0]
    if not program.startswith("/"):
        # The kernel runs the shebang's program as a path, never through PATH.
        raise ConfigError(
            f"shebang '{line}' names '{program}', a relative path that no shell can run: "
            f"use '#!/usr/bin/env {program or 'python3'}' or an absolute path"
        )
    return line
