"""Each bad input gets one clear line, exit status 1, no traceback and no output file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bundler.report import SILENCE_HINT
from tests.conftest import (
    assert_user_error,
    leftovers,
    pyproject,
    report_lines,
    run_bundle,
    step_lines,
    write_project,
    wrote_line,
)
from tests.helpers.pythons import find_python

SILENCE_HINT_LINE = f"bundle: {SILENCE_HINT}"
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


def assert_refused(
    result: subprocess.CompletedProcess[str],
    out_dir: Path,
    message: str,
    status: int = 2,
    resolving: str | None = None,
) -> None:
    """One ``bundle: error:`` line (after the progress line of ``resolving`` an entry
    point, if given), exit ``status`` (2: bad input), nothing on stdout and nothing written
    to ``out_dir``."""
    before = [f"bundle: resolving imports from {resolving}"] if resolving else []
    assert_user_error(result, message, status, before)
    assert result.stdout == ""
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
        "ambiguous entry point: 2 scripts in [project.scripts]: one, two; choose one with -c "
        "NAME or pass -e MODULE:FUNC",
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
        resolving="demo.missing:main",
    )


def test_entry_function_that_does_not_exist(tmp_path: Path, out_dir: Path) -> None:
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": pyproject()})
    result = build(project, out_dir, "-e", "demo.cli:start")
    assert_refused(
        result,
        out_dir,
        f"entry function 'start' is not defined in module 'demo.cli' ({project}/demo/cli.py)",
        resolving="demo.cli:start",
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
        status=1,
        resolving="demo.cli:main",
    )


def test_unknown_tool_bundle_key_is_named(tmp_path: Path, out_dir: Path) -> None:
    toml = pyproject(scripts={"demo": "demo.cli:main"}, extra="[tool.bundle]\nentrypoint = 'x'\n")
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": toml})
    assert_refused(
        build(project, out_dir),
        out_dir,
        f"{project}/pyproject.toml: unknown key 'entrypoint' in [tool.bundle] (did you mean "
        "entry?) (known keys: build-isolation, bytecode, check-skip, compile, constraints, entry, "
        "exclude, extract, extras, find-links, ignore-missing, include, inherit-path, install, "
        "installer, no-index, output, prune, python, requirements, script, shebang, sources, "
        "strict, targets, timeout, with, zip-safe)",
    )


@pytest.fixture
def good_project(tmp_path: Path) -> Path:
    toml = pyproject(scripts={"demo": "demo.cli:main"})
    return write_project(tmp_path / "p", {**CLI, "pyproject.toml": toml})


def test_output_in_missing_directory_is_created(good_project: Path, tmp_path: Path) -> None:
    output = tmp_path / "no" / "such" / "app.pyz"
    result = run_bundle("build", good_project, "-o", output, "--no-install")
    assert (result.returncode, result.stdout) == (0, f"{output}\n"), result.stderr
    assert output.is_file()


def test_output_directory_created_for_a_failed_build_is_removed(
    good_project: Path, tmp_path: Path
) -> None:
    output = tmp_path / "no" / "such" / "app.pyz"
    result = run_bundle("build", good_project, "-o", output, "--no-install", "-e", "demo.cli:x")
    message = f"entry function 'x' is not defined in module 'demo.cli' ({good_project}/demo/cli.py)"
    assert_user_error(result, message, 2, ["bundle: resolving imports from demo.cli:x"])
    assert not (tmp_path / "no").exists()


def test_output_directory_under_a_file_says_why_not(good_project: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = run_bundle("build", good_project, "-o", tmp_path / "file" / "sub" / "app.pyz")
    assert_user_error(
        result,
        f"cannot create the output directory {tmp_path}/file/sub: {tmp_path}/file is not a "
        "directory",
    )
    assert (tmp_path / "file").read_text() == ""


def test_output_that_is_a_directory(good_project: Path, out_dir: Path) -> None:
    result = run_bundle("build", good_project, "-o", out_dir)
    assert_refused(
        result,
        out_dir,
        f"output {out_dir} is a directory: give a file name such as {out_dir}/app.pyz",
        status=1,
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
    first = run_bundle("build", good_project, "-o", previous, "-q", "--no-install")
    assert (first.returncode, first.stderr) == (0, "")
    before = previous.read_bytes()
    result = run_bundle(
        "build", good_project, "-o", previous, "-e", "demo.cli:nope", "--no-install"
    )
    assert_user_error(
        result,
        f"entry function 'nope' is not defined in module 'demo.cli' ({good_project}/demo/cli.py)",
        2,
        ["bundle: resolving imports from demo.cli:nope"],
    )
    assert previous.read_bytes() == before
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
        *step_lines("demo.cli:main", out_dir / "app.pyz"),
        "bundle: warning: import 'not_installed_anywhere' not found (imported by demo.cli, line 1)",
        SILENCE_HINT_LINE,
        wrote_line(out_dir / "app.pyz", 2, 1),
    ]
    (out_dir / "app.pyz").unlink()
    strict = build(project, out_dir, "--strict")
    assert_refused(
        strict,
        out_dir,
        "import 'not_installed_anywhere' not found (imported by demo.cli, line 1); install it, "
        "--exclude it, or drop --strict",
        status=1,
        resolving="demo.cli:main",
    )


# ---------------------------------------------------------------- footguns refused


@pytest.mark.parametrize(
    ("extra", "toml"),
    [(("-e", "demo.cli:main", "--exclude", "demo"), ""), ((), "exclude = ['demo.cli']\n")],
    ids=["flag", "config"],
)
def test_excluding_the_entry_module_is_refused(
    extra: tuple[str, ...], toml: str, tmp_path: Path, out_dir: Path
) -> None:
    text = pyproject(scripts={"demo": "demo.cli:main"}, extra=f"[tool.bundle]\n{toml}")
    project = write_project(tmp_path / "p", {**CLI, "pyproject.toml": text})
    excluded = "demo" if extra else "demo.cli"
    assert_refused(
        build(project, out_dir, *extra),
        out_dir,
        f"--exclude {excluded} leaves out the entry module demo.cli, so the archive could not "
        "start: remove it from --exclude (or [tool.bundle] exclude)",
    )


@pytest.mark.parametrize("line", ["python3", "#!python3", "env python3"])
def test_relative_shebang_is_refused(line: str, good_project: Path, out_dir: Path) -> None:
    program = line.removeprefix("#!").split()[0]
    assert_refused(
        build(good_project, out_dir, "--shebang", line),
        out_dir,
        f"shebang '#!{line.removeprefix('#!')}' names '{program}', a relative path that no "
        f"shell can run: use '#!/usr/bin/env {program}' or an absolute path",
    )


def test_include_naming_no_module_is_refused(good_project: Path, out_dir: Path) -> None:
    assert_refused(
        build(good_project, out_dir, "--include", "dmeo.extra"),
        out_dir,
        "--include dmeo.extra names no module of the environment (did you mean demo?): check "
        "the spelling (it takes module names such as mypkg.tests, not paths)",
    )


def test_exclude_naming_nothing_is_refused(good_project: Path, out_dir: Path) -> None:
    assert_refused(
        build(good_project, out_dir, "--exclude", "demo/tests"),
        out_dir,
        "--exclude demo/tests names no module of the environment (did you mean demo?): check "
        "the spelling (it takes module names such as mypkg.tests, not paths)",
        resolving="demo.cli:main",
    )


def test_exclude_of_an_optional_import_that_is_not_installed_is_fine(
    tmp_path: Path, out_dir: Path
) -> None:
    files = {
        **CLI,
        "demo/cli.py": "try:\n    import uvloop_absent\nexcept ImportError:\n    pass\n"
        "def main():\n    return 0\n",
        "pyproject.toml": pyproject(scripts={"demo": "demo.cli:main"}),
    }
    project = write_project(tmp_path / "p", files)
    result = build(project, out_dir, "--exclude", "uvloop_absent")
    assert result.returncode == 0, result.stderr
    assert "uvloop_absent" not in result.stderr  # excluded: neither bundled nor reported


def test_python_version_that_is_not_installed(good_project: Path, out_dir: Path) -> None:
    assert_refused(
        build(good_project, out_dir, "--python", "3.99"),
        out_dir,
        "no Python 3.99 found (looked in pyenv, the py launcher and PATH for python3.99): "
        "install it, or pass --python with the interpreter's path",
    )


def test_python_given_as_a_version(good_project: Path, out_dir: Path) -> None:
    python = find_python("3.12")
    if python is None:
        pytest.skip("no Python 3.12 on this machine")
    result = build(good_project, out_dir, "--python", "3.12")
    assert result.returncode == 0, result.stderr
    run = subprocess.run([str(python), str(out_dir / "app.pyz")], capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_ignore_missing_silences_a_miss_and_strict_accepts_it(
    tmp_path: Path, out_dir: Path
) -> None:
    files = {
        **CLI,
        "demo/cli.py": "import win32api_absent\ndef main():\n    return 0\n",
        "pyproject.toml": pyproject(
            scripts={"demo": "demo.cli:main"}, extra="[tool.bundle]\nstrict = true\n"
        ),
    }
    project = write_project(tmp_path / "p", files)
    result = build(project, out_dir, "--ignore-missing", "win32api_absent")
    assert result.returncode == 0, result.stderr
    assert "win32api_absent" not in result.stderr
