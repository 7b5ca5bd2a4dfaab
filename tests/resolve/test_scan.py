"""Reading a module's imports from its source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bundler.caches.results import Results
from bundler.resolve import scan as scan_module
from bundler.resolve import scan_imports
from bundler.resolve.scan import imports_of


def refs(source: str, module: str = "pkg.mod", is_package: bool = False) -> dict[str, bool]:
    """name -> optional, for every import in ``source``; the scan that knows the source
    (which may visit statements only) finds exactly what the full scan finds."""
    tree = ast.parse(source)
    found = scan_imports(tree, module, is_package)
    assert scan_imports(tree, module, is_package, source.encode()) == found
    return {ref.name: ref.optional for ref in found}


def test_absolute_and_relative_imports_are_made_absolute() -> None:
    found = refs(
        "import a.b\nfrom . import sibling\nfrom ..top import x\nfrom .sub import y\n",
        module="pkg.inner.mod",
    )
    assert found == {"a.b": False, "pkg.inner": False, "pkg.top": False, "pkg.inner.sub": False}


def test_relative_import_in_package_init_is_relative_to_the_package() -> None:
    found = refs("from .core import run\n", module="pkg", is_package=True)
    assert found == {"pkg.core": False}


def test_try_except_import_error_is_optional_but_else_branch_is_not() -> None:
    source = (
        "try:\n    import fast\nexcept ImportError:\n    import slow\n"
        "try:\n    import other\nexcept ValueError:\n    pass\n"
    )
    assert refs(source) == {"fast": True, "slow": False, "other": False}


def test_type_checking_block_is_skipped_and_if_blocks_are_optional() -> None:
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import only_for_mypy\n"
        "if sys.platform == 'win32':\n    import winonly\n"
    )
    assert refs(source) == {"typing": False, "winonly": True}


def test_imports_inside_functions_are_found() -> None:
    assert refs("def f():\n    import lazy\n    return lazy\n") == {"lazy": False}


def test_literal_dynamic_imports_are_followed() -> None:
    source = (
        "import importlib\nimportlib.import_module('plugins.one')\n"
        "importlib.import_module('.two', 'plugins')\n__import__('three')\n"
        "importlib.import_module(name_from_config)\n"
    )
    assert refs(source) == {
        "importlib": False,
        "plugins.one": False,
        "plugins.two": False,
        "three": False,
    }


def test_from_import_records_candidate_submodules() -> None:
    tree = ast.parse("from pkg import sub, CONSTANT\n")
    (ref,) = scan_imports(tree, "main", False)
    assert ref.name == "pkg" and ref.fromlist == ("sub", "CONSTANT")


def test_dotted_strings_naming_own_modules_are_optional_imports() -> None:
    source = (
        'EXTENSIONS = ["pkg.ext.Plugin", "json.decoder", "see pkg.ext for details"]\n'
        'LOADER = "pkg.loaders"\n'
    )
    assert refs(source, module="pkg.mod") == {"pkg.ext.Plugin": True, "pkg.loaders": True}
    assert refs(source, module="toplevel") == {}


def test_imports_are_kept_by_content_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "mod.py"
    source.write_text(
        "try:\n    import fast\nexcept ImportError:\n    fast = None\nfrom . import sib\n"
    )
    first = imports_of(Results("scans"), source, "pkg.mod", False, project=False)
    assert first == scan_imports(ast.parse(source.read_bytes()), "pkg.mod", False)
    monkeypatch.setattr(scan_module, "scan_imports", lambda *args: [])  # a hit parses nothing
    assert imports_of(Results("scans"), source, "pkg.mod", False, project=False) == first
    # Another name (relative imports differ) or other bytes: scanned again.
    assert imports_of(Results("scans"), source, "other.mod", False, project=False) == []


def test_a_source_that_does_not_parse_is_none_and_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "bad.py"
    source.write_text("def (:\n")
    assert imports_of(Results("scans"), source, "bad", False, project=False) is None
    assert not (tmp_path / "cache" / "results").exists()


def test_imports_in_every_kind_of_statement_body_are_found() -> None:
    source = (
        "import a\n"
        "class C:\n    import b\n    def m(self):\n        import c\n"
        "async def f():\n    async with x:\n        import d\n"
        "    async for i in y:\n        pass\n    else:\n        import e\n"
        "while w:\n    import g\nelse:\n    import h\n"
        "with open(p) as s:\n    import i\n"
        "try:\n    pass\nexcept ValueError:\n    import j\nelse:\n    import k\n"
        "finally:\n    import l\n"
        "match v:\n    case 1:\n        import m\n    case _:\n        import n\n"
        "x = [i for i in range(3)]\nlam = lambda: 0\n"
    )
    assert sorted(refs(source)) == list("abcdeghijklmn")


@pytest.mark.parametrize(
    ("source", "may"),
    [
        ("from pkg.lexer import RegexLexer\nTOKENS = {'root': [(r'x', 1)]}\n", False),
        ("import importlib\nm = importlib.import_module(name)\n", True),
        ("m = __import__('x')\n", True),
        ("TABLE = {'x': 'pkg.lexers.python'}\n", True),
        ('TABLE = {"x": "pkg.lexers.python"}\n', True),
        ("TABLE = {'x': 'other.lexers.python'}\n", False),
    ],
)
def test_statements_alone_are_visited_only_where_no_expression_can_import(
    source: str, may: bool
) -> None:
    assert scan_module._expressions_may_import(source.encode(), "pkg.sub") is may
