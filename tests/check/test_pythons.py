"""Which interpreters bundle check runs on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bundler.check.pythons import Python, choose_pythons
from bundler.errors import BundleError

RUNNING = ".".join(map(str, sys.version_info[:3]))


def test_a_named_interpreter_is_queried() -> None:
    (python,) = choose_pythons([sys.executable], [])
    assert python.version == RUNNING
    assert python.describe() == f"Python {RUNNING}"
    assert python.release == tuple(sys.version_info[:3])


def test_found_interpreters_satisfy_the_specifiers() -> None:
    found = choose_pythons([], [">=3.9", "!=3.10.*"])
    assert found, "at least the current interpreter"
    assert all(p.release[:2] != (3, 10) and p.release >= (3, 9) for p in found)
    assert [p.release for p in found] == sorted(p.release for p in found)


def test_when_none_satisfies_the_current_one_is_used() -> None:
    assert choose_pythons([], [">=4"]) == [Python(sys.executable, RUNNING)]


def test_an_interpreter_that_does_not_run_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="cannot run the interpreter"):
        choose_pythons([str(tmp_path / "nope")], [])
    script = tmp_path / "fake"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(BundleError, match="is not a Python interpreter that runs"):
        choose_pythons([str(script)], [])


def test_an_archive_of_several_targets_is_checked_on_its_targets_pythons() -> None:
    this = ".".join(map(str, sys.version_info[:2]))
    found = choose_pythons([], [">=3.9"], [this])
    assert [p.release[:2] for p in found] == [tuple(sys.version_info[:2])]
