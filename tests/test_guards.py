"""Refusals of settings that would write an archive that cannot work, the shebang that
names the minor version native code needs, and the output directory made for a build."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.config import DEFAULT_SHEBANG, Config
from bundler.entrypoint import EntryPoint
from bundler.environment import staged_environment
from bundler.errors import ConfigError, OutputError
from bundler.guards import (
    check_configured_entry,
    check_entry_not_excluded,
    check_excludes_matter,
    check_includes_exist,
    output_directory,
)
from bundler.resolve import Graph, Module, ModuleKind
from tests.helpers.environments import fake_interpreter, install_distribution


def _config(tmp_path: Path, **changes: object) -> Config:
    fields: dict[str, object] = {
        "project_dir": tmp_path, "project": None, "output": tmp_path / "app.pyz",
        "entry": None, "script": None, "include": (), "exclude": (),
        "shebang": DEFAULT_SHEBANG, "python": None, "strict": False,
        "inherit_path": False, "compile": True,
    }  # fmt: skip
    fields.update(changes)
    return Config(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("excluded", ["demo", "demo.cli"])
def test_excluded_entry_module_is_refused(excluded: str) -> None:
    with pytest.raises(ConfigError, match=f"--exclude {excluded} leaves out the entry module"):
        check_entry_not_excluded(EntryPoint("demo.cli", "main"), [excluded])
    check_entry_not_excluded(EntryPoint("demo.cli", "main"), ["demo.clix", "dem"])


def test_a_configured_entry_is_checked_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"leaves out the entry module demo\.cli"):
        check_configured_entry(_config(tmp_path, entry="demo.cli:main", exclude=("demo",)))
    check_configured_entry(_config(tmp_path, exclude=("demo",)))  # no -e: decided later


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    install_distribution(site, "demo", {"demo/__init__.py": "", "demo/cli.py": "import ujson\n"})
    return site


def test_include_of_no_module_is_refused_with_a_suggestion(tmp_path: Path, site: Path) -> None:
    env = staged_environment(fake_interpreter(), site)
    check_includes_exist(_config(tmp_path, include=("demo.cli", "sys")), env)
    with pytest.raises(ConfigError) as caught:
        check_includes_exist(_config(tmp_path, include=("dmeo.cli",)), env)
    assert str(caught.value) == (
        "--include dmeo.cli names no module of the environment (did you mean demo?): check "
        "the spelling (it takes module names such as mypkg.tests, not paths)"
    )


def test_exclude_must_name_a_module_or_something_the_sources_mention(
    tmp_path: Path, site: Path
) -> None:
    env = staged_environment(fake_interpreter(), site)
    cli = Module("demo.cli", ModuleKind.THIRD_PARTY, site / "demo" / "cli.py", False)
    graph = Graph(EntryPoint("demo.cli", "main"), {"demo.cli": cli})
    check_excludes_matter(_config(tmp_path, exclude=("demo.cli", "ujson")), env, graph)
    with pytest.raises(ConfigError, match="--exclude orjson names no module"):
        check_excludes_matter(_config(tmp_path, exclude=("orjson",)), env, graph)


def test_output_directory_is_created_and_removed_when_the_block_fails(tmp_path: Path) -> None:
    output = tmp_path / "a" / "b" / "app.pyz"
    with pytest.raises(RuntimeError), output_directory(output):
        assert output.parent.is_dir()
        raise RuntimeError("the build failed")
    assert not (tmp_path / "a").exists()
    with output_directory(output):
        output.write_text("archive")
    assert output.read_text() == "archive"


def test_output_directory_keeps_what_existed(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with pytest.raises(RuntimeError), output_directory(tmp_path / "a" / "b" / "app.pyz"):
        raise RuntimeError("the build failed")
    assert (tmp_path / "a").is_dir() and not (tmp_path / "a" / "b").exists()


def test_output_directory_under_a_file_says_why_not(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError) as caught, output_directory(tmp_path / "file" / "x" / "a.pyz"):
        pass
    assert str(caught.value) == (
        f"cannot create the output directory {tmp_path}/file/x: {tmp_path}/file is not a directory"
    )
