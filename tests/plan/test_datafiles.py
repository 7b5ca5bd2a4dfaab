"""Packages that ship data their code reads through no resource API are zip-unsafe."""

from __future__ import annotations

from pathlib import Path

from bundler.plan.datafiles import (
    data_names,
    is_system_data,
    named_packages,
    unread_data,
    uses_resource_api,
)
from tests.helpers.environments import install_distribution
from tests.plan.conftest import plan_app, plan_project


def _unread(tmp_path: Path, files: dict[str, str], readers: tuple[str, ...] = ()) -> dict[str, str]:
    install_distribution(tmp_path / "site", "dep", files)
    planned = plan_app(tmp_path, "dep")
    modules = {entry.name: entry for entry in planned.payload.modules}
    return unread_data(planned.payload, modules, readers)


def test_package_with_templates_and_static_files_is_unsafe(tmp_path: Path) -> None:
    """Flask computes the app's root from its __file__, in Flask's own code."""
    planned = plan_project(
        tmp_path,
        {
            "app/__init__.py": "def main():\n    return 0\n",
            "app/templates/index.html": "<h1>{{ title }}</h1>",
            "app/static/style.css": "h1 {}",
        },
        entry="app:main",
    )
    modules = {entry.name: entry for entry in planned.payload.modules}
    assert unread_data(planned.payload, modules, ()) == {
        "app": "zip-unsafe: ships static/, templates/, which its code reads through no "
        "resource API (a path from __file__ may reach them)"
    }


def test_data_read_through_a_resource_api_is_safe(tmp_path: Path) -> None:
    files = {"dep/__init__.py": "", "dep/data/x.json": "{}"}
    assert _unread(tmp_path, files, readers=("dep",)) == {}
    assert _unread(tmp_path / "named", files, readers=("dep.other", "dep")) == {}


def test_stubs_markers_sources_and_licences_are_not_data(tmp_path: Path) -> None:
    files = {
        "dep/__init__.py": "",
        "dep/py.typed": "",
        "dep/core.pyi": "",
        "dep/_impl.c": "",
        "dep/_impl.h": "",
        "dep/LICENSE.txt": "",
        "dep/include/dep.h": "",
    }
    assert _unread(tmp_path, files) == {}


def test_subpackage_with_data_is_the_unit(tmp_path: Path) -> None:
    files = {
        "dep/__init__.py": "import dep.themes\n",
        "dep/themes/__init__.py": "",
        "dep/themes/dark.css": "",
        "dep/themes/a.css": "",
        "dep/themes/b.css": "",
        "dep/themes/c.css": "",
    }
    assert _unread(tmp_path, files) == {
        "dep.themes": "zip-unsafe: ships a.css, b.css, c.css and 1 more, which its code "
        "reads through no resource API (a path from __file__ may reach them)"
    }


def test_resource_apis_and_the_packages_named_beside_them() -> None:
    assert uses_resource_api(b"from importlib.resources import files")
    assert uses_resource_api(b"data = pkgutil.get_data(__name__, 'x')")
    assert not uses_resource_api(b"open(os.path.join(HERE, 'x'))")
    assert not uses_resource_api(b"response.get_data(as_text=True); def static_files(): pass")
    found = named_packages(b"files('compatns.beta') / 'x.txt'; files(\"top\")")
    assert found == {"compatns.beta", "top", "x.txt"}  # the caller keeps its packages


def test_data_names_are_files_and_folders_without_python() -> None:
    files = ["pkg/__init__.py", "pkg/x.txt", "pkg/data/a.bin", "pkg/sub/__init__.py", "pkg/sub/s.j"]
    assert data_names(files) == {
        "pkg": {"x.txt", "data"},
        "pkg/data": {"a.bin"},
        "pkg/sub": {"s.j"},
    }


def test_man_pages_completions_and_desktop_files_are_for_the_system() -> None:
    """tox ships share/man/man1/tox.1: no code of the app reads it."""
    assert is_system_data(".prefix/share/man/man1/tox.1")
    assert is_system_data(".prefix/share/bash-completion/completions/tool")
    assert is_system_data(".prefix/share/applications/tool.desktop")
    assert not is_system_data(".prefix/share/jupyter/kernels/python3/kernel.json")
    assert not is_system_data(".prefix/share/man")  # a file named so: not a man folder
    assert not is_system_data(".prefix/etc/man/tool.conf")
