"""VCS state in the wheel's key: only for projects whose version comes from it; what of
git's state counts; the environment variables backends obey."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bundler.staging.vcs import backend_environment, vcs_identity, version_from_vcs
from tests.conftest import write_project


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "repo", {"pkg/pyproject.toml": "x", "pkg/a.py": "A = 1\n"})
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "one")
    return root


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("pyproject.toml", '[build-system]\nrequires = ["setuptools", "setuptools-scm>=8"]', True),
        ("pyproject.toml", '[build-system]\nrequires = ["hatchling", "hatch-vcs"]', True),
        ("pyproject.toml", '[tool.pdm.version]\nsource = "scm"\n', True),
        ("pyproject.toml", '[build-system]\nrequires = ["hatchling"]\n', False),
        ("setup.py", "setup(use_scm_version=True)\n", True),
        ("setup.cfg", "[metadata]\nname = x\n", False),
    ],
)
def test_version_from_vcs_is_read_from_the_build_files(
    tmp_path: Path, name: str, text: str, expected: bool
) -> None:
    write_project(tmp_path, {name: text})
    assert version_from_vcs(tmp_path) is expected


def test_git_state_changes_with_a_tag_a_commit_and_a_modified_file(repo: Path) -> None:
    project = repo / "pkg"  # a project below the repository's root
    first = vcs_identity(project)
    assert first is not None and first["dirty"] is False and first["head"][1] == "main"
    _git(repo, "tag", "v1.4.2")
    tagged = vcs_identity(project)
    assert tagged != first
    _git(repo, "tag", "-a", "v1.5.0", "-m", "release")
    assert vcs_identity(project) != tagged
    (repo / "elsewhere.txt").write_text("untracked files do not make a tree dirty")
    assert vcs_identity(project) == vcs_identity(project)
    assert vcs_identity(project)["dirty"] is False  # type: ignore[index]
    (project / "a.py").write_text("A = 2\n")
    dirty = vcs_identity(project)
    assert dirty is not None and dirty["dirty"] is True and len(dirty["day"]) == 8


def test_outside_a_repository_there_is_no_state(tmp_path: Path) -> None:
    assert vcs_identity(tmp_path) is None


def test_backend_environment_keeps_only_what_backends_read() -> None:
    environ = {
        "SETUPTOOLS_SCM_PRETEND_VERSION": "9.9",
        "CFLAGS": "-O2",
        "HOME": "/root",
        "TERM": "xterm",
    }
    assert backend_environment(environ) == {
        "CFLAGS": "-O2",
        "SETUPTOOLS_SCM_PRETEND_VERSION": "9.9",
    }
