"""Fixtures shared by the test suite: running ``bundle``, clean interpreters, wheelhouses."""

from __future__ import annotations

import subprocess
import sys
import venv
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.helpers.pythons import clean_env
from tests.helpers.wheels import build_fixture_wheelhouse

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_projects"

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def run_bundle(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``bundle`` CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "bundler", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(**(env or {})),
        timeout=600,
    )


@pytest.fixture(scope="session")
def clean_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreter whose site-packages holds nothing but what venv puts there.

    Archives are run with it, so a dependency that the archive failed to carry cannot be
    found on the test machine by accident.
    """
    target = tmp_path_factory.mktemp("clean-venv")
    venv.EnvBuilder(with_pip=False).create(target)
    return target / "bin" / "python"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the fixture distributions that the sample projects depend on."""
    return build_fixture_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session")
def deps_python(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """A virtualenv with every fixture distribution installed, offline, by pip."""
    target = tmp_path_factory.mktemp("deps-venv")
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    names = sorted({p.name.split("-")[0] for p in wheelhouse.glob("*.whl")})
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            *names,
        ],
        check=True,
        env=clean_env(),
    )
    return python


@pytest.fixture
def run_app(clean_python: Path) -> Runner:
    """Run an archive with the clean interpreter (or another one) in a subprocess."""

    def run(
        archive: Path,
        *args: str,
        python: Path | None = None,
        stdin: str | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python or clean_python), str(archive), *args],
            capture_output=True,
            text=True,
            input=stdin,
            cwd=cwd,
            env={**clean_env(), **(env or {})},
            timeout=300,
        )

    return run


def write_project(root: Path, files: Mapping[str, str]) -> Path:
    """Create a project tree from ``{relative path: text}``; returns ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def pyproject(
    name: str = "demo", *, scripts: Mapping[str, str] | None = None, extra: str = ""
) -> str:
    """A minimal ``pyproject.toml`` text."""
    lines = ["[project]", f'name = "{name}"', 'version = "1.0"']
    if scripts:
        lines.append("[project.scripts]")
        lines += [f'{key} = "{value}"' for key, value in scripts.items()]
    return "\n".join(lines) + "\n" + extra


def assert_clean_failure(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """A user error: non-zero exit, one ``bundle: error:`` line, no traceback."""
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bundle: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], result.stderr


def leftovers(directory: Path) -> list[str]:
    """Files left in ``directory`` (temporary files of an interrupted write included)."""
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []
