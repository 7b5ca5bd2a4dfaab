"""How long pip and the backend may run: the variable wins over the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.errors import ConfigError
from bundler.timeouts import DEFAULT_TIMEOUT, TIMEOUT_ENV, tool_timeout

PATH = Path("/p/pyproject.toml")


@pytest.mark.parametrize(
    ("variable", "configured", "expected"),
    [
        (None, None, DEFAULT_TIMEOUT),
        (None, 60, 60.0),
        (None, 0, None),
        ("5.5", 60, 5.5),
        ("0", 60, None),
    ],
)
def test_timeout_from_the_environment_then_the_configuration(
    monkeypatch: pytest.MonkeyPatch,
    variable: str | None,
    configured: float | None,
    expected: float | None,
) -> None:
    if variable is None:
        monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    else:
        monkeypatch.setenv(TIMEOUT_ENV, variable)
    assert tool_timeout(configured, PATH) == expected


@pytest.mark.parametrize("variable", ["soon", "-1", "nan"])
def test_bad_variable_is_one_line(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, variable)
    with pytest.raises(ConfigError) as caught:
        tool_timeout(None, PATH)
    assert str(caught.value) == (
        f"{TIMEOUT_ENV}={variable} is not a number of seconds (0: no limit)"
    )


@pytest.mark.parametrize("configured", [-3, True])
def test_bad_configuration_is_one_line(monkeypatch: pytest.MonkeyPatch, configured: object) -> None:
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    with pytest.raises(ConfigError) as caught:
        tool_timeout(configured, PATH)
    assert str(caught.value) == f"{PATH}: [tool.bundle] 'timeout' must be seconds, 0 or more"
