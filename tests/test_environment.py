"""The target interpreter and its environment: querying the interpreter, reading the
distributions installed in a site directory, and which paths belong to whom."""

from __future__ import annotations

import importlib.machinery
import os
import site
import sys
import sysconfig
from pathlib import Path

import pytest

from bundler.environment import (
    Distribution,
    Interpreter,
    environment_for,
    query_interpreter,
    staged_environment,
    supported_tags,
)
from bundler.errors import InterpreterError
from tests.helpers.environments import fake_interpreter, install_distribution, stdlib_only


@pytest.fixture(scope="module")
def this_python() -> Interpreter:
    return query_interpreter(None)


@pytest.fixture(scope="module")
def bare_python(this_python: Interpreter) -> Interpreter:
    return stdlib_only(this_python)


def _script(path: Path, body: str) -> Path:
    """An executable shell script standing in for an interpreter."""
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(path))


# ---------------------------------------------------------------- querying the interpreter


def test_query_describes_the_interpreter_running_the_tests(this_python: Interpreter) -> None:
    assert this_python.executable == sys.executable
    assert this_python.version == tuple(sys.version_info[:3])
    assert this_python.version_text == ".".join(map(str, sys.version_info[:3]))
    assert this_python.implementation == sys.implementation.name
    assert this_python.cache_tag == sys.implementation.cache_tag
    assert this_python.platform == sysconfig.get_platform()
    assert this_python.extension_suffixes == tuple(importlib.machinery.EXTENSION_SUFFIXES)
    assert this_python.builtin_modules == frozenset(sys.builtin_module_names)
    assert this_python.stdlib_names == frozenset(getattr(sys, "stdlib_module_names", ()))
    paths = sysconfig.get_paths()
    assert this_python.stdlib_dirs == tuple(
        sorted({_real(paths["stdlib"]), _real(paths["platstdlib"])}, key=str)
    )
    assert _real(site.getsitepackages()[0]) in this_python.site_dirs


def test_query_reports_no_relative_path_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    interpreter = query_interpreter(None)
    assert [p for p in interpreter.sys_path if not p.is_absolute()] == []
    assert tmp_path not in interpreter.sys_path


def test_missing_interpreter_on_path_is_named() -> None:
    with pytest.raises(InterpreterError) as caught:
        query_interpreter("no-such-python-3.99")
    assert str(caught.value) == (
        "interpreter 'no-such-python-3.99' not found: pass --python with the path of a Python 3"
    )


def test_relative_interpreter_path_is_reported_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InterpreterError) as caught:
        query_interpreter("venv/bin/python")
    assert str(caught.value) == (
        f"interpreter '{tmp_path}/venv/bin/python' not found: "
        "pass --python with the path of a Python 3"
    )


def test_executable_that_is_not_python_is_refused(tmp_path: Path) -> None:
    fake = _script(tmp_path / "python", "echo 'hello from a shell script'")
    with pytest.raises(InterpreterError) as caught:
        query_interpreter(str(fake))
    assert str(caught.value) == f"'{fake}' does not look like a Python 3.9+ interpreter"


def test_executable_printing_other_json_is_refused(tmp_path: Path) -> None:
    fake = _script(tmp_path / "python", "echo '{}'")
    with pytest.raises(InterpreterError) as caught:
        query_interpreter(str(fake))
    assert str(caught.value) == f"'{fake}' does not look like a Python 3.9+ interpreter"


def test_interpreter_that_fails_reports_its_last_line(tmp_path: Path) -> None:
    fake = _script(
        tmp_path / "python",
        "echo 'Traceback (most recent call last):' >&2\n"
        "echo 'ImportError: No module named machinery' >&2\nexit 3",
    )
    with pytest.raises(InterpreterError) as caught:
        query_interpreter(str(fake))
    assert str(caught.value) == (
        f"interpreter '{fake}' failed to describe itself: ImportError: No module named machinery"
    )


def test_interpreter_that_fails_silently_says_so(tmp_path: Path) -> None:
    fake = _script(tmp_path / "python", "exit 1")
    with pytest.raises(InterpreterError) as caught:
        query_interpreter(str(fake))
    assert str(caught.value) == f"interpreter '{fake}' failed to describe itself: no output"


def test_file_that_cannot_be_executed_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("not a program\n")
    fake.chmod(0o644)
    with pytest.raises(InterpreterError) as caught:
        query_interpreter(str(fake))
    assert str(caught.value) == (
        f"cannot run interpreter '{fake}': [Errno 13] Permission denied: '{fake}'"
    )


# ---------------------------------------------------------------- stdlib paths


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/opt/python/lib/python3.11", True),
        ("/opt/python/lib/python3.11/json/__init__.py", True),
        ("/opt/python/lib/python3.11/lib-dynload/_ssl.so", True),
        ("/opt/python/lib/python3.11/site-packages/requests/__init__.py", False),
        ("/opt/python/lib/python3.11/dist-packages/apt/__init__.py", False),
        ("/opt/python/lib/python3.11-extras/helper.py", False),
        ("/home/me/project/json/__init__.py", False),
    ],
)
def test_stdlib_paths_exclude_site_directories_and_lookalikes(path: str, expected: bool) -> None:
    interpreter = fake_interpreter()
    assert interpreter.is_stdlib_path(Path(path)) is expected


def test_site_directory_outside_the_stdlib_is_not_stdlib() -> None:
    """A virtualenv's site-packages is not under the stdlib, but it is a site directory."""
    interpreter = fake_interpreter(
        stdlib_dirs=(Path("/opt"),), site_dirs=(Path("/opt/venv/lib/python3.11/site-packages"),)
    )
    assert interpreter.is_stdlib_path(Path("/opt/venv/lib/python3.11/site-packages/x.py")) is False
    assert interpreter.is_stdlib_path(Path("/opt/venv/lib/python3.11/os.py")) is True


# ---------------------------------------------------------------- installed distributions


ENTRY_POINTS = """\
# written by hand
[console_scripts]
DemoTool = demo_tool.cli:Main

[gui_scripts]
demo-gui = demo_tool.gui:run
[ demo_tool.plugins ]
; another comment
fast=demo_tool.fast:Plugin [speed]
not an entry
"""


def test_distribution_is_read_from_its_dist_info(tmp_path: Path, bare_python: Interpreter) -> None:
    site = tmp_path / "site"
    dist_info = install_distribution(
        site,
        "Demo-Tool",
        {"demo_tool/__init__.py": "", "demo_tool/cli.py": ""},
        version="2.1",
        entry_points=ENTRY_POINTS,
        requires=("inkwell>=1.0", "tallyho; extra == 'count'"),
        requires_python=">=3.9",
    )
    env = staged_environment(bare_python, site)
    expected = Distribution(
        name="Demo-Tool",
        version="2.1",
        dist_info=_real(dist_info),
        site_dir=_real(site),
        files=(
            "demo_tool/__init__.py",
            "demo_tool/cli.py",
            "Demo_Tool-2.1.dist-info/METADATA",
            "Demo_Tool-2.1.dist-info/entry_points.txt",
            "Demo_Tool-2.1.dist-info/RECORD",
        ),
        requires=("inkwell>=1.0", "tallyho; extra == 'count'"),
        entry_points={
            "console_scripts": {"DemoTool": "demo_tool.cli:Main"},
            "gui_scripts": {"demo-gui": "demo_tool.gui:run"},
            "demo_tool.plugins": {"fast": "demo_tool.fast:Plugin [speed]"},
        },
        requires_python=">=3.9",
    )
    assert env.distributions == (expected,)
    assert env.distribution("demo.tool") == expected
    assert expected.key == "demo_tool"
    assert expected.scripts == {"DemoTool": "demo_tool.cli:Main", "demo-gui": "demo_tool.gui:run"}


def test_first_distribution_on_the_path_wins(tmp_path: Path, bare_python: Interpreter) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    install_distribution(first, "demo", {"demo.py": ""}, version="1.0")
    install_distribution(second, "Demo", {"demo.py": ""}, version="2.0")
    install_distribution(second, "other", {"other.py": ""})
    env = environment_for(bare_python, [first, second])
    assert [(d.name, d.version) for d in env.distributions] == [("demo", "1.0"), ("other", "1.0")]
    reversed_env = environment_for(bare_python, [second, first])
    assert [(d.name, d.version) for d in reversed_env.distributions] == [
        ("Demo", "2.0"),
        ("other", "1.0"),
    ]


def test_dist_info_without_usable_metadata_is_skipped(
    tmp_path: Path, bare_python: Interpreter
) -> None:
    site = tmp_path / "site"
    install_distribution(site, "good", {"good.py": ""})
    (site / "empty-1.0.dist-info").mkdir()
    (site / "nameless-1.0.dist-info").mkdir()
    (site / "nameless-1.0.dist-info" / "METADATA").write_text("Version: 1.0\n\n")
    env = staged_environment(bare_python, site)
    assert [d.name for d in env.distributions] == ["good"]


def test_owner_of_follows_record_paths_normalised_and_through_links(
    tmp_path: Path, bare_python: Interpreter
) -> None:
    site = tmp_path / "lib" / "site"
    install_distribution(site, "tool", {"tool/__init__.py": "", "../../bin/tool": ""})
    (tmp_path / "unowned.py").write_text("")
    (tmp_path / "link").symlink_to(site)
    env = staged_environment(bare_python, site)
    [tool] = env.distributions
    assert env.owner_of(site / "tool" / "__init__.py") is tool
    assert env.owner_of(tmp_path / "bin" / "tool") is tool
    assert env.owner_of(tmp_path / "link" / "tool" / "__init__.py") is tool
    assert env.owner_of(tmp_path / "unowned.py") is None


def test_project_file_is_one_of_the_projects_distribution(
    tmp_path: Path, bare_python: Interpreter
) -> None:
    site = tmp_path / "site"
    install_distribution(site, "demo-tool", {"demo_tool/__init__.py": ""})
    install_distribution(site, "helper", {"helper.py": ""})
    (site / "stray.py").write_text("")
    env = staged_environment(bare_python, site, "Demo.Tool")
    assert env.project == "demo_tool"
    assert env.is_project_file(site / "demo_tool" / "__init__.py") is True
    assert env.is_project_file(site / "helper.py") is False
    assert env.is_project_file(site / "stray.py") is False
    assert staged_environment(bare_python, site).is_project_file(site / "helper.py") is False


# ---------------------------------------------------------------- environments


def test_staged_environment_is_the_site_dir_and_the_stdlib_only(
    tmp_path: Path, this_python: Interpreter
) -> None:
    site = tmp_path / "site"
    install_distribution(site, "demo", {"demo.py": ""})
    env = staged_environment(this_python, site)
    assert env.search_path[0] == _real(site)
    assert _real(sysconfig.get_paths()["stdlib"]) in env.search_path
    in_site_dirs = [
        p for p in env.search_path if any(p.is_relative_to(d) for d in this_python.site_dirs)
    ]
    assert in_site_dirs == []
    assert [d.name for d in env.distributions] == ["demo"]
    assert env.distribution("pytest") is None


def test_environment_for_puts_extra_path_first_and_keeps_site_packages(
    tmp_path: Path, this_python: Interpreter
) -> None:
    env = environment_for(this_python, [tmp_path])
    assert env.search_path[0] == _real(tmp_path)
    assert env.distribution("pytest") is not None
    assert env.project is None


def _through_a_link(tmp_path: Path) -> str:
    """This interpreter, run through a symlink to its installation prefix (as Homebrew's
    ``opt/python@3.x`` links are)."""
    prefix = _real(sys.base_prefix)
    executable = _real(sys.executable)
    if not executable.is_relative_to(prefix):
        pytest.skip("this interpreter's executable is not under its prefix")
    (tmp_path / "prefix").symlink_to(prefix)
    return str(tmp_path / "prefix" / executable.relative_to(prefix))


def test_staged_environment_keeps_the_stdlib_of_an_interpreter_behind_a_symlink(
    tmp_path: Path,
) -> None:
    interpreter = query_interpreter(_through_a_link(tmp_path))
    env = staged_environment(interpreter, tmp_path / "site")
    assert _real(sysconfig.get_paths()["stdlib"]) in env.search_path


# ---------------------------------------------------------------- markers, tags, declared


def test_marker_variables_are_the_targets(this_python: Interpreter) -> None:
    from packaging.markers import default_environment

    assert dict(this_python.markers) == default_environment()


def test_supported_tags_are_the_targets_best_first(this_python: Interpreter) -> None:
    from packaging import tags

    assert supported_tags(this_python) == tuple(str(tag) for tag in tags.sys_tags())


def test_staged_environment_searches_the_projects_directory_before_the_dependencies(
    tmp_path: Path, bare_python: Interpreter
) -> None:
    project, deps = tmp_path / "project", tmp_path / "deps"
    install_distribution(project, "demo", {"demo.py": ""}, requires=("helper",))
    install_distribution(deps, "helper", {"helper.py": ""})
    env = staged_environment(bare_python, [project, deps], "demo")
    assert env.search_path[:2] == (_real(project), _real(deps))
    assert [d.name for d in env.distributions] == ["demo", "helper"]
    assert env.declared is None and env.is_declared(env.distributions[1])


def test_environment_of_a_project_declares_what_it_requires(
    tmp_path: Path, bare_python: Interpreter
) -> None:
    site = tmp_path / "site"
    install_distribution(site, "demo", requires=("helper", 'fast; extra == "speed"'))
    install_distribution(site, "helper")
    install_distribution(site, "fast")
    install_distribution(site, "stray")
    plain = environment_for(bare_python, [site], "demo")
    assert plain.declared == frozenset({"demo", "helper"})
    assert not plain.is_declared(plain.distribution("stray"))  # type: ignore[arg-type]
    faster = environment_for(bare_python, [site], "demo", ["speed"])
    assert faster.declared == frozenset({"demo", "helper", "fast"})
    assert environment_for(bare_python, [site]).declared is None
