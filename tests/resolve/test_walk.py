"""Walking the import graph from the entry point over a real environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bundler.entrypoint import EntryPoint
from bundler.environment import inspect_environment, query_interpreter, staged_environment
from bundler.errors import EntryPointError
from bundler.resolve import ModuleKind, resolve_imports
from tests.conftest import write_project


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
    # Named in a string only: reached, but not counted among what import statements reach
    # (those get bytecode in the archive; these are compiled on first import).
    assert "app.main" in graph.imported
    assert not {"app.ext", "app.helper"} & graph.imported


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


def test_required_modules_are_those_every_run_imports(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "req/__init__.py": (
                "from req import always\ntry:\n    from req import speedup\nexcept ImportError:\n"
                "    speedup = None\nif False:\n    import req.maybe\n"
            ),
            "req/always.py": "import req.deep\n",
            "req/deep.py": "",
            "req/speedup.py": "import req.fromspeedup\n",
            "req/fromspeedup.py": "",
            "req/maybe.py": "",
        },
    )
    env = inspect_environment(sys.executable, [root])
    graph = resolve_imports(EntryPoint("req", None), env, root)
    assert {"req", "req.always", "req.deep"} <= graph.modules.keys()
    assert sorted(n for n in graph.required if n.startswith("req")) == [
        "req",
        "req.always",
        "req.deep",
    ]
    assert {"req.speedup", "req.fromspeedup", "req.maybe"} <= graph.modules.keys()
    # Optional imports are statements too: what a run is likely to import.
    assert {"req.speedup", "req.fromspeedup", "req.maybe"} <= graph.imported


def test_plain_script_is_walked_from_its_imports(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "site",
        {"tool/__init__.py": "", "tool/core.py": "", "bin/tool-report": "import tool.core\n"},
    )
    env = inspect_environment(sys.executable, [root])
    entry = EntryPoint("tool-report (script)", None, root / "bin" / "tool-report")
    graph = resolve_imports(entry, env, root)
    assert {"tool", "tool.core"} <= graph.required
    broken = root / "bin" / "broken"
    broken.write_text("def (:\n")
    with pytest.raises(Exception, match=r"syntax error in .*broken:1"):
        resolve_imports(EntryPoint("broken (script)", None, broken), env, root)


def test_each_module_keeps_the_first_edge_that_reached_it(tmp_path: Path) -> None:
    """What --why shows: the importer and line, a dotted string, the entry point, --include;
    and unguarded imports of stdlib modules that some Pythons lack (guarded ones are not)."""
    write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/main.py": (
                "import app.util\nimport tomllib\nPLUGIN = 'app.plugin.Thing'\n"
                "def main():\n    return 0\n"
            ),
            "app/util.py": "try:\n    import asyncore\nexcept ImportError:\n    pass\n",
            "app/plugin.py": "",
            "app/extra.py": "",
        },
    )
    env = inspect_environment(sys.executable, [tmp_path])
    graph = resolve_imports(EntryPoint("app.main", "main"), env, tmp_path, include=["app.extra"])
    why = graph.resolution_table()["why"]
    assert why["app.main"] == ["entry point", "", 0, ""]
    assert why["app.util"] == ["import", "app.main", 1, ""]
    assert why["app.plugin"] == ["string", "app.main", 3, ""]
    assert why["app.extra"] == ["include", "", 0, ""]
    assert "tomllib" not in why  # the standard library is not bundled
    assert [(s.name, s.importer, s.line) for s in graph.versioned_stdlib] == [
        ("tomllib", "app.main", 2)
    ]
