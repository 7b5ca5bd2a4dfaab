"""The words of ``bundle --help`` stay true to the code they describe."""

from __future__ import annotations

from bundler import helptext
from bundler.caches.build import BUILD_CACHE_ENV
from bundler.cli import DEBUG_ENV
from bundler.errors import BundleError, ConfigError, EntryPointError, ProjectError
from bundler.pyproject import TOOL_KEYS as _TOOL_KEYS
from bundler.runtime import CACHE_ENV


def test_every_tool_bundle_key_is_in_the_build_help() -> None:
    keys = helptext.BUILD_EPILOG.split("[tool.bundle] keys")[1].split("environment")[0]
    assert sorted(k for k in _TOOL_KEYS if f" {k} = " not in keys) == []


def test_environment_variables_are_the_ones_the_code_reads() -> None:
    for variable in (CACHE_ENV, BUILD_CACHE_ENV, DEBUG_ENV, "NO_COLOR", "CI"):
        assert f"\n  {variable}" in helptext.BUILD_EPILOG, variable


def test_exit_statuses_are_the_ones_errors_carry() -> None:
    assert BundleError.exit_status == 1
    assert {ConfigError.exit_status, ProjectError.exit_status, EntryPointError.exit_status} == {2}
    for status in ("0", "1", "2", "130"):
        assert f"\n  {status} " in helptext.EXIT_STATUSES


def test_descriptions_are_wrapped_for_a_terminal() -> None:
    for text in (helptext.MAIN_DESCRIPTION, helptext.BUILD_DESCRIPTION, helptext.CACHE_DESCRIPTION):
        assert max(len(line) for line in text.splitlines()) <= 88
