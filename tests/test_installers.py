"""Which installer a build uses: the flag, then $BUNDLER_INSTALLER, then [tool.bundle], then
uv where it is importable; asking for uv where it is not is one line, exit status 2."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundler import installers
from bundler.errors import ConfigError
from bundler.installers import INSTALLER_ENV, choose_installer, pip_configuration, uv_executable

PYPROJECT = Path("/p/pyproject.toml")


@pytest.fixture(autouse=True)
def no_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No installer chosen, pip configured by nothing (as bundle_env has it)."""
    monkeypatch.delenv(INSTALLER_ENV, raising=False)
    for name in [name for name in os.environ if name.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
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


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PIP_INDEX_URL", "https://mirror.example/simple"), ("PIP_FIND_LINKS", "/wheels")],
)
def test_where_pip_is_configured_by_a_variable_the_default_stays_pip(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert pip_configuration() == variable
    assert choose_installer(None, None, PYPROJECT) == "pip"
    assert choose_installer("uv", None, PYPROJECT) == "uv"  # asked for: uv's own settings


def test_variables_that_change_only_pips_output_leave_uv_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_NO_INPUT", "1")
    assert pip_configuration() is None
    assert choose_installer(None, None, PYPROJECT) == "uv"


def test_where_a_pip_conf_exists_the_default_stays_pip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # This machine's own files out of sight: a home, XDG directories and /etc of the test's.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    monkeypatch.delenv("APPDATA", raising=False)
    monkeypatch.setattr(installers, "_SYSTEM_PIP_CONF", (tmp_path / "etc" / "pip.conf",))
    conf = tmp_path / "xdg" / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[global]\nindex-url = https://mirror.example/simple\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert pip_configuration() is None  # PIP_CONFIG_FILE=/dev/null: pip reads no file
    monkeypatch.delenv("PIP_CONFIG_FILE")
    assert pip_configuration() == str(conf)
    assert choose_installer(None, None, PYPROJECT) == "pip"
    conf.unlink()
    assert (pip_configuration(), choose_installer(None, None, PYPROJECT)) == (None, "uv")
    named = tmp_path / "mine.conf"
    named.write_text("[global]\nno-index = true\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(named))
    assert pip_configuration() == str(named)
