"""The build backend and pip as the user meets them: one true line when they fail, their
warnings as -q and -v say, a timeout for a build that hangs, nothing left behind after
SIGTERM or Ctrl-C, and a project tree that cannot make them hang or leak."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import (
    assert_user_error,
    bundle_env,
    pyproject,
    report_lines,
    run_bundle,
    write_project,
)
from tests.helpers.projects import SETUPTOOLS, process_gone
from tests.helpers.wheels import write_wheel

HANGING = """\
import os, pathlib, time


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    pathlib.Path(os.environ["HANG_MARKER"]).write_text(str(os.getpid()))
    print("waiting for the frobnicator", flush=True)
    time.sleep(600)
"""


def _hanging_project(root: Path) -> Path:
    toml = (
        "[build-system]\nrequires = []\nbuild-backend = 'hang'\nbackend-path = ['.']\n\n"
        + pyproject(scripts={"demo": "demo:main"})
    )
    return write_project(root, {"pyproject.toml": toml, "hang.py": HANGING, "demo/__init__.py": ""})


# ---------------------------------------------------------------- time and signals


def test_a_backend_that_hangs_is_stopped_by_the_timeout_in_one_line(tmp_path: Path) -> None:
    project = _hanging_project(tmp_path / "proj")
    temp = tmp_path / "tmp"
    temp.mkdir()
    marker = tmp_path / "backend.pid"
    env = {"BUNDLER_TIMEOUT": "3", "TMPDIR": str(temp), "HANG_MARKER": str(marker)}
    env["BUNDLER_BUILD_CACHE"] = str(tmp_path / "cache")
    result = run_bundle("build", project, "-o", tmp_path / "app.pyz", "--no-index", env=env)
    assert result.stderr.splitlines()[-1] == (
        "bundle: error: the build backend did not finish within 3 s; if it needs longer, raise "
        "the limit with BUNDLER_TIMEOUT=SECONDS or [tool.bundle] timeout (0: no limit), "
        "otherwise -v shows where it stops"
    )
    assert "  | waiting for the frobnicator" in result.stderr.splitlines()
    assert result.returncode == 1
    assert process_gone(int(marker.read_text()))
    assert os.listdir(temp) == [] and os.listdir(tmp_path / "cache" / "tmp") == []
    assert not (tmp_path / "app.pyz").exists()


@pytest.mark.parametrize(
    ("signum", "status", "line"),
    [
        (signal.SIGTERM, 143, "bundle: error: terminated"),
        (signal.SIGINT, 130, "bundle: error: interrupted"),
    ],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_during_the_build_leaves_nothing_behind(
    tmp_path: Path, signum: int, status: int, line: str
) -> None:
    project = _hanging_project(tmp_path / "proj")
    temp = tmp_path / "tmp"
    temp.mkdir()
    marker = tmp_path / "backend.pid"
    cache = tmp_path / "cache"
    env = bundle_env(TMPDIR=str(temp), HANG_MARKER=str(marker), BUNDLER_BUILD_CACHE=str(cache))
    build = subprocess.Popen(
        [sys.executable, "-m", "bundler", "build", str(project), "-o", str(tmp_path / "a.pyz")],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert build.poll() is None and time.monotonic() < deadline, "the backend never ran"
        time.sleep(0.05)
    build.send_signal(signum)  # to bundle alone, as `kill PID` or a CI runner's timeout does
    _, err = build.communicate(timeout=60)
    assert (build.returncode, err.splitlines()[-1]) == (status, line)
    assert process_gone(int(marker.read_text()))
    assert os.listdir(temp) == []
    assert os.listdir(cache / "tmp") == []
    assert [p.name for p in (cache / "wheels").iterdir() if not p.name.endswith(".lock")] == []
    assert sorted(os.listdir(tmp_path)) == ["backend.pid", "cache", "proj", "tmp"]


# ---------------------------------------------------------------- the project's tree


@pytest.mark.parametrize("install", [True, False], ids=["staged", "no-install"])
def test_a_dangling_or_looping_link_is_one_line(tmp_path: Path, install: bool) -> None:
    project = write_project(
        tmp_path / "proj", {"pyproject.toml": pyproject(scripts={"demo": "demo:main"})}
    )
    (project / "demo").mkdir()
    (project / "demo" / "__init__.py").write_text("def main():\n    pass\n")
    mode = () if install else ("--no-install",)
    (project / "demo" / "data.json").symlink_to("../missing.json")
    dangling = run_bundle("build", project, "-o", tmp_path / "app.pyz", *mode)
    assert_user_error(
        dangling,
        "symlink demo/data.json in the project points to ../missing.json, which does not exist: "
        "remove or fix it",
        status=2,
    )
    (project / "demo" / "data.json").unlink()
    (project / "loop_a").symlink_to("loop_b")
    (project / "loop_b").symlink_to("loop_a")
    looping = run_bundle("build", project, "-o", tmp_path / "app.pyz", *mode)
    assert_user_error(
        looping,
        "symlink loop_a in the project is part of a loop of links (loop_a -> loop_b): remove or "
        "fix it",
        status=2,
    )
    assert not (tmp_path / "app.pyz").exists()


def test_a_link_to_the_project_itself_is_refused_before_the_backend_walks_it(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    files = {"pyproject.toml": SETUPTOOLS + pyproject(scripts={"demo": "demo:main"})}
    project = write_project(tmp_path / "proj", {**files, "demo/__init__.py": "def main(): pass\n"})
    (project / "self").symlink_to(".")
    result = run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline)
    assert_user_error(
        result,
        f"symlink self in the project points to a directory that contains it ({project}): "
        "remove or fix it",
        status=2,
    )


# ---------------------------------------------------------------- the right line


def _failing_build(tmp_path: Path, files: dict[str, str], offline: tuple[str, ...]) -> str:
    project = write_project(tmp_path / "proj", files)
    result = run_bundle("build", project, "-o", tmp_path / "app.pyz", "-e", "a", *offline)
    assert result.returncode == 1
    return result.stderr.splitlines()[-1]


def test_a_backend_error_shows_its_error_line_not_its_last_line(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    toml = SETUPTOOLS + pyproject()
    files = {"pyproject.toml": toml, "a/__init__.py": "", "b/__init__.py": ""}
    line = _failing_build(tmp_path, files, offline)
    # setuptools lists the packages in no fixed order
    assert line.replace("'b', 'a'", "'a', 'b'") == (
        "bundle: error: the build backend failed to build the project's wheel: error: Multiple "
        "top-level packages discovered in a flat-layout: ['a', 'b'].; fix the error above (-v "
        "shows all of the backend's output)"
    )


def test_a_syntax_error_in_setup_py_names_the_file_and_line(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    files = {"setup.py": "from setuptools import setup\nsetup(name='x',,)\n", "a.py": ""}
    assert _failing_build(tmp_path, files, offline) == (
        "bundle: error: the build backend failed to build the project's wheel: SyntaxError: "
        "invalid syntax (setup.py, line 2); fix the error above (-v shows all of the backend's "
        "output)"
    )


def test_no_wheel_for_this_python_names_the_distribution_and_its_tags(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    house = tmp_path / "wheels"
    write_wheel(
        house, "fastthing", "3.1", {"fastthing.py": ""}, tag="cp27-cp27mu-manylinux1_x86_64"
    )
    result = run_bundle(
        "build", "--with", "fastthing", "-e", "fastthing", "-o", tmp_path / "a.pyz",
        "--no-index", "--find-links", house, cwd=tmp_path,
    )  # fmt: skip
    assert result.stderr.splitlines()[-1] == (
        "bundle: error: pip could not install 'fastthing' and its dependencies: no wheel of "
        "fastthing for this Python and platform: the wheels found (3.1) are tagged "
        "cp27-cp27mu-manylinux1_x86_64; pass --python an interpreter they support, or add a "
        "wheel for this one (or its sdist) where pip looks"
    )


def test_an_unreachable_index_is_named(tmp_path: Path) -> None:
    env = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0"}  # no waiting
    result = run_bundle(
        "build", "--with", "fastthing", "-e", "fastthing", "-o", tmp_path / "a.pyz",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.stderr.splitlines()[-1] == (
        "bundle: error: pip could not reach the package index http://127.0.0.1:9/simple "
        "(Connection refused) to install 'fastthing' and its dependencies: check the network "
        "and proxy settings, or build offline with --no-index --find-links DIR"
    )


def test_backend_warnings_follow_quiet_and_verbose(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    toml = SETUPTOOLS + pyproject(scripts={"demo": "demo:main"}).replace(
        'version = "1.0"', 'version = "1.0"\nlicense = {text = "MIT"}'
    )
    files = {"pyproject.toml": toml, "demo/__init__.py": "def main(): pass\n"}
    project = write_project(tmp_path / "proj", files)
    args = ("build", project, "-o", tmp_path / "app.pyz", *offline, "--no-cache")
    quiet = run_bundle(*args, "-q")
    assert (quiet.returncode, quiet.stderr) == (0, "")
    plain = run_bundle(*args)
    assert report_lines(plain)[1] == (
        "bundle: warning: the build backend warned: `project.license` as a TOML table is "
        "deprecated (and 1 more; -v shows them)"
    )
    verbose = run_bundle(*args, "-v")
    assert "Please use a simple string containing a SPDX expression" in verbose.stderr
    assert "BuildBackendWarning" not in verbose.stderr + plain.stderr + quiet.stderr
