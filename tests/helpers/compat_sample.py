"""The compat sample (sample_projects/compat): its wheels, virtualenvs, archives and probes.

Everything slow is made once per test run and shared between xdist workers
(tests/helpers/shared.py): the wheelhouse, a virtualenv with compat installed by pip for
each interpreter, an empty virtualenv for each interpreter, and the two archives, built on
the interpreter that runs the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUILD_BACKENDS, SAMPLES, copy_project, run_bundle
from tests.helpers.downloads import download_wheels
from tests.helpers.pythons import clean_env, find_python
from tests.helpers.shared import create_once
from tests.helpers.wheels import build_fixture_wheelhouse

__all__ = [
    "BUILD_MINOR",
    "COMPAT_PROJECT",
    "NO_EXTRAS",
    "Archives",
    "Extras",
    "app_env",
    "clean_venv_python",
    "compat_archives",
    "installed_venv",
    "probe_output",
    "python_for",
    "run_archive",
    "run_installed",
]

COMPAT_PROJECT = SAMPLES / "compat"
BUILD_MINOR = f"{sys.version_info[0]}.{sys.version_info[1]}"
"""Archives are built on the interpreter that runs the tests, like a developer would."""

_TIMEOUT = 300
# Variables the tests set themselves, so that the machine's own values never leak in.
_APP_VARIABLES = ("PYTHONDONTWRITEBYTECODE", "BUNDLER_CACHE", "COMPAT_MAIN_MARKER")


@dataclass(frozen=True)
class Archives:
    """The compat sample built twice from the same virtualenv."""

    console: Path
    """Entry point: the ``compat`` console script (``compat.cli:main``)."""
    module: Path
    """Entry point ``-e compat``: runs ``compat/__main__.py`` like ``python -m compat``."""


@dataclass(frozen=True)
class Extras:
    """Distributions installed beside compat, and so bundled with it."""

    name: str
    requirements: tuple[str, ...] = ()
    find_links: tuple[Path, ...] = ()

    @property
    def suffix(self) -> str:
        """What tells apart the directories made with these extras."""
        return f"-{self.name}" if self.requirements else ""


NO_EXTRAS = Extras("none")


def python_for(minor: str) -> Path:
    """The interpreter for ``minor``; skips the test when this machine does not have it."""
    python = find_python(minor)
    if python is None:
        pytest.skip(f"Python {minor} is not installed here")
    return python


def installed_venv(shared: Path, minor: str, extras: Extras = NO_EXTRAS) -> Path:
    """A virtualenv for ``minor`` where pip installed compat, its dependencies and
    ``extras``, offline."""
    python = python_for(minor)
    find_links = [compat_wheelhouse(shared), *extras.find_links]

    def create(target: Path) -> None:
        _run_checked([str(python), "-m", "venv", "--without-pip", str(target)])
        pip = [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python")]
        offline = ["--no-index", *(f"--find-links={path}" for path in find_links)]
        _run_checked([*pip, "install", "--quiet", *offline, "compat", *extras.requirements])

    return create_once(shared, f"installed-{minor}{extras.suffix}", create)


def clean_venv_python(shared: Path, minor: str) -> Path:
    """The interpreter of an empty virtualenv for ``minor``: archives run with it."""
    python = python_for(minor)

    def create(target: Path) -> None:
        _run_checked([str(python), "-m", "venv", "--without-pip", str(target)])

    return create_once(shared, f"clean-{minor}", create) / "bin" / "python"


def compat_archives(shared: Path, extras: Extras = NO_EXTRAS) -> Archives:
    """Both archives, resolved against the build interpreter's virtualenv with compat in it."""
    build_python = installed_venv(shared, BUILD_MINOR, extras) / "bin" / "python"

    def create(target: Path) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            project = _copy_project(Path(scratch))
            _bundle(project, target / "compat.pyz", build_python)
            _bundle(project, target / "compat-m.pyz", build_python, "-e", "compat")

    built = create_once(shared, f"archives{extras.suffix}", create)
    return Archives(console=built / "compat.pyz", module=built / "compat-m.pyz")


def compat_wheelhouse(shared: Path) -> Path:
    """Wheels of compat (built by setuptools) and of every fixture distribution."""

    def create(target: Path) -> None:
        build_fixture_wheelhouse(target)
        with tempfile.TemporaryDirectory() as scratch:
            project = _copy_project(Path(scratch))
            backend = ["--find-links", str(download_wheels("build-backends", BUILD_BACKENDS))]
            wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index"]
            _run_checked([*wheel, *backend, "--wheel-dir", str(target), str(project)])

    return create_once(shared, "wheelhouse", create)


def app_env(cache: Path, **overrides: str) -> dict[str, str]:
    """The environment an app runs in: nothing leaky, bytecode writing left at Python's
    default (this machine sets PYTHONDONTWRITEBYTECODE), and a private ``BUNDLER_CACHE``."""
    env = {k: v for k, v in clean_env().items() if k not in _APP_VARIABLES}
    env["BUNDLER_CACHE"] = str(cache)
    env.update(overrides)
    return env


def run_installed(
    venv: Path,
    *args: str,
    env: Mapping[str, str],
    as_module: bool = False,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run compat from a virtualenv: its console script, or ``python -m compat``."""
    bin_dir = venv / "bin"
    command = [str(bin_dir / "python"), "-m", "compat"] if as_module else [str(bin_dir / "compat")]
    return _run([*command, *args], env=env, cwd=cwd)


def run_archive(
    python: Path,
    archive: Path | str,
    *args: str,
    env: Mapping[str, str],
    flags: Sequence[str] = (),
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python [flags] archive args...``."""
    return _run([str(python), *flags, str(archive), *args], env=env, cwd=cwd)


def probe_output(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON that ``compat probe`` printed; fails with the run's stderr when there is none."""
    try:
        parsed = json.loads(result.stdout)
    except ValueError:
        parsed = None
    if result.returncode != 0 or not isinstance(parsed, dict):
        raise AssertionError(
            f"{' '.join(map(str, result.args))} exited {result.returncode} without probe "
            f"results.\nstdout:\n{result.stdout[-2000:]}\nstderr:\n{result.stderr[-4000:]}"
        )
    return parsed


def _bundle(project: Path, output: Path, python: Path, *extra: str) -> None:
    # --no-install: resolve against the virtualenv as pip left it, without a staging install.
    result = run_bundle("build", project, "-o", output, "--python", python, "--no-install", *extra)
    if result.returncode != 0:
        raise AssertionError(f"bundle build failed:\n{result.stderr}")


def _copy_project(scratch: Path) -> Path:
    """A copy of the project, so that builds leave nothing in the repository."""
    return copy_project(COMPAT_PROJECT, scratch / COMPAT_PROJECT.name)


def _run(
    command: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), capture_output=True, text=True, env=dict(env), cwd=cwd, timeout=_TIMEOUT
    )


def _run_checked(command: Sequence[str]) -> None:
    # pip reads none of this machine's configuration: the tests say where wheels come from.
    result = _run(command, env=clean_env(PIP_CONFIG_FILE=os.devnull))
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
