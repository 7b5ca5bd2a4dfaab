"""Each bad input gets one clear line, a non-zero exit, no traceback and no output file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import assert_clean_failure, leftovers, pyproject, run_bundle, write_project

CLI = {"demo/__init__.py": "", "demo/cli.py": "def main():\n    return 0\n"}


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def build(project: Path, out_dir: Path, *extra: str):  # type: ignore[no-untyped-def]
    # These inputs are wrong whatever the environment: resolve against this one as it is
    # (tests/e2e/test_staging.py has the bad inputs of building and installing).
    result = run_bundle("build", project, "-o", out_dir / "app.pyz", "--no-install", *extra)
    assert leftovers(out_dir) == [] or result.returncode == 0, leftovers(out_dir)
    return result


def test_missing_project_directory(tmp_path: Path, out_dir: Path) -> None:
    result = build(tmp_path / "nope", out_dir)
    assert_clean_failure(result, "does not exist", "nope")


def test_project_without_pyproject(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", CLI)
    assert_clean_failure(build(project, out_dir), "no pyproject.toml")


def test_invalid_toml_names_line_and_column(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": '[project]\nname = "x\n'})
    assert_clean_failure(build(project, out_dir), "invalid TOML", "line 2", "column")


def test_no_entry_point_says_how_to_add_one(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject()})
    assert_clean_failure(build(project, out_dir), "no entry point", "[project.scripts]", "-e")


def test_ambiguous_entry_point_lists_scripts(tmp_path: Path, out_dir: Path) -> None:
    scripts = {"one": "demo.cli:main", "two": "demo.cli:main"}
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject(scripts=scripts)})
    assert_clean_failure(build(project, out_dir), "ambiguous", "one, two", "-c")


def test_unknown_script_name_lists_scripts(tmp_path: Path, out_dir: Path) -> None:
    scripts = {"one": "demo.cli:main"}
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject(scripts=scripts)})
    assert_clean_failure(build(project, out_dir, "-c", "three"), "'three'", "available: one")


def test_entry_module_that_does_not_exist(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject()})
    result = build(project, out_dir, "-e", "demo.missing:main")
    assert_clean_failure(result, "entry module 'demo.missing' was not found")


def test_entry_function_that_does_not_exist(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject()})
    result = build(project, out_dir, "-e", "demo.cli:start")
    assert_clean_failure(result, "entry function 'start' is not defined", "demo.cli")


def test_syntax_error_in_project_names_file_and_line(tmp_path: Path, out_dir: Path) -> None:
    files = {
        **CLI,
        "demo/cli.py": "import demo.broken\ndef main():\n    return 0\n",
        "demo/broken.py": "x = 1\ndef f(:\n",
        "pyproject.toml": pyproject(),
    }
    project = write_project(tmp_path / "p", files)
    result = build(project, out_dir, "-e", "demo.cli:main")
    assert_clean_failure(result, "syntax error", "broken.py:2")


def test_unknown_tool_bundle_key_is_named(tmp_path: Path, out_dir: Path) -> None:
    toml = pyproject(scripts={"demo": "demo.cli:main"}, extra="[tool.bundle]\nentrypoint = 'x'\n")
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": toml})
    assert_clean_failure(build(project, out_dir), "unknown key 'entrypoint'", "[tool.bundle]")


@pytest.fixture
def good_project(tmp_path: Path) -> Path:
    toml = pyproject(scripts={"demo": "demo.cli:main"})
    return write_project(tmp_path / "p", {**CLI, "pyproject.toml": toml})


def test_output_in_missing_directory(good_project: Path, tmp_path: Path) -> None:
    result = run_bundle("build", good_project, "-o", tmp_path / "no" / "such" / "app.pyz")
    assert_clean_failure(result, "does not exist", "create it")
    assert not (tmp_path / "no").exists()


def test_output_that_is_a_directory(good_project: Path, out_dir: Path) -> None:
    result = run_bundle("build", good_project, "-o", out_dir)
    assert_clean_failure(result, "is a directory", "file name")
    assert leftovers(out_dir) == []


def test_output_in_unwritable_directory(good_project: Path, out_dir: Path) -> None:
    if os.geteuid() == 0:
        # root writes through permission bits; /proc refuses new files even to root.
        target = Path("/proc/app.pyz")
    else:
        out_dir.chmod(0o555)
        target = out_dir / "app.pyz"
    try:
        result = run_bundle("build", good_project, "-o", target)
    finally:
        out_dir.chmod(0o755)
    assert_clean_failure(result, "cannot write to")
    assert not target.exists()


def test_failed_build_keeps_previous_output(good_project: Path, out_dir: Path) -> None:
    """A failure after the output existed leaves the old archive untouched."""
    previous = out_dir / "app.pyz"
    previous.write_bytes(b"previous build")
    result = run_bundle(
        "build", good_project, "-o", previous, "-e", "demo.cli:nope", "--no-install"
    )
    assert_clean_failure(result, "'nope'")
    assert previous.read_bytes() == b"previous build"
    assert leftovers(out_dir) == ["app.pyz"]


def test_strict_makes_missing_imports_fatal(tmp_path: Path, out_dir: Path) -> None:
    files = {
        **CLI,
        "demo/cli.py": "import not_installed_anywhere\ndef main():\n    return 0\n",
        "pyproject.toml": pyproject(scripts={"demo": "demo.cli:main"}),
    }
    project = write_project(tmp_path / "p", files)
    lenient = build(project, out_dir)
    assert lenient.returncode == 0, lenient.stderr
    assert "'not_installed_anywhere' not found (imported by demo.cli, line 1)" in lenient.stderr
    (out_dir / "app.pyz").unlink()
    strict = build(project, out_dir, "--strict")
    assert_clean_failure(strict, "not_installed_anywhere", "demo.cli")
    assert leftovers(out_dir) == []
