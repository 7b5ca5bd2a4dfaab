"""Distributions a --no-install build bundles although the project does not declare them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bundler.entrypoint import EntryPoint
from bundler.environment import Environment, environment_for, query_interpreter
from bundler.resolve import Graph, Module, ModuleKind
from bundler.scope import Undeclared, undeclared_distributions
from tests.helpers.environments import install_distribution, stdlib_only


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    install_distribution(site, "declared", {"declared/__init__.py": ""})
    install_distribution(site, "ipython", {"IPython/__init__.py": ""}, version="8.0")
    install_distribution(site, "traitlets", {"traitlets/__init__.py": ""}, version="5.0")
    install_distribution(site, "pexpect", {"pexpect/__init__.py": ""}, version="4.9")
    return site


def _env(site: Path, declared: frozenset[str] | None) -> Environment:
    env = environment_for(stdlib_only(query_interpreter(None)), [site])
    return dataclasses.replace(env, declared=declared)


def _module(site: Path | None, name: str, *importers: str) -> Module:
    top = name.split(".")[0]
    path = site / top / "__init__.py" if site else Path(f"/proj/{top}/__init__.py")
    return Module(name, ModuleKind.THIRD_PARTY, path, True, importers=importers)


def _graph(site: Path) -> Graph:
    modules = [
        Module("app", ModuleKind.PROJECT, Path("/proj/app/__init__.py"), True),
        Module("app.shell", ModuleKind.PROJECT, Path("/proj/app/shell.py"), False, ("app",)),
        _module(site, "declared", "app"),
        _module(site, "IPython", "app.shell"),
        _module(site, "traitlets", "IPython"),
        _module(site, "pexpect", "IPython", "traitlets"),
    ]
    return Graph(EntryPoint("app"), {module.name: module for module in modules})


def test_undeclared_distributions_are_named_with_the_import_that_pulled_them_in(
    site: Path,
) -> None:
    found = undeclared_distributions(_graph(site), _env(site, frozenset({"declared"})))
    assert found == (
        Undeclared("ipython", "8.0", "IPython", "app.shell", ("pexpect", "traitlets")),
    )
    assert found[0].describe() == (
        "ipython 8.0 with 2 more distributions it needs (pexpect, traitlets) is bundled from "
        "the environment although the project does not declare it (app.shell imports "
        "IPython); add it to the project's dependencies, or --exclude IPython"
    )


def test_everything_declared_or_staged_says_nothing(site: Path) -> None:
    everything = frozenset({"declared", "ipython", "traitlets", "pexpect"})
    assert undeclared_distributions(_graph(site), _env(site, everything)) == ()
    assert undeclared_distributions(_graph(site), _env(site, None)) == ()


def test_a_lone_undeclared_distribution_lists_nothing_more(site: Path) -> None:
    declared = frozenset({"ipython", "traitlets", "pexpect"})
    found = undeclared_distributions(_graph(site), _env(site, declared))
    assert found == (Undeclared("declared", "1.0", "declared", "app"),)
    assert found[0].describe() == (
        "declared 1.0 is bundled from the environment although the project does not declare it "
        "(app imports declared); add it to the project's dependencies, or --exclude declared"
    )
