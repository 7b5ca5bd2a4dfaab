"""What a build backend reads besides the project's files: version control state, for the
plugins that take the version from it, and the environment variables backends obey.

setuptools-scm, hatch-vcs, versioningit, pdm-backend's ``scm`` source, dunamai,
poetry-dynamic-versioning, versioneer and pbr run ``git`` when the wheel is built: a new tag
or commit gives a new version although not one source file changed. So for a project that
names one of them, the wheel's key includes HEAD, the branch, the tags (and what they point
to) and whether tracked files are modified (with the day, which such plugins write into a
dirty version). A project that names none of them does not pay for it: its wheel is not
rebuilt because of a commit that changed nothing it reads.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["backend_environment", "vcs_identity", "version_from_vcs"]

# Names (in pyproject.toml, setup.cfg or setup.py) of the tools that derive a version from
# version control, and the tool-table settings that ask for it.
_VCS_VERSIONING = re.compile(
    r"setuptools[-_]scm|use_scm_version|hatch[-_]vcs|versioningit|dunamai|"
    r"dynamic[-_]versioning|setuptools[-_]git[-_]versioning|vcs[-_]versioning|versioneer|"
    r"\bpbr\b|source\s*=\s*[\"'](?:vcs|scm)[\"']",
    re.IGNORECASE,
)
_BUILD_FILES = ("pyproject.toml", "setup.cfg", "setup.py")

# Environment variables that change what a backend builds: its own settings, the
# compiler's, and the version a VCS plugin is told to pretend.
_BACKEND_PREFIXES = (
    "SETUPTOOLS_",
    "HATCH_",
    "PDM_",
    "POETRY_",
    "FLIT_",
    "MATURIN_",
    "SKBUILD_",
    "CMAKE_",
    "DISTUTILS_",
    "VERSIONINGIT_",
    "PBR_",
)
_BACKEND_NAMES = frozenset(
    {"CC", "CXX", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "ARCHFLAGS", "SOURCE_DATE_EPOCH"}
    | {"MACOSX_DEPLOYMENT_TARGET", "PKG_CONFIG_PATH", "RUSTFLAGS", "CARGO_BUILD_TARGET"}
)
_GIT_TIMEOUT = 60


def version_from_vcs(project_dir: Path) -> bool:
    """Whether the project's build files name a tool that takes the version from VCS."""
    for name in _BUILD_FILES:
        try:
            text = (project_dir / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _VCS_VERSIONING.search(text):
            return True
    return False


def vcs_identity(project_dir: Path) -> dict[str, Any] | None:
    """The git state a VCS version is computed from, or None outside a git work tree.

    ``git`` itself answers (it knows worktrees, packed refs, submodules); without git no
    backend can read the state either, and the answer is None.
    """
    head = _git(project_dir, "rev-parse", "HEAD", "--abbrev-ref", "HEAD")
    if head is None:
        return None
    tags = _git(
        project_dir,
        "for-each-ref",
        "--format=%(refname) %(objectname) %(*objectname)",
        "refs/tags",
    )
    status = _git(project_dir, "status", "--porcelain", "--untracked-files=no")
    dirty = bool(status and status.strip())
    return {
        "head": head.split(),
        "tags": hashlib.sha256((tags or "").encode()).hexdigest(),
        "dirty": dirty,
        # setuptools-scm writes the day into a dirty version (1.5.1.dev0+g1a2b3c.d20250101).
        "day": _build_day() if dirty else None,
    }


def backend_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment variables a build backend obeys, sorted."""
    environ = os.environ if environ is None else environ
    return {
        name: value
        for name, value in sorted(environ.items())
        if name in _BACKEND_NAMES or name.startswith(_BACKEND_PREFIXES)
    }


def _git(directory: Path, *args: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout if completed.returncode == 0 else None


def _build_day() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(epoch) if epoch.isdigit() else time.time()
    return time.strftime("%Y%m%d", time.gmtime(seconds))
