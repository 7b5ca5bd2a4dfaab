"""The one walk over a module that the zip-safety analysis reads: bindings, returns, calls,
imported names, and which scope a name is read from."""

from __future__ import annotations

import ast
import textwrap

import pytest

from bundler.plan.scopes import Scopes, qualified_name


def _walk(source: str) -> tuple[ast.Module, Scopes]:
    tree = ast.parse(textwrap.dedent(source))
    return tree, Scopes(tree)


def _bindings(scopes: Scopes) -> list[tuple[list[str], str, int]]:
    return [
        ([ast.unparse(target) for target in targets], ast.unparse(value), scope)
        for targets, value, scope in scopes.bindings
    ]


def _reads(tree: ast.Module, scopes: Scopes, name: str) -> list[tuple[int, tuple[int, str]]]:
    """(line, resolved binding) of every read of ``name``, in line order."""
    return sorted(
        (node.lineno, scopes.resolve(node))
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)
    )


# -- what the walk records ---------------------------------------------------------------------


def test_bindings_record_targets_values_and_scopes() -> None:
    _, scopes = _walk(
        """\
        x = 1
        a, b = pair
        n: int = 2
        n += 3
        for item in items:
            pass
        with open(x) as stream:
            pass
        (w := 5)
        def f(p, q=x, *rest, k=len(x), **kw):
            y = p
        """
    )
    assert _bindings(scopes) == [
        (["x"], "1", 0),
        (["(a, b)"], "pair", 0),
        (["n"], "2", 0),
        (["n"], "3", 0),
        (["item"], "items", 0),
        (["stream"], "open(x)", 0),
        (["w"], "5", 0),
        # A default is a binding of the parameter inside the function.
        (["q"], "x", 1),
        (["k"], "len(x)", 1),
        (["y"], "p", 1),
    ]


def test_returns_name_their_function_and_bare_returns_are_left_out() -> None:
    _, scopes = _walk(
        """\
        def outer():
            def inner():
                return here
            if flag:
                return
            return inner
        """
    )
    assert [(name, ast.unparse(value)) for name, value in scopes.returns] == [
        ("inner", "here"),
        ("outer", "inner"),
    ]


def test_calls_in_except_handlers_and_main_blocks_are_left_out() -> None:
    _, scopes = _walk(
        """\
        setup()
        try:
            attempt()
        except ImportError as error:
            diagnose(error)
            def fallback():
                fallback_call()
        else:
            after()
        def f():
            inside()
        if __name__ == "__main__":
            main()
        if "__main__" == __name__:
            reversed_main()
        if __name__ == "other":
            kept()
        """
    )
    assert [ast.unparse(call.func) for call in scopes.calls] == [
        "setup",
        "attempt",
        "after",
        "inside",
        "kept",
    ]


def test_imported_names_are_aliases_of_what_they_import() -> None:
    _, scopes = _walk(
        """\
        import os
        import os.path
        import numpy as np
        import xml.etree.ElementTree as ET
        from os.path import join, dirname as up
        from . import sibling
        from .sub import thing
        """
    )
    assert scopes.aliases == {
        "os": "os",
        "np": "numpy",
        "ET": "xml.etree.ElementTree",
        "join": "os.path.join",
        "up": "os.path.dirname",
        # Inside this package: the leading dot keeps them from naming a known sink.
        "sibling": "..sibling",
        "thing": ".sub.thing",
    }


# -- which binding a name reads ----------------------------------------------------------------


def test_reads_resolve_to_the_nearest_enclosing_binding() -> None:
    tree, scopes = _walk(
        """\
        path = 1
        def outer():
            path = 2
            def inner():
                return path
            return path
        def other():
            return path
        def own(path):
            return path
        print(undefined)
        """
    )
    assert _reads(tree, scopes, "path") == [
        (5, (1, "path")),
        (6, (1, "path")),
        (8, (0, "path")),
        (10, (4, "path")),
    ]
    assert _reads(tree, scopes, "undefined") == [(11, (0, "undefined"))]


def test_global_declaration_binds_the_module_name() -> None:
    tree, scopes = _walk(
        """\
        ROOT = None
        def configure():
            global ROOT
            ROOT = here()
        def use():
            return ROOT
        """
    )
    assert scopes.binding_scope(1, "ROOT") == 0
    assert scopes.binding_scope(1, "other") == 1
    assert _reads(tree, scopes, "ROOT") == [(6, (0, "ROOT"))]


def test_class_scope_is_seen_by_its_body_but_not_by_its_methods() -> None:
    tree, scopes = _walk(
        """\
        DATA = 1
        class Table:
            DATA = 2
            COPY = DATA
            def rows(self):
                return DATA
        """
    )
    assert _reads(tree, scopes, "DATA") == [(4, (1, "DATA")), (6, (0, "DATA"))]
    assert scopes.is_class(1) is True
    assert scopes.is_class(2) is False
    assert _bindings(scopes)[1:] == [(["DATA"], "2", 1), (["COPY"], "DATA", 1)]


def test_lambdas_and_class_bases_get_the_right_scopes() -> None:
    tree, scopes = _walk(
        """\
        base = object
        class Thing(base):
            pass
        handler = lambda value=base: value
        """
    )
    assert _reads(tree, scopes, "base") == [(2, (0, "base")), (4, (0, "base"))]
    assert _reads(tree, scopes, "value") == [(4, (2, "value"))]


def test_nonlocal_declaration_binds_the_enclosing_functions_name() -> None:
    _, scopes = _walk(
        """\
        def outer():
            path = None
            def locate():
                nonlocal path
                path = here()
            locate()
            return path
        """
    )
    # The assignment in locate() gives outer()'s "path" its value.
    assert scopes.binding_scope(2, "path") == 1


# -- qualified names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("join", "os.path.join"),
        ("os.path.join", "os.path.join"),
        ("np.ctypeslib.load_library", "numpy.ctypeslib.load_library"),
        ("open", "open"),
        ("self.root.open", "self.root.open"),
        ("Path(__file__).parent", None),
        ("items[0].read", None),
    ],
)
def test_qualified_name_expands_aliases_along_attributes(
    expression: str, expected: str | None
) -> None:
    aliases = {"join": "os.path.join", "os": "os", "np": "numpy"}
    node = ast.parse(expression, mode="eval").body
    assert qualified_name(node, aliases) == expected
