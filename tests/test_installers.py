"""Which installer a build uses: the flag, then $BUNDLER_INSTALLER, then [tool.bundle], then
uv where it is importable; asking for uv where it is not is one line, exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundler import installers
from bundler.errors import ConfigError
from bundler.installers import INSTALLER_ENV, choose_installer, uv_executable

PYPROJECT = Path("/p/pyproject.toml")


@pytest.fixture(autouse=True)
def no_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(INSTALLER_ENV, raising=False)
    uv_executable.cache_clear()
    yield
    uv_executable.cache_clear()


def _uv_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(installers, "uv_executable", lambda: None)


def test_default_is_uv_where_it_is_importable_else_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose_installer(None, None, PYPROJECT) == "uv"
    _uv_missing(monkeypatch)
    assert choose_installer(None, None, PYPROJECT) == "pip"


def test_flag_then_environment_then_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose_installer(None, "pip", PYPROJECT) == "pip"
    monkeypatch.setenv(INSTALLER_ENV, "uv")
    assert choose_installer(None, "pip", PYPROJECT) == "uv"
    assert choose_installer("pip", "uv", PYPROJECT) == "pip"


@pytest.mark.parametrize(
    ("given", "env", "configured", "message"),
    [
        (None, "conda", None, "BUNDLER_INSTALLER=conda is not an installer: use 'pip' or 'uv'"),
        (
            None,
            "",
            "poetry",
            "/p/pyproject.toml: [tool.bundle] installer = 'poetry' is not an installer: use "
            "'pip' or 'uv'",
        ),
    ],
)
def test_an_unknown_installer_is_refused(
    monkeypatch: pytest.MonkeyPatch, given: str | None, env: str, configured: str, message: str
) -> None:
    monkeypatch.setenv(INSTALLER_ENV, env)
    with pytest.raises(ConfigError) as caught:
        choose_installer(given, configured, PYPROJECT)
    assert str(caught.value) == message
    assert caught.value.exit_status == 2


@pytest.mark.parametrize(
    ("given", "env", "configured", "where"),
    [
        ("uv", "", None, "--installer uv"),
        (None, "uv", None, "BUNDLER_INSTALLER=uv"),
        (None, "", "uv", "/p/pyproject.toml: [tool.bundle] installer = 'uv'"),
    ],
)
def test_uv_asked_for_but_not_installed_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, given: str | None, env: str, configured: str, where: str
) -> None:
    _uv_missing(monkeypatch)
    monkeypatch.setenv(INSTALLER_ENV, env)
    with pytest.raises(ConfigError) as caught:
        choose_installer(given, configured, PYPROJECT)
    assert str(caught.value) == (
        f"{where}: uv is not installed for {sys.executable}, which runs bundle; install it "
        f"with '{sys.executable} -m pip install uv', or build with --installer pip"
    )


def test_uv_executable_is_the_binary_of_the_importable_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    found = uv_executable()
    assert found is not None and Path(found).name.startswith("uv")
    uv_executable.cache_clear()
    monkeypatch.setitem(sys.modules, "uv", None)  # import uv fails
    assert uv_executable() is None
