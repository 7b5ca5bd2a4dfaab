"""The whole build in one function: a ``--no-install`` build of a tiny project, strict mode,
the order of the early checks, and where the app's name and version come from."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bundler.archive.header import SH_SHEBANG
from bundler.config import DEFAULT_SHEBANG, Config, Overrides, ProjectMetadata, load_config
from bundler.entrypoint import EntryPoint
from bundler.environment import Environment, staged_environment
from bundler.errors import (
    EntryPointError,
    InterpreterError,
    OutputError,
    ProjectError,
    ResolveError,
)
from bundler.pipeline import BuildResult, _app_metadata, build
from bundler.plan.payload import file_size
from bundler.progress import human_size
from bundler.resolve import Graph, Module, ModuleKind
from tests.conftest import pyproject, write_project
from tests.helpers.environments import fake_interpreter, install_distribution

CLI = """\
import json
from demo import util


def main():
    print(json.dumps(util.VALUE))
"""


def _project(root: Path, cli: str = CLI, **scripts: str) -> Path:
    return write_project(
        root,
        {
            "pyproject.toml": pyproject(scripts=scripts or {"demo": "demo.cli:main"}),
            "demo/__init__.py": "",
            "demo/cli.py": cli,
            "demo/util.py": "VALUE = [1, 2]\n",
        },
    )


def _no_install(project: Path, output: Path, **overrides: Any) -> Config:
    return load_config(project, Overrides(output=output, install=False, **overrides))


# ---------------------------------------------------------------- build()


def test_no_install_build_writes_the_archive_and_consistent_records(tmp_path: Path) -> None:
    output = tmp_path / "app.pyz"
    said = Recorder()
    result = build(_no_install(_project(tmp_path / "proj"), output), said)
    size = human_size(output.stat().st_size)
    assert said.events == [
        ("detail", "inspecting the current interpreter"),
        ("step", "resolving imports from demo.cli:main"),
        ("done", "3 modules to bundle"),
        ("step", "planning the archive: native code, files read by path"),
        # 9: the sources, the dist-info the build writes, and its SBOM (bundler.sbom)
        ("step", f"writing {output} (9 files, {said.payload_size(result)})"),
        ("done", size),
    ]
    assert result.entry == EntryPoint("demo.cli", "main")
    assert result.staging is None
    assert result.environment.project is None
    assert [m.name for m in result.graph.bundled()] == ["demo", "demo.cli", "demo.util"]
    assert result.graph.modules["json"].kind is ModuleKind.STDLIB
    assert result.graph.missing == ()
    assert [m.name for m in result.payload.modules] == ["demo", "demo.cli", "demo.util"]
    assert result.payload.distributions == ("demo-1.0.dist-info",)
    assert (result.archive.path, result.archive.size) == (output, output.stat().st_size)
    assert result.archive.modules == len(result.payload.modules)
    assert result.extraction.reasons == ()
    assert output.read_bytes().startswith(f"{SH_SHEBANG}\n".encode())
    assert result.shebang == SH_SHEBANG
    ran = subprocess.run(
        [sys.executable, str(output)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (ran.returncode, ran.stdout) == (0, "[1, 2]\n"), ran.stderr


OPTIONAL_MISS = "try:\n    import aaa_optional_missing\nexcept ImportError:\n    pass\n"
MAIN = "\ndef main():\n    pass\n"


def test_strict_names_the_first_required_miss_and_writes_nothing(tmp_path: Path) -> None:
    cli = OPTIONAL_MISS + "import zz_missing\nimport mm_missing\n" + MAIN
    output = tmp_path / "app.pyz"
    config = _no_install(_project(tmp_path / "proj", cli), output, strict=True)
    with pytest.raises(ResolveError) as caught:
        build(config)
    assert str(caught.value) == (
        "import 'mm_missing' not found (imported by demo.cli, line 6) and 1 more; "
        "install it, --exclude it, or drop --strict"
    )
    assert not output.exists()


def test_strict_build_with_only_optional_misses_succeeds(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj", OPTIONAL_MISS + MAIN)
    result = build(_no_install(project, tmp_path / "app.pyz", strict=True))
    assert [m.name for m in result.graph.missing] == ["aaa_optional_missing"]
    assert result.archive.path.is_file()


def test_output_is_checked_before_the_interpreter_runs(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    config = _no_install(
        _project(tmp_path / "proj"), tmp_path / "file" / "app.pyz", python="/no/such/python"
    )
    with pytest.raises(OutputError, match="output directory"):
        build(config)


def test_missing_output_directories_are_created_and_removed_if_the_build_fails(
    tmp_path: Path,
) -> None:
    output = tmp_path / "out" / "deeper" / "app.pyz"
    project = _project(tmp_path / "proj")
    with pytest.raises(InterpreterError):
        build(_no_install(project, output, python="/no/such/python"))
    assert not (tmp_path / "out").exists()
    result = build(_no_install(project, output))
    assert result.archive.path == output and output.is_file()


class Recorder:
    """A ``Progress`` that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def step(self, title: str) -> None:
        self.events.append(("step", title))

    def detail(self, text: str) -> None:
        self.events.append(("detail", text))

    def done(self, summary: str) -> None:
        self.events.append(("done", summary))

    def warn(self, text: str) -> None:
        self.events.append(("warn", text))

    @staticmethod
    def payload_size(result: BuildResult) -> str:
        return human_size(sum(file_size(source) for source in result.payload.files.values()))


def test_project_tree_is_checked_before_the_interpreter_runs(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    (project / "demo" / "loop").symlink_to(".")
    config = _no_install(project, tmp_path / "app.pyz", python="/no/such/python")
    with pytest.raises(ProjectError, match="symlink demo/loop in the project points to a"):
        build(config)


def test_entry_point_is_checked_before_the_interpreter_runs(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj", one="demo.cli:main", two="demo.util:main")
    config = _no_install(project, tmp_path / "app.pyz", python="/no/such/python")
    with pytest.raises(EntryPointError, match="ambiguous entry point"):
        build(config)


# ---------------------------------------------------------------- the app's metadata


def _config(tmp_path: Path, project: ProjectMetadata | None) -> Config:
    return Config(
        project_dir=tmp_path,
        project=project,
        output=tmp_path / "app.pyz",
        entry=None,
        script=None,
        include=(),
        exclude=(),
        shebang=DEFAULT_SHEBANG,
        python=None,
        strict=False,
        inherit_path=False,
        compile=True,
        has_project=project is not None,
    )


def _graph(site: Path, entry: str = "greeter.cli") -> Graph:
    path = site / entry.replace(".", "/")
    module = Module(entry, ModuleKind.THIRD_PARTY, path.with_suffix(".py"), False)
    return Graph(EntryPoint(entry, "main"), {entry: module})


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The project ``Demo-App`` 2.0 and ``greeter`` 1.5 (which owns greeter.cli), installed."""
    site = tmp_path / "site"
    install_distribution(
        site, "Demo-App", {"demo_app/__init__.py": ""}, version="2.0", requires_python=">=3.10"
    )
    install_distribution(
        site, "greeter", {"greeter/cli.py": ""}, version="1.5", requires_python=">=3.9"
    )
    return site


def _env(site: Path, project: str | None = None) -> Environment:
    return staged_environment(fake_interpreter(), site, project)


DECLARED = ProjectMetadata(
    "demo-app",
    "0",
    requires_python=">=3.8",
    scripts={"demo": "demo_app.cli:main"},
    summary="A demo",
    dynamic=("version",),
)


def test_installed_project_distribution_knows_the_metadata_best(tmp_path: Path, site: Path) -> None:
    metadata = _app_metadata(_config(tmp_path, DECLARED), _env(site, "demo_app"), _graph(site))
    assert metadata == dataclasses.replace(
        DECLARED, name="Demo-App", version="2.0", requires_python=">=3.10"
    )


def test_installed_project_without_a_project_table(tmp_path: Path, site: Path) -> None:
    metadata = _app_metadata(_config(tmp_path, None), _env(site, "demo-app"), _graph(site))
    assert metadata == ProjectMetadata("Demo-App", "2.0", ">=3.10")


def test_installed_metadata_fills_what_a_missing_table_cannot(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_distribution(
        site,
        "devtool",
        version="7.3",
        requires=("inkwell",),
        entry_points="[console_scripts]\ndevtool = devtool:main\n[devtool.plugins]\nx = y:z\n",
    )
    metadata = _app_metadata(_config(tmp_path, None), _env(site, "devtool"), _graph(site))
    assert metadata == ProjectMetadata(
        "devtool",
        "7.3",
        dependencies=("inkwell",),
        scripts={"devtool": "devtool:main"},
        entry_points={"devtool.plugins": {"x": "y:z"}},
    )


def test_project_table_when_the_project_is_not_installed(tmp_path: Path, site: Path) -> None:
    metadata = _app_metadata(_config(tmp_path, DECLARED), _env(site), _graph(site))
    assert metadata is DECLARED


def test_without_a_project_the_entry_modules_distribution(tmp_path: Path, site: Path) -> None:
    metadata = _app_metadata(_config(tmp_path, None), _env(site), _graph(site))
    assert metadata == ProjectMetadata("greeter", "1.5", ">=3.9")


def test_without_any_distribution_the_entry_modules_top_package(tmp_path: Path, site: Path) -> None:
    graph = _graph(tmp_path / "elsewhere", "loose_tool.main")
    metadata = _app_metadata(_config(tmp_path, None), _env(site), graph)
    assert metadata == ProjectMetadata("loose_tool", "0")
