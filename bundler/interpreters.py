"""Find the interpreter ``--python`` (or ``[tool.bundle] python``) names: a path, a command
on PATH, or a version such as ``3.12``, looked up through pyenv, the ``py`` launcher and
PATH. A pyenv shim of a version that is not active is resolved to that version's
interpreter, rather than run to print pyenv's advice."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from bundler.errors import ConfigError

__all__ = ["find_interpreter"]

_VERSION = re.compile(r"^(?:python)?(?P<version>3(?:\.\d+){1,2})$")


def find_interpreter(name: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The interpreter to query for ``name``; None means the one running bundle."""
    if name is None:
        return None
    env = os.environ if environ is None else environ
    version = _VERSION.match(name)
    if os.sep in name or (os.altsep and os.altsep in name):
        return name
    if version is not None and not name.startswith("python"):
        return _by_version(version.group("version"), env)
    found = shutil.which(name, path=env.get("PATH"))
    if found is not None and _is_pyenv_shim(found, env):
        return _through_pyenv(name, env) or found
    if found is None and version is not None:
        return _by_version(version.group("version"), env)
    return found or name  # not found: querying it gives the usual one-line error


def _by_version(version: str, env: Mapping[str, str]) -> str:
    minor = ".".join(version.split(".")[:2])
    found = _from_pyenv(version, minor, env) or _from_py_launcher(version, env)
    if found is None:
        on_path = shutil.which(f"python{minor}", path=env.get("PATH"))
        if on_path is not None and _is_pyenv_shim(on_path, env):
            on_path = None  # a shim of a version pyenv does not have
        found = on_path if on_path and _matches(on_path, version, env) else None
    if found is None:
        raise ConfigError(
            f"no Python {version} found (looked in pyenv, the py launcher and PATH for "
            f"python{minor}): install it, or pass --python with the interpreter's path"
        )
    return found


def _from_pyenv(version: str, minor: str, env: Mapping[str, str]) -> str | None:
    """The newest pyenv version that matches ``version``, from its versions directory."""
    versions = _pyenv_root(env) / "versions"
    try:
        names = os.listdir(versions)
    except OSError:
        return None
    matching = [n for n in names if n == version or n.startswith(version + ".")]
    for candidate in sorted(matching, key=_version_key, reverse=True):
        python = versions / candidate / "bin" / f"python{minor}"
        if python.is_file() and os.access(python, os.X_OK):
            return str(python)
    return None


def _through_pyenv(command: str, env: Mapping[str, str]) -> str | None:
    """What a pyenv shim stands for: ``pyenv which`` (the active version's command), else
    the newest installed version that has the command (the shim would only print advice)."""
    active = _run([str(_pyenv_root(env) / "bin" / "pyenv"), "which", command], env)
    if active is not None:
        return active
    versions = _pyenv_root(env) / "versions"
    try:
        names = sorted(os.listdir(versions), key=_version_key, reverse=True)
    except OSError:
        return None
    for name in names:
        candidate = versions / name / "bin" / command
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _run(command: list[str], env: Mapping[str, str]) -> str | None:
    """The first line ``command`` prints, if it succeeds."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=60, check=False, env=dict(env)
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0] if done.returncode == 0 and lines else None


def _from_py_launcher(version: str, env: Mapping[str, str]) -> str | None:
    """Windows' ``py -3.12``: ask it where that version's interpreter is."""
    launcher = shutil.which("py", path=env.get("PATH")) if sys.platform == "win32" else None
    if launcher is None:
        return None
    return _run([launcher, f"-{version}", "-c", "import sys; print(sys.executable)"], env)


def _matches(python: str, version: str, env: Mapping[str, str]) -> bool:
    """Whether ``python`` is ``version`` (3.12 or 3.12.1): a name on PATH may lie."""
    if version.count(".") == 1:
        return True  # pythonX.Y is that minor version by name
    script = "import platform; print(platform.python_version())"
    return _run([python, "-c", script], env) == version


def _is_pyenv_shim(path: str, env: Mapping[str, str]) -> bool:
    return Path(path).parent == _pyenv_root(env) / "shims"


def _pyenv_root(env: Mapping[str, str]) -> Path:
    root = env.get("PYENV_ROOT")
    return Path(root) if root else Path.home() / ".pyenv"


def _version_key(name: str) -> list[int]:
    return [int(part) if part.isdigit() else -1 for part in name.split(".")]
