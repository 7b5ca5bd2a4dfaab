"""Smaller archives that behave the same (issue 14): bytecode only for what import
statements reach, sources in LZMA packs, everything else compiled on first import."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bundler.runtime import PACKS_MEMBER
from tests.conftest import Runner, pyproject, run_bundle, write_project
from tests.helpers.pythons import find_python

CLI = """\
import importlib
import inspect
import sys
from importlib.resources import files

PLUGINS = ["demo.plugins.shout"]  # named in a string only: no import statement reaches it


def main():
    plugin = importlib.import_module(PLUGINS[0])
    print(plugin.shout("hi"))
    print(inspect.getsource(plugin.shout).splitlines()[0])
    print(len(files("demo.plugins").joinpath("shout.py").read_text()))
    if sys.argv[1:] == ["fail"]:
        plugin.fail()
"""

SHOUT = """\
def shout(text):
    return text.upper() + "!"


def fail():
    raise ValueError("plugin failed")  # the line a traceback must show
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(
        tmp_path_factory.mktemp("sized"),
        {
            "pyproject.toml": pyproject(scripts={"demo": "demo.cli:main"}),
            "demo/__init__.py": "",
            "demo/cli.py": CLI,
            "demo/plugins/__init__.py": "",
            "demo/plugins/shout.py": SHOUT,
        },
    )


def _build(project: Path, output: Path, *flags: str) -> Path:
    result = run_bundle("build", project, "-o", output, "-q", "--no-install", *flags)
    assert result.returncode == 0, result.stderr
    return output


@pytest.fixture(scope="module")
def default(project: Path) -> Path:
    return _build(project, project / "default.pyz")


EXPECTED = f"HI!\ndef shout(text):\n{len(SHOUT)}\n"


def _payload_names(archive: Path) -> set[str]:
    with (
        zipfile.ZipFile(archive) as outer,
        zipfile.ZipFile(outer.open(".bundle/payload.zip")) as inner,
    ):
        return set(inner.namelist())


def test_bytecode_only_for_modules_import_statements_reach(default: Path) -> None:
    names = _payload_names(default)
    pycs = {name.split("/__pycache__/")[1].split(".")[0] for name in names if name.endswith(".pyc")}
    assert pycs == {"__init__", "cli"}  # demo and demo.cli; not the plugin
    assert not any(name.endswith(".py") for name in names)  # every source is packed
    with zipfile.ZipFile(default) as outer:
        assert outer.getinfo(PACKS_MEMBER).compress_type == zipfile.ZIP_STORED


def test_a_module_without_bytecode_is_compiled_once_and_cached(
    default: Path, run_app: Runner, private_runtime_cache: Path
) -> None:
    writes = {"PYTHONDONTWRITEBYTECODE": ""}
    assert run_app(default, env=writes).stdout == EXPECTED
    cached = sorted(private_runtime_cache.glob("apps/demo-*/bytecode/*/demo/plugins/shout.pyc"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    assert run_app(default, env=writes).stdout == EXPECTED
    assert cached[0].stat().st_mtime_ns == stamp  # read, not written again


def test_traceback_lines_come_from_the_packs(default: Path, run_app: Runner) -> None:
    result = run_app(default, "fail")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip(" ~^")]
    assert lines[-3:] == [
        f'  File "{default}/demo/plugins/shout.py", line 6, in fail',
        '    raise ValueError("plugin failed")  # the line a traceback must show',
        "ValueError: plugin failed",
    ]


@pytest.mark.parametrize("minor", ["3.9", "3.13"])
def test_packed_sources_import_on_other_pythons(default: Path, run_app: Runner, minor: str) -> None:
    python = find_python(minor)
    if python is None:
        pytest.skip(f"no Python {minor} here")
    result = run_app(default, python=python)
    assert (result.returncode, result.stdout, result.stderr) == (0, EXPECTED, "")


def test_files_and_all_bytecode_give_the_layout_before_packs(
    project: Path, default: Path, run_app: Runner, tmp_path: Path
) -> None:
    plain = _build(project, tmp_path / "plain.pyz", "--sources", "files", "--bytecode", "all")
    names = _payload_names(plain)
    assert {"demo/plugins/shout.py", "demo/cli.py"} <= names
    assert sum(name.endswith(".pyc") for name in names) == 4
    with zipfile.ZipFile(plain) as outer:
        assert outer.getinfo(PACKS_MEMBER).file_size == 0  # no packs
    assert run_app(plain).stdout == EXPECTED
