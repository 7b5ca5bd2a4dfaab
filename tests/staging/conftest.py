"""Fixtures of the staging tests: pip blind to this machine's configuration, a build cache
of the test's own, and tiny projects: one of setuptools, one of a backend of the test's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import bundle_env, pyproject, write_project
from tests.helpers.wheels import write_wheel

SETUPTOOLS = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

"""


@pytest.fixture
def pip_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip and uv, run in this process's environment, read the same ``PIP_*`` and ``UV_*``
    settings as in ``bundle_env`` (and pip installs unless a test says otherwise): none of
    this machine's configuration, find-links or constraints."""
    for name in [name for name in os.environ if _installers_setting(name)]:
        monkeypatch.delenv(name)
    for name, value in bundle_env().items():
        if _installers_setting(name):
            monkeypatch.setenv(name, value)


def _installers_setting(name: str) -> bool:
    return name.startswith(("PIP_", "UV_")) or name == "BUNDLER_INSTALLER"


@pytest.fixture
def build_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Built wheels and staging directories of this test only."""
    cache = tmp_path / "build-cache"
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(cache))
    return cache


def setuptools_project(root: Path) -> Path:
    """A setuptools project: ``demo`` 1.0, one package whose ``VALUE`` is 1."""
    files = {"pyproject.toml": SETUPTOOLS + pyproject(), "demo/__init__.py": "VALUE = 1\n"}
    return write_project(root, files)


def backend_project(root: Path, backend: str, source: str | None = None) -> Path:
    """A project whose build-system requires nothing: ``backend`` is looked for in the
    backend's environment or, given its ``source``, in the project (``backend-path``)."""
    lines = ["[build-system]", "requires = []", f'build-backend = "{backend}"']
    files = {}
    if source is not None:
        lines.append('backend-path = ["."]')
        files[f"{backend}.py"] = source
    files["pyproject.toml"] = "\n".join(lines) + "\n\n" + pyproject()
    return write_project(root, files)


def foreign_target_wheels(house: Path) -> Path:
    """Wheels for a target CPython 3.9 on Windows: ``native`` built for it and for any
    Python, and ``winner``, whose dependencies' markers hold there and not here."""
    write_wheel(house, "native", "1.0", {"native.py": "WHERE = 'win'\n"}, tag="cp39-cp39-win_amd64")
    write_wheel(house, "native", "1.0", {"native.py": "WHERE = 'here'\n"})
    write_wheel(
        house,
        "winner",
        "1.0",
        {"winner.py": ""},
        requires=["backport; python_version < '3.10'", "colour; os_name == 'nt'"],
    )
    write_wheel(house, "backport", "1.0", {"backport.py": ""})
    write_wheel(house, "colour", "1.0", {"colour.py": ""})
    return house
