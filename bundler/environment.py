"""Describe the target interpreter and the distributions installed in its environment."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bundler.distribution import Distribution, find_distributions, required_closure
from bundler.errors import InterpreterError
from bundler.runtime.metadata import normalise_name
from bundler.targets import ForeignTarget

__all__ = [
    "Distribution",
    "Environment",
    "Interpreter",
    "environment_for",
    "foreign_interpreter",
    "inspect_environment",
    "normalise_name",
    "query_interpreter",
    "staged_environment",
    "supported_tags",
]

# Runs inside the target interpreter; prints one JSON object describing it. It must stay
# compatible with every Python we support (3.9+) and import nothing outside the stdlib.
_QUERY = r"""
import importlib.machinery, json, os, platform, site, sys, sysconfig
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
    "markers": {
        "implementation_name": sys.implementation.name,
        "implementation_version": "%d.%d.%d" % sys.implementation.version[:3]
        + ("" if sys.implementation.version.releaselevel == "final"
           else sys.implementation.version.releaselevel[0]
           + str(sys.implementation.version.serial)),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "python_version": "%d.%d" % sys.version_info[:2],
        "sys_platform": sys.platform,
    },
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
    # PEP 508 marker variables (python_version, sys_platform...) as the target sees them;
    # they follow from the fields above, so records stay hashable and compare without them.
    markers: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    # A target staged without its interpreter (--target-python, --platform): pip installs
    # for it with these facts; the other fields are the build interpreter's.
    foreign: ForeignTarget | None = None

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
class Environment:
    """The interpreter plus the search path and distributions that imports resolve against."""

    interpreter: Interpreter
    search_path: tuple[Path, ...]
    distributions: tuple[Distribution, ...]
    # Normalised real path of every file a RECORD lists -> its distribution.
    owners: Mapping[str, Distribution]
    # The normalised name of the project's own distribution, when it is installed here.
    project: str | None = None
    # Without staging: the normalised names of what the project declares it needs (its
    # requirements with its extras, and theirs, for this interpreter); None when staged,
    # where pip installed exactly that.
    declared: frozenset[str] | None = None

    def owner_of(self, path: Path) -> Distribution | None:
        """The distribution whose RECORD lists ``path``, if any."""
        found = self.owners.get(os.path.normpath(path))
        return found if found is not None else self.owners.get(os.path.realpath(path))

    def is_project_file(self, path: Path) -> bool:
        """Whether ``path`` belongs to the project's own installed distribution."""
        owner = self.owner_of(path)
        return owner is not None and owner.key == self.project

    def is_declared(self, dist: Distribution) -> bool:
        """Whether ``dist`` is the project or in its declared closure (always, when staged)."""
        return self.declared is None or dist.key in self.declared or dist.key == self.project

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


def environment_for(
    interpreter: Interpreter,
    extra_path: Sequence[Path] = (),
    project: str | None = None,
    extras: Sequence[str] = (),
) -> Environment:
    """The environment of ``interpreter`` as it is, with ``extra_path`` searched first.

    ``project`` names the project's distribution as found on that path; what it declares
    (with ``extras``) becomes the environment's ``declared`` closure.
    """
    env = _environment(interpreter, [*extra_path, *interpreter.sys_path], project)
    if env.project is None or env.distribution(env.project) is None:
        return env
    roots = [(env.project, tuple(extras))]
    declared = required_closure(roots, env.distributions, interpreter.markers)
    return dataclasses.replace(env, declared=declared)


def staged_environment(
    interpreter: Interpreter, site_dirs: Path | Sequence[Path], project: str | None = None
) -> Environment:
    """Staging directories plus the standard library of ``interpreter``, and nothing else.

    The interpreter's site-packages are left out: what the app needs was installed into
    ``site_dirs`` (the project's own, then its dependencies'), so a build gives the same
    archive wherever it runs. ``project`` names the project's distribution, when it is
    installed there.
    """
    sites = [site_dirs] if isinstance(site_dirs, Path) else list(site_dirs)
    stdlib = [p for p in interpreter.sys_path if interpreter.is_stdlib_path(p)]
    return _environment(interpreter, [*sites, *stdlib], project)


def _environment(
    interpreter: Interpreter, path: Sequence[Path], project: str | None = None
) -> Environment:
    search_path = tuple(_unique(path))
    site_path = [p for p in search_path if not interpreter.is_stdlib_path(p)]
    distributions = tuple(find_distributions(site_path))
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


# Runs inside the target with a copy of bundler's ``packaging`` only on its path: the wheel
# tags it supports, best first, as pip would compute them.
_TAGS = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from packaging import tags
print(json.dumps([str(tag) for tag in tags.sys_tags()]))
"""


def supported_tags(interpreter: Interpreter) -> tuple[str, ...]:
    """The wheel tags ``interpreter`` accepts, most specific first."""
    if interpreter.foreign is not None:
        return interpreter.foreign.wheel_tags()
    import packaging

    with tempfile.TemporaryDirectory() as scratch:
        # Only packaging on the path, not the site-packages it came from.
        os.symlink(os.path.dirname(packaging.__file__), os.path.join(scratch, "packaging"))
        completed = subprocess.run(
            [interpreter.executable, "-E", "-s", "-c", _TAGS, scratch],
            capture_output=True,
            text=True,
            cwd=scratch,
            timeout=120,
            check=False,
        )
    try:
        return tuple(str(tag) for tag in json.loads(completed.stdout))
    except ValueError:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise InterpreterError(
            f"interpreter '{interpreter.executable}' cannot list its wheel tags: {last}"
        ) from None


def foreign_interpreter(host: Interpreter, target: ForeignTarget) -> Interpreter:
    """An interpreter that is not here: ``target``'s version, platform, markers and module
    suffixes, with the standard library of ``host`` (the build's) to resolve imports."""
    version = (*target.python, 0)
    return dataclasses.replace(
        host,
        version=(version[0], version[1], version[2]),
        implementation="cpython",
        cache_tag=f"cpython-{target.python[0]}{target.python[1]}",
        platform=target.sysconfig_platform(),
        extension_suffixes=target.extension_suffixes(),
        markers=target.markers(),
        foreign=target,
    )


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
        markers={str(k): str(v) for k, v in dict(facts["markers"]).items()},
    )


def _unique(paths: Iterable[Path]) -> Iterable[Path]:
    seen: set[str] = set()
    for path in paths:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            yield Path(key)


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
