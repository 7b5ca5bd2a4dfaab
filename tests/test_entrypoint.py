"""Choosing the entry point: -e, -c, the project's scripts, installed scripts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bundler.config import Config, Overrides, load_config
from bundler.entrypoint import EntryPoint, choose_entry_point, plain_scripts, script_module
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


# ---------------------------------------------------------------- plain scripts


def _with_scripts(tmp_path: Path, **scripts: str) -> Distribution:
    """A distribution installed by pip --target that ships ``scripts`` (name -> text)."""
    site = tmp_path / "target"
    (site / "bin").mkdir(parents=True, exist_ok=True)
    dist_info = site / "tool-1.0.dist-info"
    dist_info.mkdir(exist_ok=True)
    for name, text in scripts.items():
        (site / "bin" / name).write_text(text)
    files = (*(f"../../bin/{name}" for name in scripts), "tool/__init__.py")
    return Distribution(
        "tool",
        "1.0",
        dist_info,
        site,
        files=files,
        entry_points={"console_scripts": {"tool": "tool.cli:main"}},
    )


def test_plain_script_of_a_distribution_runs_as_main(tmp_path: Path) -> None:
    dist = _with_scripts(tmp_path, **{"tool-report.py": "#!/usr/bin/python3\nprint(1)\n"})
    env = _environment(tmp_path, dist)
    entry = choose_entry_point(
        _standalone(tmp_path, requirements=("tool",), script="tool-report.py"), env
    )
    assert entry == EntryPoint(
        "tool-report_py (script)", None, dist.site_dir / "bin/tool-report.py"
    )
    assert str(entry) == "the script tool-report.py"
    assert script_module("a.b") == "a_b (script)"
    assert plain_scripts(dist) == {"tool-report.py": dist.site_dir / "bin/tool-report.py"}


def test_shell_script_is_refused_with_what_to_do(tmp_path: Path) -> None:
    env = _environment(tmp_path, _with_scripts(tmp_path, **{"tool-sh": "#!/bin/sh\necho\n"}))
    with pytest.raises(EntryPointError) as raised:
        choose_entry_point(_standalone(tmp_path, requirements=("tool",), script="tool-sh"), env)
    assert str(raised.value) == (
        "the script 'tool-sh' of tool is not a Python script (#!/bin/sh); an archive runs "
        "Python only: pass -e MODULE:FUNC"
    )


def test_plain_scripts_are_listed_among_the_available(tmp_path: Path) -> None:
    env = _environment(tmp_path, _with_scripts(tmp_path, report="print(1)\n"))
    with pytest.raises(EntryPointError) as raised:
        choose_entry_point(_standalone(tmp_path, requirements=("tool",), script="nope"), env)
    assert str(raised.value) == "no script named 'nope' in the environment; available: tool, report"
