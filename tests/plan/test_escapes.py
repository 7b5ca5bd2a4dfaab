"""Where a path next to ``__file__`` leaves the code the analysis can follow."""

from __future__ import annotations

import ast

import pytest

from bundler.plan.escapes import (
    escaping_callee,
    foreign_files,
    imported_module,
    is_own,
    is_sink,
    reads,
    stored_escape,
)
from bundler.plan.scopes import Scopes

ALIASES = {"os": "os", "loader": "jinja2.FileSystemLoader", "cfuncs": ".cfuncs", "other": "other"}


def _call(source: str) -> ast.Call:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
    return node.value


@pytest.mark.parametrize(
    ("source", "callee"),
    [
        ("loader(path)", "jinja2.FileSystemLoader"),
        ("app.register_theme(path)", "app.register_theme"),
        ("helpers.load_all(__path__)", "helpers.load_all"),
        ("callbacks[0](path)", "a function"),
        ("os.path.join(path, 'x')", None),
        ("str(path)", None),
        ("print(path)", None),
        ("log.debug('%s', path)", None),
        ("path.replace('a', 'b')", None),
        ("sorted(paths)", None),
        ("loader_obj.get_data(path)", None),
    ],
)
def test_callees_that_take_a_path_away(source: str, callee: str | None) -> None:
    assert escaping_callee(_call(source), ALIASES) == callee


def test_stored_paths_that_other_code_can_read() -> None:
    tree = ast.parse(
        "HERE = 1\n_private = 1\nclass C:\n    ROOT = 1\n"
        "def f(self):\n    local = 1\n    self.root = 1\n    global G\n    G = 1\n"
    )
    scopes = Scopes(tree)
    found = [
        stored_escape(target, scope, scopes)
        for targets, _value, scope in scopes.bindings
        for target in targets
    ]
    assert found == [
        "stored in HERE",
        None,
        "stored in ROOT",
        None,
        "stored on .root",
        "stored in G",
    ]


def test_modules_named_by_imports_and_whose_they_are() -> None:
    own = ast.parse("cfuncs", mode="eval").body
    other = ast.parse("other.sub", mode="eval").body
    variable = ast.parse("module", mode="eval").body
    assert imported_module(own, ALIASES) == ".cfuncs"
    assert imported_module(other, ALIASES) == "other.sub"
    assert imported_module(variable, ALIASES) is None
    assert is_own(own, ALIASES, "pkg")
    assert not is_own(other, ALIASES, "pkg")
    assert not is_own(variable, ALIASES, "pkg")


def test_other_packages_files_that_are_opened_or_leave() -> None:
    opened = _call("os.listdir(os.path.dirname(other.__file__))")
    checked = _call("os.path.basename(other.__file__)")
    returned = ast.parse("x = [other.__path__[0]]").body[0]
    assert isinstance(returned, ast.Assign)
    assert foreign_files(opened, ALIASES, "pkg", at_call=True) == [(1, "other")]
    assert foreign_files(checked, ALIASES, "pkg", at_call=True) == []
    assert foreign_files(returned.value, ALIASES, "pkg") == [(1, "other")]


def test_sinks_and_readers() -> None:
    assert is_sink(_call("os.listdir(x)"), ALIASES)
    assert is_sink(_call("p.read_text()"), ALIASES)
    assert not is_sink(_call("os.path.join(x)"), ALIASES)
    assert reads(_call("p.read_bytes()").func)
    assert reads(_call("loader.get_data(x)").func)
    assert not reads(_call("p.joinpath(x)").func)
