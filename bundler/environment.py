"""Describe the target interpreter and the distributions installed in its environment."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from bundler.errors import InterpreterError
from bundler.runtime.metadata import normalise_name

__all__ = [
    "Distribution",
    "Environment",
    "Interpreter",
    "environment_for",
    "inspect_environment",
    "normalise_name",
    "query_interpreter",
    "staged_environment",
]

# Runs inside the target interpreter; prints one JSON object describing it. It must stay
# compatible with every Python we support (3.9+) and import nothing outside the stdlib.
_QUERY = r"""
import importlib.machinery, json, os, site, sys, sysconfig
paths = sysconfig.get_paths()
stdlib = sorted({os.path.realpath(p) for p in (paths["stdlib"], paths["platstdlib"]) if p})
site_dirs = []
try:
    site_dirs += site.getsitepackages()
except AttributeError:
    pass
if site.ENABLE_USER_SITE:
    site_dirs.append(site.getusersitepackages())
print(json.dumps({
    "executable": sys.executable,
    "version": list(sys.version_info[:3]),
    "implementation": sys.implementation.name,
    "cache_tag": sys.implementation.cache_tag,
    "platform": sysconfig.get_platform(),
    "path": [os.path.realpath(p) for p in sys.path if p],
    "stdlib": stdlib,
    "site": [os.path.realpath(p) for p in site_dirs],
    "builtin": sorted(sys.builtin_module_names),
    "stdlib_names": sorted(getattr(sys, "stdlib_module_names", ())),
    "extension_suffixes": importlib.machinery.EXTENSION_SUFFIXES,
}))
"""


@dataclass(frozen=True)
class Interpreter:
    """The facts about the target interpreter that resolution depends on."""

    executable: str
    version: tuple[int, int, int]
    implementation: str
    cache_tag: str
    platform: str
    sys_path: tuple[Path, ...]
    stdlib_dirs: tuple[Path, ...]
    site_dirs: tuple[Path, ...]
    builtin_modules: frozenset[str]
    stdlib_names: frozenset[str]
    extension_suffixes: tuple[str, ...]

    @property
    def version_text(self) -> str:
        """The version as ``3.11.7``."""
        return ".".join(map(str, self.version))

    def is_stdlib_path(self, path: Path) -> bool:
        """Whether ``path`` lies in the standard library (and not in a site directory)."""
        resolved = str(path)
        if any(_is_within(resolved, str(site)) for site in self.site_dirs):
            return False
        parts = set(Path(resolved).parts)
        if "site-packages" in parts or "dist-packages" in parts:
            return False
        return any(_is_within(resolved, str(lib)) for lib in self.stdlib_dirs)


@dataclass(frozen=True)
class Distribution:
    """An installed distribution, read from its ``*.dist-info`` directory."""

    name: str
    version: str
    dist_info: Path
    site_dir: Path
    files: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    entry_points: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    requires_python: str | None = None

    @property
    def key(self) -> str:
        """The normalised name used to compare distributions (PEP 503)."""
        return normalise_name(self.name)

    @property
    def scripts(self) -> dict[str, str]:
        """Console and GUI scripts: name -> ``module:function``."""
        return {
            **self.entry_points.get("console_scripts", {}),
            **self.entry_points.get("gui_scripts", {}),
        }


@dataclass(frozen=True)
class Environment:
    """The interpreter plus the search path and distributions that imports resolve against."""

    interpreter: Interpreter
    search_path: tuple[Path, ...]
    distributions: tuple[Distribution, ...]
    # Normalised real path of every file a RECORD lists -> its distribution.
    owners: Mapping[str, Distribution]
    # The normalised name of the project's own distribution, when it is installed here.
    project: str | None = None

    def owner_of(self, path: Path) -> Distribution | None:
        """The distribution whose RECORD lists ``path``, if any."""
        found = self.owners.get(os.path.normpath(path))
        return found if found is not None else self.owners.get(os.path.realpath(path))

    def is_project_file(self, path: Path) -> bool:
        """Whether ``path`` belongs to the project's own installed distribution."""
        owner = self.owner_of(path)
        return owner is not None and owner.key == self.project

    def distribution(self, name: str) -> Distribution | None:
        """The installed distribution called ``name`` (compared after normalisation)."""
        key = normalise_name(name)
        for dist in self.distributions:
            if dist.key == key:
                return dist
        return None


def inspect_environment(python: str | None, extra_path: Sequence[Path] = ()) -> Environment:
    """Describe the environment of ``python`` (default: this interpreter).

    ``extra_path`` (the project's source root) is searched before the interpreter's own
    path, the way an installed project would shadow nothing but be found first.
    """
    return environment_for(query_interpreter(python), extra_path)


def environment_for(interpreter: Interpreter, extra_path: Sequence[Path] = ()) -> Environment:
    """The environment of ``interpreter`` as it is, with ``extra_path`` searched first."""
    return _environment(interpreter, [*extra_path, *interpreter.sys_path])


def staged_environment(
    interpreter: Interpreter, site_dir: Path, project: str | None = None
) -> Environment:
    """A staging directory plus the standard library of ``interpreter``, and nothing else.

    The interpreter's site-packages are left out: what the app needs was installed into
    ``site_dir``, so a build gives the same archive wherever it runs. ``project`` names the
    project's distribution, when it is installed there.
    """
    stdlib = [p for p in interpreter.sys_path if interpreter.is_stdlib_path(p)]
    return _environment(interpreter, [site_dir, *stdlib], project)


def _environment(
    interpreter: Interpreter, path: Sequence[Path], project: str | None = None
) -> Environment:
    search_path = tuple(_unique(path))
    site_path = [p for p in search_path if not interpreter.is_stdlib_path(p)]
    distributions = tuple(_find_distributions(site_path))
    owners: dict[str, Distribution] = {}
    for dist in distributions:
        site = os.path.realpath(dist.site_dir)
        for name in dist.files:
            owners.setdefault(os.path.normpath(os.path.join(site, name)), dist)
    key = normalise_name(project) if project else None
    return Environment(interpreter, search_path, distributions, owners, key)


def query_interpreter(python: str | None) -> Interpreter:
    """Run ``python`` once and read its paths, version and module suffixes."""
    executable = python or sys.executable
    if os.sep in executable or (os.altsep and os.altsep in executable):
        # The query runs in an empty directory: a relative path must not change meaning.
        executable = os.path.abspath(executable)
    try:
        with tempfile.TemporaryDirectory() as empty:
            # An empty working directory keeps the caller's cwd off the reported path.
            completed = subprocess.run(
                [executable, "-E", "-c", _QUERY],
                capture_output=True,
                text=True,
                cwd=empty,
                timeout=120,
                check=False,
            )
    except FileNotFoundError:
        raise InterpreterError(
            f"interpreter '{executable}' not found: pass --python with the path of a Python 3"
        ) from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterError(f"cannot run interpreter '{executable}': {exc}") from None
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise InterpreterError(f"interpreter '{executable}' failed to describe itself: {last}")
    try:
        return _interpreter_from(json.loads(completed.stdout))
    except (ValueError, KeyError, TypeError, IndexError):
        raise InterpreterError(
            f"'{executable}' does not look like a Python 3.9+ interpreter"
        ) from None


def _interpreter_from(facts: dict[str, Any]) -> Interpreter:
    """The Interpreter the query's JSON describes; KeyError or TypeError if it is not that."""
    return Interpreter(
        executable=str(facts["executable"]),
        version=(facts["version"][0], facts["version"][1], facts["version"][2]),
        implementation=facts["implementation"],
        cache_tag=facts["cache_tag"],
        platform=facts["platform"],
        sys_path=tuple(Path(p) for p in facts["path"]),
        stdlib_dirs=tuple(Path(p) for p in facts["stdlib"]),
        site_dirs=tuple(Path(p) for p in facts["site"]),
        builtin_modules=frozenset(facts["builtin"]),
        stdlib_names=frozenset(facts["stdlib_names"]),
        extension_suffixes=tuple(facts["extension_suffixes"]),
    )


def _find_distributions(site_path: Iterable[Path]) -> Iterable[Distribution]:
    seen: set[str] = set()
    for directory in site_path:
        if not directory.is_dir():
            continue
        for dist_info in sorted(directory.glob("*.dist-info")):
            dist = _read_distribution(dist_info)
            # Like importlib.metadata, the first distribution on the path wins.
            if dist is not None and dist.key not in seen:
                seen.add(dist.key)
                yield dist


def _read_distribution(dist_info: Path) -> Distribution | None:
    try:
        text = (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    headers = HeaderParser().parsestr(text, headersonly=True)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        return None
    return Distribution(
        name=name,
        version=version,
        dist_info=dist_info,
        site_dir=dist_info.parent,
        files=tuple(_read_record(dist_info)),
        requires=tuple(headers.get_all("Requires-Dist") or ()),
        entry_points=_read_entry_points(dist_info / "entry_points.txt"),
        requires_python=headers.get("Requires-Python"),
    )


def _read_record(dist_info: Path) -> Iterable[str]:
    try:
        with (dist_info / "RECORD").open(encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))
    except OSError:
        return []
    return [row[0] for row in rows if row]


def _read_entry_points(path: Path) -> dict[str, dict[str, str]]:
    """Parse ``entry_points.txt`` (an INI file whose keys are case-sensitive)."""
    groups: dict[str, dict[str, str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return groups
    current: dict[str, str] | None = None
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = groups.setdefault(line[1:-1].strip(), {})
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return groups


def _unique(paths: Iterable[Path]) -> Iterable[Path]:
    seen: set[str] = set()
    for path in paths:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            yield Path(key)


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
