"""Projects as real teams lay them out, for the end-to-end tests of staging: git
repositories with version tags, local libraries, build backends of the test's own."""

from __future__ import annotations

import json
import os
import subprocess
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import write_project

__all__ = ["SETUPTOOLS", "app_manifest", "git", "library", "process_gone", "setuptools_app"]

SETUPTOOLS = (
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
)

# A script that prints what it imports, so that a test sees which code the archive runs.
CLI = """\
import importlib.metadata


def main():
    import {module}
    print("{name}", importlib.metadata.version("{name}"), getattr({module}, "VALUE", "-"))
"""


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` as a user with a name would; returns its output."""
    completed = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.org",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return completed.stdout


def library(root: Path, name: str, value: str, *, dependencies: tuple[str, ...] = ()) -> Path:
    """A setuptools library ``name`` 1.0 whose module's ``VALUE`` is ``value``."""
    module = name.replace("-", "_")
    listed = ", ".join(f'"{d}"' for d in dependencies)
    table = f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = [{listed}]\n'
    files = {"pyproject.toml": SETUPTOOLS + table, f"{module}/__init__.py": f"VALUE = {value!r}\n"}
    return write_project(root, files)


def setuptools_app(
    root: Path,
    *,
    name: str = "acme-app",
    imports: str,
    dependencies: tuple[str, ...] = (),
    extra: str = "",
    files: Mapping[str, str] | None = None,
) -> Path:
    """A setuptools app whose script ``app`` prints its version and ``imports.VALUE``."""
    package = name.replace("-", "_")
    listed = ", ".join(json.dumps(d) for d in dependencies)
    table = (
        f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = [{listed}]\n'
        f'[project.scripts]\napp = "{package}.cli:main"\n'
        f'[tool.setuptools]\npackages = ["{package}"]\n'
    )
    cli = CLI.format(module=imports, name=name)
    project = {
        "pyproject.toml": SETUPTOOLS + table + extra,
        f"{package}/__init__.py": "",
        f"{package}/cli.py": cli,
        **(files or {}),
    }
    return write_project(root, project)


def app_manifest(archive: Path) -> Mapping[str, object]:
    """The manifest of an archive."""
    with zipfile.ZipFile(archive) as outer:
        data: Mapping[str, object] = json.loads(outer.read(".bundle/manifest.json"))
    return data


def process_gone(pid: int, seconds: float = 20) -> bool:
    """Whether the process ``pid`` ends within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False
