"""``./app.pyz``: the /bin/sh header picks a Python and starts the app without runpy.

Whatever way it is started, the app must see what ``python /absolute/path/app.pyz`` shows
it (the compat sample's probes, and a small app that prints its ``sys.argv``, ``sys.path``
and ``__main__``), and the archive must stay a zip that ``python app.pyz`` runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import pyproject, run_bundle, write_project
from tests.helpers.compat_sample import (
    BUILD_MINOR,
    app_env,
    clean_venv_python,
    compat_archives,
    probe_output,
    run_archive,
)
from tests.helpers.pythons import SUPPORTED, find_python
from tests.helpers.shared import shared_directory

PROBES = (
    "import_modules_and_packages",
    "module_attributes",
    "resources_files",
    "metadata_files",
    "traceback_source_lines",
    "multiprocessing_spawn",
    "subprocess_rerun",
)

# Prints what the app sees of how it was started, as JSON.
_VIEW = """\
import json, site, sys

def main():
    if sys.argv[1:2] == ["exit"]:
        exit(int(sys.argv[2]))
    main = sys.modules["__main__"]
    print(json.dumps({
        "argv": sys.argv,
        "path0": sys.path[0],
        "path": sys.path,
        "site_dirs": [p for p in sys.path if "site-packages" in p],
        "main_file": main.__file__,
        "main_spec": main.__spec__,
        "main_package": main.__package__,
        "main_cached": main.__cached__,
        "main_names": sorted(n for n in vars(main) if not n.startswith("__")),
        "builtins": [type(b).__name__ for b in (exit, quit, help, copyright, credits, license)],
        "version": list(sys.version_info[:2]),
        "user_site": site.ENABLE_USER_SITE,
    }))
"""


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_directory(tmp_path_factory, "compat-sample")


@pytest.fixture(scope="module")
def python(shared: Path) -> Path:
    return clean_venv_python(shared, BUILD_MINOR)


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory, python: Path) -> Path:
    """The small app's archive, built for the clean virtualenv's Python."""
    root = tmp_path_factory.mktemp("view")
    return build_view(root, root / "viewapp.pyz", python)


def build_view(root: Path, output: Path, python: Path, *options: str) -> Path:
    project = write_project(
        root / "viewapp",
        {
            "pyproject.toml": pyproject("viewapp", scripts={"viewapp": "viewapp:main"}),
            "viewapp/__init__.py": _VIEW,
        },
    )
    args = ("-o", output, "-q", "--no-install", "--python", python, *options)
    result = run_bundle("build", project, *args)
    assert result.returncode == 0, result.stderr
    return output


@pytest.fixture
def env(tmp_path: Path, python: Path) -> dict[str, str]:
    """The app's environment, the clean virtualenv's bin directory first on PATH."""
    return app_env(tmp_path / "cache", PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}")


def run(
    command: list[str | Path], env: dict[str, str], **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        **kwargs,
    )


def seen(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_header_is_sh_and_names_the_build_python_first(view: Path) -> None:
    lines = view.read_bytes().split(b"\n")
    assert lines[0] == b"#!/bin/sh"
    loop = next(line for line in lines if line.strip().startswith(b"for candidate in "))
    minor = f"python{BUILD_MINOR}".encode()
    assert loop.split()[3] == minor
    assert loop.split()[-3:] == [b"python3", b"python;", b"do"]


def test_program_sees_what_python_archive_shows(
    shared: Path, python: Path, env: dict[str, str]
) -> None:
    archive = compat_archives(shared).console
    expected = probe_output(run_archive(python, archive, "probe", *PROBES, env=env))
    assert probe_output(run([archive, "probe", *PROBES], env)) == expected


def test_a_crash_shows_the_same_traceback(shared: Path, python: Path, env: dict[str, str]) -> None:
    archive = compat_archives(shared).console
    through_python = run([python, archive, "crash"], env)
    direct = run([archive, "crash"], env)
    assert through_python.returncode != 0
    assert (direct.returncode, direct.stderr) == (through_python.returncode, through_python.stderr)


@pytest.mark.parametrize("args", [["a", "b c", "", "$HOME", "'q'", '"d"', "-S", "--"]])
def test_arguments_and_main_module_as_python_archive_makes_them(
    view: Path, python: Path, env: dict[str, str], args: list[str]
) -> None:
    expected = seen(run([python, view, *args], env))
    got = seen(run([view, *args], env))
    assert got == expected
    assert got["argv"] == [str(view), *args]
    assert got["path0"] == str(view)
    assert got["site_dirs"] == []
    # As in a virtualenv's console script, which reloaders read (see test_correctness).
    assert (got["main_spec"], got["main_package"]) == (None, None)
    assert not {"p", "c", "z"} & set(got["main_names"])  # the loader's names are gone
    assert got["builtins"] == ["Quitter", "Quitter", "_Helper", "_Printer", "_Printer", "_Printer"]


def test_relative_path_symlink_and_spaces(
    view: Path, python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    directory = tmp_path / "my apps ü"
    directory.mkdir()
    copy = Path(shutil.copy2(view, directory / "view app.pyz"))
    expected = seen(run([python, copy, "x"], env))
    assert seen(run([copy, "x"], env)) == expected
    # Python makes the path absolute by joining it to the working directory, "./" and all.
    relative = [f"./{copy.name}", "x"]
    expected = seen(run([python, *relative], env, cwd=directory))
    assert seen(run(relative, env, cwd=directory)) == expected
    assert expected["path0"] == f"{directory}/./{copy.name}"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "viewapp").symlink_to(copy)
    on_path = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}
    linked = seen(run(["viewapp", "x"], on_path))
    assert linked["argv"] == [str(bin_dir / "viewapp"), "x"]
    assert linked["path0"] == str(bin_dir / "viewapp")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="PYTHONSAFEPATH is new in 3.11")
def test_safe_path_still_puts_the_archive_first(
    view: Path, python: Path, env: dict[str, str]
) -> None:
    env["PYTHONSAFEPATH"] = "1"
    expected = seen(run([python, view], env))
    assert seen(run([view], env)) == expected
    assert expected["path0"] == str(view)


def test_pythonpath_is_honoured(
    view: Path, python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    env["PYTHONPATH"] = str(tmp_path)
    expected = seen(run([python, view], env))
    assert str(tmp_path) in expected["path"]
    assert seen(run([view], env)) == expected


def test_inherit_path_keeps_site(python: Path, env: dict[str, str], tmp_path: Path) -> None:
    output = build_view(tmp_path, tmp_path / "inherit.pyz", python, "--inherit-path")
    assert b" -S " not in output.read_bytes().split(b"exec ", 1)[1].split(b"\n", 1)[0]
    expected = seen(run([python, output], env))
    assert expected["site_dirs"] != []  # the clean virtualenv's own site-packages
    assert seen(run([output], env)) == expected


def test_exit_builtin_and_status(view: Path, env: dict[str, str]) -> None:
    assert run([view, "exit", "3"], env).returncode == 3


def test_clean_environment(view: Path, python: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / f"python{BUILD_MINOR}").symlink_to(python)
    result = run([view, "x"], {"PATH": str(bin_dir)})
    assert seen(result)["argv"] == [str(view), "x"]


def test_a_version_managers_shim_that_cannot_run_is_passed_over(
    view: Path, python: Path, tmp_path: Path
) -> None:
    # pyenv puts a shim on PATH for every version installed; one not selected fails.
    shims, bin_dir = tmp_path / ".pyenv" / "shims", tmp_path / "bin"
    shims.mkdir(parents=True)
    bin_dir.mkdir()
    for name in _candidates(view)[:-2]:  # python3.X, not python3 and python
        shim = shims / name
        shim.write_text(f"#!/bin/sh\necho 'pyenv: {name}: command not found' >&2\nexit 127\n")
        shim.chmod(0o755)
    (bin_dir / "python3").symlink_to(python)
    result = run([view, "x"], {"PATH": f"{shims}{os.pathsep}{bin_dir}"})
    assert seen(result)["argv"] == [str(view), "x"]


def test_a_working_shim_is_asked_once_and_a_python_before_the_shims_never(
    view: Path, python: Path, tmp_path: Path
) -> None:
    shims, bin_dir, calls = tmp_path / "shims", tmp_path / "bin", tmp_path / "calls"
    shims.mkdir()
    bin_dir.mkdir()
    name = _candidates(view)[0]
    shim = shims / name
    shim.write_text(f'#!/bin/sh\necho x >> {calls}\nexec {python} "$@"\n')
    shim.chmod(0o755)
    assert seen(run([view, "x"], {"PATH": f"{shims}{os.pathsep}{bin_dir}"}))["argv"][1:] == ["x"]
    assert calls.read_text() == "x\n"  # asked for its interpreter, which then ran the app
    (bin_dir / name).symlink_to(python)
    assert seen(run([view, "y"], {"PATH": f"{bin_dir}{os.pathsep}{shims}"}))["argv"][1:] == ["y"]
    assert calls.read_text() == "x\n"


def test_no_python_on_path_is_one_line(view: Path, tmp_path: Path) -> None:
    result = run([view], {"PATH": str(tmp_path)})
    tried = ", ".join(_candidates(view))
    assert (result.returncode, result.stdout) == (127, "")
    assert result.stderr == (
        f"viewapp.pyz: error: no Python on PATH (tried {tried}); "
        "install Python 3.9+ or set BUNDLER_PYTHON to one\n"
    )


def test_bundler_python_that_is_not_a_program_is_one_line(
    view: Path, env: dict[str, str], tmp_path: Path
) -> None:
    env["BUNDLER_PYTHON"] = str(tmp_path / "no such python")
    result = run([view], env)
    assert (result.returncode, result.stdout) == (127, "")
    assert result.stderr == (
        f"viewapp.pyz: error: BUNDLER_PYTHON={tmp_path / 'no such python'} is not a program "
        "that can be run; set it to a Python 3.9+\n"
    )


def test_truncated_archive_is_one_line(view: Path, env: dict[str, str], tmp_path: Path) -> None:
    data = view.read_bytes()
    truncated = tmp_path / "truncated.pyz"
    truncated.write_bytes(data[: len(data) // 2])
    truncated.chmod(0o755)
    result = run([truncated], env)
    assert (result.returncode, result.stdout) == (1, "")
    assert (
        result.stderr == f"{truncated}: error: not a complete archive; rebuild or re-download it\n"
    )


@pytest.mark.pythons
@pytest.mark.parametrize("minor", SUPPORTED)
def test_every_python_both_ways(
    shared: Path, view: Path, env: dict[str, str], tmp_path: Path, minor: str
) -> None:
    if find_python(minor) is None:
        pytest.skip(f"no Python {minor} here")
    python = clean_venv_python(shared, minor)
    env["BUNDLER_PYTHON"] = str(python)
    expected = seen(run([python, view, "y"], env))
    assert expected["version"] == [3, int(minor.split(".")[1])]
    assert seen(run([view, "y"], env)) == expected
    # The second start reads what the first compiled: still the same.
    assert seen(run([view, "y"], env)) == expected


def test_shebang_option_writes_the_classic_line(
    python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    output = build_view(
        tmp_path, tmp_path / "classic.pyz", python, "--shebang", "/usr/bin/env python3"
    )
    assert output.read_bytes().split(b"\n")[0] == b"#!/usr/bin/env python3"
    assert seen(run([output, "z"], env))["argv"] == [str(output), "z"]


def _candidates(archive: Path) -> list[str]:
    lines = archive.read_bytes().split(b"\n")
    loop = next(line for line in lines if line.strip().startswith(b"for candidate in "))
    return [word.decode().rstrip(";") for word in loop.split()[3:-1]]
