"""``bundle check``: every module of an archive imported from it on each Python, the app run
under the audit hook; clean archives pass, archives broken on purpose fail with one line
per problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO, SAMPLES, copy_project, pyproject, run_bundle, write_project
from tests.helpers.pythons import find_pythons, python_version

RUNNING = ".".join(map(str, sys.version_info[:3]))
BROKEN = {
    "brokenapp/__init__.py": "",
    "brokenapp/cli.py": (
        "import sys\n\n\ndef main():\n    if sys.argv[1:] == ['table']:\n"
        "        from brokenapp import table\n        print(table.ROWS)\n    return 0\n"
    ),
    # Reads a file next to its own __file__: zip-unsafe, which --zip-safe overrides.
    "brokenapp/table.py": (
        "import os\n\nHERE = os.path.dirname(__file__)\n"
        "with open(os.path.join(HERE, 'rows.txt')) as stream:\n    ROWS = stream.read().split()\n"
    ),
    "brokenapp/rows.txt": "a b c\n",
    # Imports a distribution that is installed nowhere.
    "brokenapp/exporter.py": "import notinstalled_dist\n\n\ndef export():\n    return 1\n",
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """brokenapp, built against this interpreter with its table forced ``zip-safe``."""
    where = tmp_path_factory.mktemp("broken")
    files = {
        **BROKEN,
        "pyproject.toml": pyproject("brokenapp", scripts={"b": "brokenapp.cli:main"}),
    }
    project = write_project(where / "brokenapp", files)
    archive = where / "broken.pyz"
    result = run_bundle(
        "build",
        project,
        "-o",
        archive,
        "--no-install",
        "--zip-safe",
        "brokenapp",
        "--include",
        "brokenapp.exporter",
    )
    assert result.returncode == 0, result.stderr
    return archive


def _check(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_bundle("check", *args)


def test_a_clean_archive_passes_on_every_python(tmp_path: Path, offline: tuple[str, ...]) -> None:
    """wordstats on every CPython found (its requires-python allows them all), its Python 2
    test module skipped by check-skip, which the archive carries."""
    project = copy_project(SAMPLES / "wordstats", tmp_path / "wordstats")
    with (project / "pyproject.toml").open("a") as config:
        config.write('\n[tool.bundle]\ncheck-skip = ["legacy_extras.tests"]\n')
    archive = tmp_path / "ws.pyz"
    assert run_bundle("build", project, "-o", archive, *offline).returncode == 0
    result = _check(archive, "--", "--plain")
    assert result.returncode == 0, result.stdout + result.stderr
    pythons = sorted(
        find_pythons().values(), key=lambda p: [int(x) for x in python_version(p).split(".")]
    )
    lines = result.stdout.splitlines()
    versions = [line.split()[1] for line in lines if "modules imported" in line]
    assert versions == [python_version(p) for p in pythons] or versions == [RUNNING]
    assert all(line.endswith(": 18 of 18 modules imported") for line in lines[: len(versions)])
    assert lines[len(versions) :] == [
        "skipped: legacy_extras.tests: named by check-skip or --skip",
        "skipped: legacy_extras.tests.py2_only: named by check-skip or --skip",
        "no problems",
    ]


def test_without_check_skip_the_python2_module_is_the_one_problem(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    project = copy_project(SAMPLES / "wordstats", tmp_path / "wordstats")
    archive = tmp_path / "ws.pyz"
    assert run_bundle("build", project, "-o", archive, *offline).returncode == 0
    result = _check(archive, "--python", sys.executable)
    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == [
        "problem: legacy_extras.tests.py2_only: SyntaxError: Missing parentheses in call to "
        "'print'. Did you mean print(...)? (at legacy_extras/tests/py2_only.py:7) "
        "(on every Python checked)",
        "1 problem",
    ]


def test_a_missing_distribution_and_a_file_read_next_to_file_fail(broken: Path) -> None:
    result = _check(broken, "--python", sys.executable)
    assert result.returncode == 1
    rows = broken / "brokenapp" / "rows.txt"
    assert result.stdout.splitlines() == [
        f"Python {RUNNING} ({sys.executable}): 2 of 4 modules imported",
        "problem: brokenapp.exporter: ModuleNotFoundError: No module named 'notinstalled_dist'; "
        "'notinstalled_dist' is not in the archive (at brokenapp/exporter.py:1) "
        "(on every Python checked)",
        f"problem: brokenapp.table: NotADirectoryError: [Errno 20] Not a directory: '{rows}' "
        "(at brokenapp/table.py:4) (on every Python checked)",
        "2 problems",
    ]
    assert (
        result.stderr == f"bundle: importing 4 modules with Python {RUNNING} ({sys.executable})\n"
    )


def test_the_audit_hook_names_the_file_operation_inside_the_archive(broken: Path) -> None:
    result = _check(broken, "--python", sys.executable, "--skip", "brokenapp", "--", "table")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[-3:] == [
        f"problem: <app>: exited with status 1: NotADirectoryError: [Errno 20] Not a directory: "
        f"'{broken / 'brokenapp' / 'rows.txt'}' (on every Python checked)",
        "problem: brokenapp.table: open of brokenapp/rows.txt inside the archive's path: a "
        "zip-unsafe use the build missed (extract it with --extract, or read it through "
        "importlib.resources) (at brokenapp/table.py:4) (on every Python checked)",
        "2 problems",
    ]


def test_check_json_follows_its_schema(broken: Path) -> None:
    result = _check(broken, "--python", sys.executable, "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    jsonschema.validate(document, json.loads((REPO / "docs/schema/check-1.json").read_text()))
    assert (document["ok"], document["problems"], document["modules"]) == (False, 2, 4)
    assert [(f["module"], f["kind"], f["file"], f["line"]) for f in document["findings"]] == [
        ("brokenapp.exporter", "failure", "brokenapp/exporter.py", 1),
        ("brokenapp.table", "failure", "brokenapp/table.py", 4),
    ]


def test_an_interpreter_that_does_not_run_is_one_line(broken: Path, tmp_path: Path) -> None:
    result = _check(broken, "--python", str(tmp_path / "nopython"))
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"bundle: error: cannot run the interpreter '{tmp_path / 'nopython'}'"
    )
    assert len(result.stderr.splitlines()) == 1
