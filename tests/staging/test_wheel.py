"""Building the project's wheel with its backend, offline, in a virtual environment of the
target interpreter; and a backend's failure turned into one line with its last lines."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bundler.errors import StagingError, ToolTimeoutError
from bundler.staging.buildenv import BuildEnvironments
from bundler.staging.pip import IndexOptions
from bundler.staging.tools import ToolSettings
from bundler.staging.wheel import BackendJob, build_project_wheel, prepare_project_metadata
from tests.conftest import pyproject, write_project
from tests.staging.conftest import backend_project, setuptools_project

pytestmark = pytest.mark.usefixtures("pip_free")

NOWHERE = IndexOptions(no_index=True)

FAILING_BACKEND = """\
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("compiling the frobnicator")
    raise RuntimeError("boom: the backend gave up")
"""


def _job(
    said: list[str],
    *,
    index: IndexOptions = NOWHERE,
    isolation: bool = True,
    python: str = sys.executable,
    verbose: bool = False,
    timeout: float | None = 600,
) -> BackendJob:
    settings = ToolSettings(verbose=verbose, timeout=timeout)
    environments = BuildEnvironments(python=python, index=index, settings=settings)
    return BackendJob(python, isolation, environments, settings, said.append)


def _build(project: Path, **options: Any) -> tuple[Path, list[str]]:
    said: list[str] = []
    made = build_project_wheel(project, project.parent / "out", _job(said, **options))
    return made.path, said


def test_setuptools_project_builds_offline(tmp_path: Path, backend_wheels: Path) -> None:
    project = setuptools_project(tmp_path / "proj")
    wheel, said = _build(project, index=IndexOptions((str(backend_wheels),), no_index=True))
    assert wheel == tmp_path / "out" / "demo-1.0-py3-none-any.whl"
    assert said == ["build requirements: setuptools>=61", "running the build backend"]
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("demo/__init__.py") == b"VALUE = 1\n"


WARNING_BACKEND = """\
import os, warnings, zipfile


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    warnings.warn("`project.license` as a TOML table is deprecated\\n!!\\n  details", UserWarning)
    warnings.warn("second warning")
    name = "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
        wheel.writestr("demo-1.0.dist-info/METADATA", "Name: demo\\nVersion: 1.0\\n")
    return name
"""


def test_backend_warnings_are_collected_not_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = backend_project(tmp_path / "proj", "warning_backend", WARNING_BACKEND)
    said: list[str] = []
    made = build_project_wheel(project, tmp_path / "out", _job(said))
    assert made.warnings == (
        "`project.license` as a TOML table is deprecated\n!!\n  details",
        "second warning",
    )
    assert capsys.readouterr().err == ""


def test_prepared_metadata_is_a_dist_info(tmp_path: Path, backend_wheels: Path) -> None:
    project = setuptools_project(tmp_path / "proj")
    said: list[str] = []
    index = IndexOptions((str(backend_wheels),), no_index=True)
    made = prepare_project_metadata(project, tmp_path / "meta", _job(said, index=index))
    assert made.path == tmp_path / "meta" / "demo-1.0.dist-info"
    assert "Version: 1.0" in (made.path / "METADATA").read_text()


HANGING_BACKEND = """\
import time


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("waiting for a lock that never comes", flush=True)
    time.sleep(600)
"""


def test_a_backend_that_hangs_is_ended_by_the_timeout(tmp_path: Path) -> None:
    project = backend_project(tmp_path / "proj", "hanging", HANGING_BACKEND)
    with pytest.raises(ToolTimeoutError) as caught:
        _build(project, timeout=3)
    assert str(caught.value).startswith("the build backend did not finish within 3 s; ")
    assert caught.value.details == ("waiting for a lock that never comes",)


def test_backend_failure_is_one_line_with_its_last_lines_as_details(tmp_path: Path) -> None:
    project = backend_project(tmp_path / "proj", "failing", FAILING_BACKEND)
    with pytest.raises(StagingError) as caught:
        _build(project)
    assert str(caught.value) == (
        "the build backend failed to build the project's wheel: RuntimeError: boom: the "
        "backend gave up; fix the error above (-v shows all of the backend's output)"
    )
    assert caught.value.details[-3:] == (
        f'  File "{project / "failing.py"}", line 3, in build_wheel',
        '    raise RuntimeError("boom: the backend gave up")',
        "RuntimeError: boom: the backend gave up",
    )


def test_verbose_backend_failure_shows_output_as_it_runs_and_keeps_no_details(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = backend_project(tmp_path / "proj", "failing", FAILING_BACKEND)
    with pytest.raises(StagingError) as caught:
        _build(project, verbose=True)
    assert caught.value.details == ()
    err = capsys.readouterr().err
    assert "  | compiling the frobnicator\n" in err
    assert "  | RuntimeError: boom: the backend gave up\n" in err


def test_missing_backend_is_named(tmp_path: Path) -> None:
    project = backend_project(tmp_path / "proj", "nosuch_backend")
    with pytest.raises(StagingError) as caught:
        _build(project)
    assert str(caught.value) == (
        "cannot import nosuch_backend: ModuleNotFoundError: No module named 'nosuch_backend'; "
        "check build-system.requires and build-backend in pyproject.toml"
    )


def test_missing_backend_without_isolation_asks_for_the_build_requirements(
    tmp_path: Path,
) -> None:
    project = backend_project(tmp_path / "proj", "nosuch_backend")
    with pytest.raises(StagingError) as caught:
        _build(project, isolation=False)
    assert str(caught.value) == (
        "cannot import nosuch_backend: ModuleNotFoundError: No module named 'nosuch_backend'; "
        "install the project's build requirements for the target interpreter, "
        "or drop --no-build-isolation"
    )


def test_invalid_build_system_table_is_one_line(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {"pyproject.toml": '[build-system]\nrequires = "setuptools"\n\n' + pyproject()},
    )
    with pytest.raises(StagingError) as caught:
        _build(project)
    assert str(caught.value) == (
        "cannot build the project: Failed to validate `build-system` in pyproject.toml: "
        "`requires` must be an array of strings"
    )


def test_build_requirement_missing_from_the_wheelhouse_is_pips_error(tmp_path: Path) -> None:
    project = setuptools_project(tmp_path / "proj")
    with pytest.raises(StagingError) as caught:
        _build(project, index=IndexOptions((str(tmp_path / "empty"),), no_index=True))
    assert str(caught.value) == (
        "pip could not install the project's build requirements: No matching distribution "
        f"found for setuptools>=61; with --no-index pip only looks in {tmp_path / 'empty'}: "
        "add it there"
    )


def test_target_that_cannot_make_a_venv_is_one_line(tmp_path: Path) -> None:
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho 'Error: No module named venv' >&2\nexit 1\n")
    python.chmod(0o755)
    project = backend_project(tmp_path / "proj", "nosuch_backend")
    with pytest.raises(StagingError) as caught:
        _build(project, python=str(python))
    assert str(caught.value) == (
        f"cannot create a build environment with {python}: Error: No module named venv; "
        "check that its venv module works, or build with --no-build-isolation"
    )
    assert caught.value.details == ("Error: No module named venv",)
