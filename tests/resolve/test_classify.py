"""Saying what a module is (built in, stdlib, the project's, third-party, an extension, a
namespace package) by where the target's import system finds it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bundler.environment import Environment, Interpreter, environment_for, query_interpreter
from bundler.resolve import Module, ModuleKind, ModuleLocator
from bundler.resolve.classify import ModuleClassifier
from tests.conftest import write_project
from tests.helpers.environments import install_distribution, stdlib_only


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    """This interpreter with only its standard library on its path."""
    return stdlib_only(query_interpreter(None))


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A project, a site directory and a second site directory."""
    project = write_project(
        tmp_path / "proj",
        {
            "app/__init__.py": "",
            "app/cli.py": "",
            "single.py": "",
            "vendor/vendored.py": "",
        },
    )
    site = tmp_path / "site"
    install_distribution(site, "thirdparty", {"thirdparty/__init__.py": "", "loose.py": ""})
    install_distribution(site, "my-app", {"my_app/__init__.py": ""})
    write_project(site, {"portions/one.py": "", "stray.py": ""})
    other = write_project(tmp_path / "other-site", {"portions/two.py": ""})
    return project, site, other


def _classifier(
    interpreter: Interpreter, layout: tuple[Path, Path, Path], project: str | None = None
) -> ModuleClassifier:
    root, site, other = layout
    base = environment_for(interpreter, [root, root / "vendor", site, other])
    env = Environment(base.interpreter, base.search_path, base.distributions, base.owners, project)
    locator = ModuleLocator(env.search_path, interpreter.extension_suffixes)
    return ModuleClassifier(env, root, locator)


def _kinds(classifier: ModuleClassifier, *names: str) -> list[ModuleKind | None]:
    return [m.kind if (m := classifier.classify(name)) else None for name in names]


def test_stdlib_and_builtin_names_are_classified_without_a_path(
    interpreter: Interpreter, layout: tuple[Path, Path, Path]
) -> None:
    classifier = _classifier(interpreter, layout)
    assert classifier.classify("sys") == Module("sys", ModuleKind.BUILTIN, None, False)
    assert classifier.classify("json") == Module("json", ModuleKind.STDLIB, None, False)
    assert classifier.classify("json.decoder") == Module(
        "json.decoder", ModuleKind.STDLIB, None, False
    )


def test_absent_module_is_none(interpreter: Interpreter, layout: tuple[Path, Path, Path]) -> None:
    classifier = _classifier(interpreter, layout)
    assert classifier.classify("no_such_module") is None
    assert classifier.classify("app.no_such_submodule") is None


def test_modules_of_the_project_tree_are_the_projects(
    interpreter: Interpreter, layout: tuple[Path, Path, Path]
) -> None:
    root = layout[0]
    classifier = _classifier(interpreter, layout)
    assert classifier.classify("app") == Module(
        "app", ModuleKind.PROJECT, root / "app" / "__init__.py", True, (root / "app",)
    )
    assert classifier.classify("app.cli") == Module(
        "app.cli", ModuleKind.PROJECT, root / "app" / "cli.py", False
    )
    assert classifier.classify("single") == Module(
        "single", ModuleKind.PROJECT, root / "single.py", False
    )


def test_code_in_another_directory_of_the_project_tree_is_third_party(
    interpreter: Interpreter, layout: tuple[Path, Path, Path]
) -> None:
    """``vendor/vendored.py`` is under the project, but ``vendor`` is not its package."""
    assert _kinds(_classifier(interpreter, layout), "vendored") == [ModuleKind.THIRD_PARTY]


def test_site_modules_are_third_party_unless_the_project_installed_them(
    interpreter: Interpreter, layout: tuple[Path, Path, Path]
) -> None:
    site = layout[1]
    plain = _classifier(interpreter, layout)
    installed = _classifier(interpreter, layout, project="my_app")
    assert plain.classify("thirdparty") == Module(
        "thirdparty",
        ModuleKind.THIRD_PARTY,
        site / "thirdparty" / "__init__.py",
        True,
        (site / "thirdparty",),
    )
    assert _kinds(plain, "loose", "stray", "my_app") == [ModuleKind.THIRD_PARTY] * 3
    assert _kinds(installed, "my_app", "thirdparty") == [
        ModuleKind.PROJECT,
        ModuleKind.THIRD_PARTY,
    ]


def test_file_with_an_extension_suffix_is_an_extension(
    interpreter: Interpreter, layout: tuple[Path, Path, Path]
) -> None:
    site = layout[1]
    library = site / f"fastmath{interpreter.extension_suffixes[0]}"
    library.write_bytes(b"")  # found by name; never loaded
    module = _classifier(interpreter, layout).classify("fastmath")
    assert module == Module("fastmath", ModuleKind.EXTENSION, library, False)


def test_namespace_package_gathers_its_portions(
    interpreter: Interpreter, layout: tuple[Path, Path, Path]
) -> None:
    _, site, other = layout
    classifier = _classifier(interpreter, layout)
    assert classifier.classify("portions") == Module(
        "portions", ModuleKind.NAMESPACE, None, True, (site / "portions", other / "portions")
    )
    assert _kinds(classifier, "portions.two") == [ModuleKind.THIRD_PARTY]


def test_without_stdlib_names_the_stdlib_is_known_by_location(
    interpreter: Interpreter, layout: tuple[Path, Path, Path]
) -> None:
    """Python 3.9 has no ``sys.stdlib_module_names``."""
    older = dataclasses.replace(interpreter, stdlib_names=frozenset())
    classifier = _classifier(older, layout)
    assert [classifier.is_stdlib_name(n) for n in ("json", "json.decoder", "sys")] == [
        True,
        True,
        True,
    ]
    assert [classifier.is_stdlib_name(n) for n in ("thirdparty", "app", "nowhere")] == [
        False,
        False,
        False,
    ]
    assert classifier.classify("json") == Module("json", ModuleKind.STDLIB, None, False)


def test_stdlib_name_wins_over_a_project_module_of_that_name(
    interpreter: Interpreter, layout: tuple[Path, Path, Path]
) -> None:
    """The archive never carries a module that shadows the target's standard library."""
    write_project(layout[0], {"json.py": ""})
    assert _classifier(interpreter, layout).classify("json") == Module(
        "json", ModuleKind.STDLIB, None, False
    )
