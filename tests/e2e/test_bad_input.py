"""Each bad input gets one clear line, exit status 1, no traceback and no output file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import (
    assert_user_error,
    leftovers,
    pyproject,
    report_lines,
    run_bundle,
    write_project,
    wrote_line,
)

CLI = {"demo/__init__.py": "", "demo/cli.py": "def main():\n    return 0\n"}


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def build(project: Path, out_dir: Path, *extra: str | Path) -> subprocess.CompletedProcess[str]:
    # These inputs are wrong whatever the environment: resolve against this one as it is
    # (tests/e2e/test_staging.py has the bad inputs of building and installing).
    return run_bundle("build", project, "-o", out_dir / "app.pyz", "--no-install", *extra)


def assert_refused(result: subprocess.CompletedProcess[str], out_dir: Path, message: str) -> None:
    """One ``bundle: error:`` line, exit status 1, and nothing written to ``out_dir``."""
    assert_user_error(result, message)
    assert leftovers(out_dir) == []


def test_missing_project_directory(tmp_path: Path, out_dir: Path) -> None:
    result = build(tmp_path / "nope", out_dir)
    assert_refused(result, out_dir, f"project directory {tmp_path / 'nope'} does not exist")


def test_project_without_pyproject(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", CLI)
    assert_refused(
        build(project, out_dir),
        out_dir,
        f"no pyproject.toml in {project}: run bundle from a project directory, pass the "
        "project's path, or name distributions to bundle with --with",
    )


def test_invalid_toml_names_line_and_column(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": '[project]\nname = "x\n'})
    assert_refused(
        build(project, out_dir),
        out_dir,
        f"invalid TOML in {project / 'pyproject.toml'}: Illegal character '\\n' "
        "(at line 2, column 10)",
    )


def test_no_entry_point_says_how_to_add_one(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject()})
    assert_refused(
        build(project, out_dir),
        out_dir,
        "no entry point: add [project.scripts] to pyproject.toml, a <package>/__main__.py, "
        "or pass -e MODULE:FUNC",
    )


def test_ambiguous_entry_point_lists_scripts(tmp_path: Path, out_dir: Path) -> None:
    scripts = {"one": "demo.cli:main", "two": "demo.cli:main"}
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject(scripts=scripts)})
    assert_refused(
        build(project, out_dir),
        out_dir,
        "ambiguous entry point: [project.scripts] has one, two; choose one with -c NAME or "
        "pass -e MODULE:FUNC",
    )


def test_unknown_script_name_lists_scripts(
    tmp_path: Path, out_dir: Path, clean_python: Path
) -> None:
    """Against an environment with no scripts, so that the list of choices is known."""
    scripts = {"one": "demo.cli:main"}
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject(scripts=scripts)})
    result = build(project, out_dir, "-c", "three", "--python", clean_python)
    assert_refused(
        result,
        out_dir,
        "no script named 'three' in the project or its environment; available: one",
    )


def test_entry_module_that_does_not_exist(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject()})
    result = build(project, out_dir, "-e", "demo.missing:main")
    assert_refused(
        result,
        out_dir,
        "entry module 'demo.missing' was not found in the project or its environment",
    )


def test_entry_function_that_does_not_exist(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject()})
    result = build(project, out_dir, "-e", "demo.cli:start")
    assert_refused(
        result,
        out_dir,
        f"entry function 'start' is not defined in module 'demo.cli' ({project}/demo/cli.py)",
    )


def test_syntax_error_in_project_names_file_and_line(tmp_path: Path, out_dir: Path) -> None:
    files = {
        **CLI,
        "demo/cli.py": "import demo.broken\ndef main():\n    return 0\n",
        "demo/broken.py": "x = 1\ndef f(:\n",
        "pyproject.toml": pyproject(),
    }
    project = write_project(tmp_path / "p", files)
    result = build(project, out_dir, "-e", "demo.cli:main")
    assert_refused(
        result,
        out_dir,
        f"syntax error in {project}/demo/broken.py:2: invalid syntax (module demo.broken)",
    )


def test_unknown_tool_bundle_key_is_named(tmp_path: Path, out_dir: Path) -> None:
    toml = pyproject(scripts={"demo": "demo.cli:main"}, extra="[tool.bundle]\nentrypoint = 'x'\n")
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": toml})
    assert_refused(
        build(project, out_dir),
        out_dir,
        f"{project}/pyproject.toml: unknown key 'entrypoint' in [tool.bundle] (known keys: "
        "build-isolation, compile, constraints, entry, exclude, extract, extras, find-links, "
        "include, inherit-path, install, no-index, output, python, requirements, script, "
        "shebang, strict, timeout, with, zip-safe)",
    )


@pytest.fixture
def good_project(tmp_path: Path) -> Path:
    toml = pyproject(scripts={"demo": "demo.cli:main"})
    return write_project(tmp_path / "p", {**CLI, "pyproject.toml": toml})


def test_output_in_missing_directory(good_project: Path, tmp_path: Path) -> None:
    result = run_bundle("build", good_project, "-o", tmp_path / "no" / "such" / "app.pyz")
    missing = tmp_path / "no" / "such"
    assert_user_error(result, f"output directory {missing} does not exist: create it first")
    assert not (tmp_path / "no").exists()


def test_output_that_is_a_directory(good_project: Path, out_dir: Path) -> None:
    result = run_bundle("build", good_project, "-o", out_dir)
    assert_refused(
        result,
        out_dir,
        f"output {out_dir} is a directory: give a file name such as {out_dir}/app.pyz",
    )


def test_output_in_unwritable_directory(good_project: Path, out_dir: Path) -> None:
    if os.geteuid() == 0:
        # root writes through permission bits; /proc refuses new files even to root.
        target, reason = Path("/proc/app.pyz"), "No such file or directory"
    else:
        out_dir.chmod(0o555)
        target, reason = out_dir / "app.pyz", "Permission denied"
    try:
        result = run_bundle("build", good_project, "-o", target)
    finally:
        out_dir.chmod(0o755)
    assert_user_error(result, f"cannot write to {target.parent}: {reason}")
    assert not target.exists()


def test_failed_build_keeps_previous_output(good_project: Path, out_dir: Path) -> None:
    """A failure after the output existed leaves the old archive untouched."""
    previous = out_dir / "app.pyz"
    previous.write_bytes(b"previous build")
    result = run_bundle(
        "build", good_project, "-o", previous, "-e", "demo.cli:nope", "--no-install"
    )
    assert_user_error(
        result,
        f"entry function 'nope' is not defined in module 'demo.cli' ({good_project}/demo/cli.py)",
    )
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
    assert report_lines(lenient) == [
        "bundle: warning: import 'not_installed_anywhere' not found (imported by demo.cli, line 1)",
        wrote_line(out_dir / "app.pyz", 2, 1),
    ]
    (out_dir / "app.pyz").unlink()
    strict = build(project, out_dir, "--strict")
    assert_refused(
        strict,
        out_dir,
        "import 'not_installed_anywhere' not found (imported by demo.cli, line 1); install it, "
        "--exclude it, or drop --strict",
    )
