"""The resolver: import scanning, module location and classification."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from bundler.entrypoint import EntryPoint
from bundler.environment import inspect_environment, query_interpreter, staged_environment
from bundler.errors import EntryPointError
from bundler.resolve import ModuleKind, ModuleLocator, resolve_imports, scan_imports
from tests.conftest import write_project


def refs(source: str, module: str = "pkg.mod", is_package: bool = False) -> dict[str, bool]:
    """name -> optional, for every import in ``source``."""
    tree = ast.parse(source)
    return {ref.name: ref.optional for ref in scan_imports(tree, module, is_package)}


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


def test_locator_finds_namespace_portions_across_path_entries(tmp_path: Path) -> None:
    write_project(tmp_path / "a", {"ns/one.py": ""})
    write_project(tmp_path / "b", {"ns/two.py": ""})
    locator = ModuleLocator([tmp_path / "a", tmp_path / "b"], [".so"])
    spec = locator.find("ns")
    assert spec is not None and spec.loader is None
    assert [Path(p).parent.name for p in spec.submodule_search_locations or []] == ["a", "b"]
    assert locator.find("ns.two") is not None
    assert locator.find("ns.three") is None


@pytest.fixture(scope="module")
def env_with_project(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("proj")
    write_project(
        root,
        {
            "app/__init__.py": "",
            "app/main.py": (
                "import json\nimport app.util\nfrom app import data_only\n"
                "try:\n    import missing_optional\nexcept ImportError:\n    pass\n"
                "import missing_required\n"
                "def main():\n    from .lazy import go\n    return go()\n"
            ),
            "app/util.py": "import os\n",
            "app/data_only/__init__.py": "",
            "app/lazy.py": "def go():\n    return 0\n",
        },
    )
    return root, inspect_environment(sys.executable, [root])


def test_graph_classifies_and_reports_misses_with_importer(env_with_project) -> None:  # type: ignore[no-untyped-def]
    root, env = env_with_project
    graph = resolve_imports(EntryPoint("app.main", "main"), env, root)
    kinds = {name: module.kind for name, module in graph.modules.items()}
    assert kinds["app.main"] is ModuleKind.PROJECT
    assert kinds["app.lazy"] is ModuleKind.PROJECT
    assert kinds["app.data_only"] is ModuleKind.PROJECT
    assert kinds["json"] is ModuleKind.STDLIB
    missing = {m.name: (m.importer, m.line, m.optional) for m in graph.missing}
    assert missing == {
        "missing_optional": ("app.main", 5, True),
        "missing_required": ("app.main", 8, False),
    }


def test_entry_function_is_checked(env_with_project) -> None:  # type: ignore[no-untyped-def]
    root, env = env_with_project
    with pytest.raises(EntryPointError, match="'nope' is not defined"):
        resolve_imports(EntryPoint("app.main", "nope"), env, root)


def test_excluded_modules_are_neither_followed_nor_missing(env_with_project) -> None:  # type: ignore[no-untyped-def]
    root, env = env_with_project
    graph = resolve_imports(
        EntryPoint("app.main", "main"), env, root, exclude=["missing_required", "app.util"]
    )
    assert "app.util" not in graph.modules
    assert [m.name for m in graph.missing] == ["missing_optional"]


def test_virtualenv_inside_the_project_is_third_party(tmp_path: Path) -> None:
    site = tmp_path / ".venv" / "lib" / "site-packages"
    write_project(
        tmp_path,
        {
            "tool.py": "import dep\ndef main():\n    return 0\n",
            ".venv/lib/site-packages/dep/__init__.py": "",
        },
    )
    env = inspect_environment(sys.executable, [tmp_path, site])
    graph = resolve_imports(EntryPoint("tool", "main"), env, tmp_path)
    assert graph.modules["tool"].kind is ModuleKind.PROJECT
    assert graph.modules["dep"].kind is ModuleKind.THIRD_PARTY


def test_dotted_strings_naming_own_modules_are_optional_imports() -> None:
    source = (
        'EXTENSIONS = ["pkg.ext.Plugin", "json.decoder", "see pkg.ext for details"]\n'
        'LOADER = "pkg.loaders"\n'
    )
    assert refs(source, module="pkg.mod") == {"pkg.ext.Plugin": True, "pkg.loaders": True}
    assert refs(source, module="toplevel") == {}


def test_module_named_in_a_string_is_bundled_with_its_imports(tmp_path: Path) -> None:
    """cookiecutter names its Jinja extensions as "cookiecutter.extensions.JsonifyExtension"."""
    write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/main.py": (
                "import importlib\nEXTENSIONS = ['app.ext.Plugin', 'app.gone.Thing']\n"
                "def main():\n    return [importlib.import_module(e) for e in EXTENSIONS]\n"
            ),
            "app/ext.py": "import app.helper\nclass Plugin:\n    pass\n",
            "app/helper.py": "",
        },
    )
    env = inspect_environment(sys.executable, [tmp_path])
    graph = resolve_imports(EntryPoint("app.main", "main"), env, tmp_path)
    assert {"app.ext", "app.helper"} <= set(graph.modules)
    assert graph.missing == ()


def _installed(site: Path, name: str, files: dict[str, str], entry_points: str = "") -> None:
    """A distribution as pip installs it: files, METADATA, entry_points.txt, RECORD."""
    dist_info = f"{name}-1.0.dist-info"
    files = {**files, f"{dist_info}/METADATA": f"Name: {name}\nVersion: 1.0\n"}
    if entry_points:
        files[f"{dist_info}/entry_points.txt"] = entry_points
    files[f"{dist_info}/RECORD"] = "".join(f"{path},,\n" for path in files)
    write_project(site, files)


def test_plugins_of_bundled_code_come_from_any_installed_distribution(tmp_path: Path) -> None:
    """mccabe, a dependency of flake8, registers itself in flake8's group."""
    site = tmp_path / "site"
    _installed(site, "host", {"host/__init__.py": "def main():\n    return 0\n"})
    _installed(
        site,
        "helper",
        {"helper_plugin.py": "import helper_dep\n", "helper_dep.py": ""},
        "[host.plugins]\nextra = helper_plugin:Plugin\n",
    )
    _installed(
        site, "unrelated", {"unrelated_mod.py": ""}, "[other.plugins]\nx = unrelated_mod:X\n"
    )
    env = staged_environment(query_interpreter(sys.executable), site)
    graph = resolve_imports(EntryPoint("host", "main"), env, tmp_path)
    assert {"helper_plugin", "helper_dep"} <= set(graph.modules)
    assert "unrelated_mod" not in graph.modules
