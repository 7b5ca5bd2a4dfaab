"""Finding the interpreter ``--python`` names: paths and commands as given, versions through
pyenv's versions directory and PATH, pyenv shims resolved, one line when nothing is found."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bundler.errors import ConfigError
from bundler.interpreters import find_interpreter


def _executable(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def pyenv(tmp_path: Path) -> Path:
    """A pyenv root with 3.12.1 and 3.12.10 (newer), 3.13.0, and shims; its ``pyenv which``
    knows no active version."""
    root = tmp_path / "pyenv"
    for version in ("3.12.1", "3.12.10", "3.13.0"):
        minor = version.rsplit(".", 1)[0]
        _executable(root / "versions" / version / "bin" / f"python{minor}")
    _executable(root / "shims" / "python3.12", "#!/bin/sh\necho 'pyenv: advice' >&2\nexit 127\n")
    _executable(root / "bin" / "pyenv", "#!/bin/sh\nexit 1\n")
    return root


def _env(pyenv: Path, tmp_path: Path) -> dict[str, str]:
    return {"PYENV_ROOT": str(pyenv), "PATH": f"{pyenv / 'shims'}{os.pathsep}{tmp_path / 'bin'}"}


def test_none_means_the_running_interpreter() -> None:
    assert find_interpreter(None) is None


def test_a_path_is_taken_as_it_is(tmp_path: Path) -> None:
    assert find_interpreter("/opt/py/bin/python", {"PATH": ""}) == "/opt/py/bin/python"


def test_a_version_is_found_through_pyenv_newest_patch_first(pyenv: Path, tmp_path: Path) -> None:
    env = _env(pyenv, tmp_path)
    assert find_interpreter("3.12", env) == str(pyenv / "versions/3.12.10/bin/python3.12")
    assert find_interpreter("3.12.1", env) == str(pyenv / "versions/3.12.1/bin/python3.12")


def test_an_inactive_pyenv_shim_is_resolved_to_its_version(pyenv: Path, tmp_path: Path) -> None:
    env = _env(pyenv, tmp_path)
    assert find_interpreter("python3.12", env) == str(pyenv / "versions/3.12.10/bin/python3.12")


def test_a_version_on_path(tmp_path: Path) -> None:
    python = _executable(tmp_path / "bin" / "python3.11")
    env = {"PYENV_ROOT": str(tmp_path / "none"), "PATH": str(tmp_path / "bin")}
    assert find_interpreter("3.11", env) == str(python)


def test_a_command_on_path(tmp_path: Path) -> None:
    python = _executable(tmp_path / "bin" / "mypython")
    env = {"PYENV_ROOT": str(tmp_path / "none"), "PATH": str(tmp_path / "bin")}
    assert find_interpreter("mypython", env) == str(python)
    assert find_interpreter("nosuch", env) == "nosuch"  # querying it says it is missing


def test_a_version_nowhere_is_one_line(pyenv: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        find_interpreter("3.10", _env(pyenv, tmp_path))
    assert str(caught.value) == (
        "no Python 3.10 found (looked in pyenv, the py launcher and PATH for python3.10): "
        "install it, or pass --python with the interpreter's path"
    )
