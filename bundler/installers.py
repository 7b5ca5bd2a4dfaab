"""Which program installs distributions for a build: pip, or uv when it is importable.

uv (the ``uv`` wheel on the package index) installs the same wheels as pip from the same
places, an order of magnitude faster; it is the default wherever ``import uv`` finds its
binary, and pip (a dependency of bundle) otherwise. Either way the staging directory, the
archive and its SBOM come out the same (``bundler.staging.canonical``).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from bundler.errors import ConfigError

__all__ = ["INSTALLERS", "INSTALLER_ENV", "choose_installer", "uv_executable"]

INSTALLERS = ("pip", "uv")
INSTALLER_ENV = "BUNDLER_INSTALLER"


def choose_installer(given: str | None, configured: Any, path: Path | None) -> str:
    """``--installer``, else ``$BUNDLER_INSTALLER``, else ``[tool.bundle] installer``, else uv
    if it is importable, else pip. Asking for uv where it is not installed is an error."""
    from_env = os.environ.get(INSTALLER_ENV, "").strip()
    if given is not None:
        value, where = given, f"--installer {given}"
    elif from_env:
        value, where = from_env, f"{INSTALLER_ENV}={from_env}"
    elif configured is not None:
        value, where = configured, f"{path}: [tool.bundle] installer = {configured!r}"
    else:
        return "uv" if uv_executable() is not None else "pip"
    if value not in INSTALLERS:
        raise ConfigError(f"{where} is not an installer: use 'pip' or 'uv'")
    if value == "uv" and uv_executable() is None:
        raise ConfigError(
            f"{where}: uv is not installed for {sys.executable}, which runs bundle; install "
            f"it with '{sys.executable} -m pip install uv', or build with --installer pip"
        )
    return str(value)


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
