"""Which program installs distributions for a build: pip, or uv when it is importable.

uv (the ``uv`` wheel on the package index) installs the same wheels as pip from the same
places, an order of magnitude faster; it is the default wherever ``import uv`` finds its
binary, and pip (a dependency of bundle) otherwise. Either way the staging directory, the
archive and its SBOM come out the same (``bundler.staging.canonical``). uv does not read
pip's configuration, so where pip is configured (``PIP_*`` variables that change what it
installs or from where, a ``pip.conf``) the default stays pip: a build must take what the
user set up, not silently something else.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from bundler.errors import ConfigError

__all__ = [
    "INSTALLERS",
    "INSTALLER_ENV",
    "choose_installer",
    "pip_configuration",
    "uv_executable",
]

INSTALLERS = ("pip", "uv")
INSTALLER_ENV = "BUNDLER_INSTALLER"
# The machine's own pip configuration file, besides those in $XDG_CONFIG_DIRS.
_SYSTEM_PIP_CONF = (Path("/etc/pip.conf"),)
# pip's variables that change only how it talks, not what it installs or from where.
_PIP_COSMETIC = frozenset(
    {
        "PIP_CONFIG_FILE",
        "PIP_DISABLE_PIP_VERSION_CHECK",
        "PIP_NO_INPUT",
        "PIP_QUIET",
        "PIP_VERBOSE",
        "PIP_PROGRESS_BAR",
        "PIP_NO_COLOR",
        "PIP_ROOT_USER_ACTION",
        "PIP_NO_WARN_SCRIPT_LOCATION",
        "PIP_DEFAULT_TIMEOUT",
        "PIP_REQUIRE_VIRTUALENV",
    }
)


def choose_installer(given: str | None, configured: Any, path: Path | None) -> str:
    """``--installer``, else ``$BUNDLER_INSTALLER``, else ``[tool.bundle] installer``, else uv
    if it is importable and pip is not configured, else pip. Asking for uv where it is not
    installed is an error."""
    from_env = os.environ.get(INSTALLER_ENV, "").strip()
    if given is not None:
        value, where = given, f"--installer {given}"
    elif from_env:
        value, where = from_env, f"{INSTALLER_ENV}={from_env}"
    elif configured is not None:
        value, where = configured, f"{path}: [tool.bundle] installer = {configured!r}"
    else:
        return "uv" if uv_executable() is not None and pip_configuration() is None else "pip"
    if value not in INSTALLERS:
        raise ConfigError(f"{where} is not an installer: use 'pip' or 'uv'")
    if value == "uv" and uv_executable() is None:
        raise ConfigError(
            f"{where}: uv is not installed for {sys.executable}, which runs bundle; install "
            f"it with '{sys.executable} -m pip install uv', or build with --installer pip"
        )
    return str(value)


def pip_configuration() -> str | None:
    """What configures pip here (a variable or a file), or None: where pip is configured,
    the default installer stays pip, which reads it."""
    for name, value in sorted(os.environ.items()):
        if name.startswith("PIP_") and name not in _PIP_COSMETIC and value:
            return name
    chosen = os.environ.get("PIP_CONFIG_FILE")
    if chosen == os.devnull:
        return None  # pip reads no file at all
    for path in ([Path(chosen)] if chosen else []) + _pip_config_files():
        if path.is_file():
            return str(path)
    return None


def _pip_config_files() -> list[Path]:
    """Where pip looks for its configuration files, as ``pip config debug`` lists them."""
    home = Path.home()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    dirs = os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    found = [Path(d) / "pip" / "pip.conf" for d in dirs.split(os.pathsep) if d]
    found += [*_SYSTEM_PIP_CONF, config / "pip" / "pip.conf", home / ".pip" / "pip.conf"]
    found += [home / "Library" / "Application Support" / "pip" / "pip.conf"]
    appdata = os.environ.get("APPDATA")
    found += [Path(appdata) / "pip" / "pip.ini"] if appdata else []
    found += [Path(sys.prefix) / ("pip.ini" if sys.platform == "win32" else "pip.conf")]
    return found


@functools.lru_cache(maxsize=1)
def uv_executable() -> str | None:
    """The uv binary of the ``uv`` distribution importable here, or None (not installed, or
    inside an archive, where its binary cannot run)."""
    try:
        module = importlib.import_module("uv")
        found = module.find_uv_bin()
    except (ImportError, OSError, AttributeError):
        return None
    return str(found) if os.access(str(found), os.X_OK) else None
