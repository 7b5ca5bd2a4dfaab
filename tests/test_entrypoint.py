"""Choosing the entry point: -e, -c, the project's scripts, installed scripts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bundler.config import Config, Overrides, load_config
from bundler.entrypoint import choose_entry_point
from bundler.environment import Distribution, Environment, environment_for, query_interpreter
from bundler.errors import EntryPointError

# ---------------------------------------------------------------- console scripts


def _environment(tmp_path: Path, *dists: Distribution) -> Environment:
    base = environment_for(query_interpreter(None))
    return Environment(base.interpreter, (tmp_path,), dists, {}, None)


def _dist(name: str, tmp_path: Path, **scripts: str) -> Distribution:
    return Distribution(
        name,
        "1.0",
        tmp_path / f"{name}-1.0.dist-info",
        tmp_path,
        entry_points={"console_scripts": scripts},
    )


def _standalone(tmp_path: Path, **cli: Any) -> Config:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        return load_config(None, Overrides(output=Path("a.pyz"), **cli))
    finally:
        os.chdir(cwd)


def test_script_of_an_installed_distribution(tmp_path: Path) -> None:
    env = _environment(tmp_path, _dist("blackish", tmp_path, blackish="blackish:patched_main"))
    config = _standalone(tmp_path, requirements=("blackish==1.0",), script="blackish")
    entry = choose_entry_point(config, env)
    assert (entry.module, entry.function) == ("blackish", "patched_main")


def test_unknown_script_lists_the_ones_that_exist(tmp_path: Path) -> None:
    env = _environment(
        tmp_path,
        _dist("blackish", tmp_path, blackish="b:main", blackishd="b.d:main"),
        _dist("helper", tmp_path, helper="h:main"),
    )
    config = _standalone(tmp_path, requirements=("blackish",), script="blak")
    with pytest.raises(EntryPointError) as raised:
        choose_entry_point(config, env)
    assert str(raised.value) == (
        "no script named 'blak' in the environment; available: blackish, blackishd, helper"
    )


def test_the_only_script_of_the_requested_distribution_is_the_default(tmp_path: Path) -> None:
    env = _environment(
        tmp_path, _dist("tool", tmp_path, tool="tool:run"), _dist("dep", tmp_path, dep="d:m")
    )
    entry = choose_entry_point(_standalone(tmp_path, requirements=("tool>=1",)), env)
    assert str(entry) == "tool:run"
    two = _environment(tmp_path, _dist("tool", tmp_path, tool="tool:run", toold="tool:d"))
    with pytest.raises(EntryPointError, match=r"ambiguous entry point.*tool, toold.*-c NAME"):
        choose_entry_point(_standalone(tmp_path, requirements=("tool",)), two)
