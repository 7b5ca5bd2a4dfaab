"""Real apps with each pattern that breaks a naive zip app, each compared with a virtualenv
of the same wheels: modules with names no import statement can spell (rich), a framework
that takes the app's root from ``__file__`` in its own code (Flask, with a real server),
data folders of stubs (mypy's typeshed), certificates handed out by path (requests and
certifi), package files read by path (pytz, docutils' include files, mkdocs' themes,
alembic's templates copied with shutil), plugins loaded by dotted strings (faker's
providers, sqlfluff's dialects and rules), plain scripts (jmespath's ``jp.py``,
docutils' ``rst2html.py``), and the Pythons an archive runs on (black)."""

from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import (
    SAMPLES,
    Runner,
    assert_app_error,
    copy_project,
    run_bundle,
    venv_with,
    write_project,
)
from tests.ecosystem.conftest import CORRECTNESS_REQUIREMENTS, ECOSYSTEM_REQUIREMENTS
from tests.ecosystem.test_apps import _app_env, _holds_in_a_row, _outcome
from tests.helpers.pythons import clean_env, find_python, python_version

pytestmark = pytest.mark.ecosystem


@dataclass(frozen=True)
class Case:
    """A command of an app that does real work, and lines its result must hold.

    ``project``: the files of a small project that uses the distribution (built with its
    own ``pyproject.toml``); otherwise the distribution is bundled with ``--with``."""

    name: str
    script: str
    args: tuple[str, ...]
    expect: str
    status: int = 0
    stdin: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    project: Mapping[str, str] = field(default_factory=dict)
    mask: str = ""  # a pattern of what differs between any two runs (a build date)
    stdout: bool = True  # False: what it prints names its working directory

    @property
    def requirement(self) -> str:
        return next(r for r in CORRECTNESS_REQUIREMENTS if r.partition("==")[0] == self.name)


def _project(name: str, code: str) -> dict[str, str]:
    """A one-module project ``<name>app`` whose script ``app`` runs ``main()`` of ``code``."""
    toml = (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}app"\nversion = "1.0"\ndependencies = ["{name}"]\n'
        f'[project.scripts]\napp = "{name}app:main"\n'
    )
    return {"pyproject.toml": toml, f"{name}app.py": code}


RICH_TABLE = """\
from rich.console import Console
from rich.table import Table


def main():
    console = Console(width=60, color_system=None, force_terminal=False)
    table = Table(title="Cities")
    table.add_column("名前")
    table.add_column("emoji")
    table.add_row("東京", "🐍🐍")
    table.add_row("Zürich", "✓")
    console.print(table)
"""

CERTIFI = """\
import certifi
import requests


def main():
    where = certifi.where()
    print(where.endswith("cacert.pem"))
    with open(where, encoding="ascii") as stream:
        print(stream.read().count("BEGIN CERTIFICATE") > 100)
    print(requests.certs.where() == where)
    print(requests.utils.DEFAULT_CA_BUNDLE_PATH == where)
"""

PYTZ = """\
from datetime import datetime

import pytz


def main():
    paris = pytz.timezone("Europe/Paris")
    print(paris.localize(datetime(2024, 7, 1, 12)).isoformat())
    print(pytz.timezone("Asia/Kolkata").localize(datetime(2024, 1, 1)).utcoffset())
    print(len(pytz.all_timezones) > 400)
"""

FAKER = """\
from faker import Faker


def main():
    Faker.seed(4321)
    fake = Faker(["it_IT", "ja_JP"])
    for _ in range(3):
        print(fake.name(), "|", fake.city(), "|", fake.date(), "|", fake.ean13())
"""

CASES = [
    Case(
        "rich",
        "app",
        (),
        "│ 東京   │ 🐍🐍  │",
        project=_project("rich", RICH_TABLE),
    ),
    Case(
        "mypy",
        "mypy",
        ("--no-incremental", "bad.py"),
        'bad.py:1: error: Incompatible types in assignment (expression has type "str", '
        'variable has type "int")  [assignment]\nFound 1 error in 1 file (checked 1 source file)',
        status=1,
        files={"bad.py": 'x: int = "a"\n'},
    ),
    Case("requests", "app", (), "True\nTrue\nTrue\nTrue", project=_project("requests", CERTIFI)),
    Case(
        "pytz",
        "app",
        (),
        "2024-07-01T12:00:00+02:00\n5:30:00\nTrue",
        project=_project("pytz", PYTZ),
    ),
    Case("faker", "app", (), "", project=_project("faker", FAKER)),
    Case(
        "alembic",
        "alembic",
        ("-q", "init", "migrations"),
        "",
        outputs=("migrations/env.py", "migrations/script.py.mako", "migrations/README"),
        stdout=False,
    ),
    Case(
        "sqlfluff",
        "sqlfluff",
        ("lint", "--dialect", "ansi", "q.sql"),
        "== [q.sql] FAIL",
        status=1,
        files={"q.sql": "SELECT a+b  FROM t\n"},
    ),
    Case(
        "mkdocs",
        "mkdocs",
        ("build", "-q"),
        "",
        files={"mkdocs.yml": "site_name: Demo\n", "docs/index.md": "# Hello\n\nSome text.\n"},
        outputs=("site/index.html",),
        mask=r"Build Date UTC : [^\n]*",
    ),
    Case(
        "jmespath",
        "jp.py",
        ("foo.bar[1]",),
        "2",
        stdin='{"foo": {"bar": [1, 2]}}',
    ),
    Case(
        "docutils",
        "rst2html.py",
        ("--no-datestamp", "in.rst"),
        "<p>© 2024</p>",
        files={"in.rst": "Title\n=====\n\n.. include:: <isonum.txt>\n\n|copy| 2024\n"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_archive_does_what_the_virtualenv_does(
    case: Case, tmp_path: Path, correctness_wheels: Path, run_app: Runner
) -> None:
    archive = tmp_path / "app.pyz"
    if case.project:
        project = write_project(tmp_path / "project", case.project)
        what: tuple[str | Path, ...] = (project,)
        installed: str = str(project)
    else:
        what = ("--with", case.requirement)
        installed = case.requirement
    built = run_bundle(
        "build", *what, "-c", case.script, "-o", archive,
        "--no-index", "--find-links", correctness_wheels, cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    scripts = venv_with(tmp_path / "venv", correctness_wheels, installed).parent
    # String hashing decides the order of sets some apps pick from (faker's cities).
    env = {**_app_env(tmp_path / "home"), "PYTHONHASHSEED": "0"}
    command = [str(scripts / "python"), str(scripts / case.script), *case.args]

    def in_venv(cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, capture_output=True, text=True, input=case.stdin, cwd=cwd, env=env
        )

    expected = _masked(
        case,
        _outcome(
            case,  # type: ignore[arg-type] # the fields _outcome reads
            tmp_path / "in-venv",
            lambda cwd: _shown(case, in_venv(cwd)),
        ),
    )
    status, *lines = expected.splitlines()
    assert status == f"exit {case.status}", expected
    assert _holds_in_a_row(lines, case.expect.splitlines()), expected
    actual = _masked(
        case,
        _outcome(
            case,  # type: ignore[arg-type]
            tmp_path / "in-archive",
            lambda cwd: _shown(
                case, run_app(archive, *case.args, stdin=case.stdin, cwd=cwd, env=env)
            ),
        ),
    )
    assert actual == expected


def _shown(
    case: Case, result: subprocess.CompletedProcess[str]
) -> subprocess.CompletedProcess[str]:
    """``result``, without its standard output when the case does not compare it."""
    return result if case.stdout else subprocess.CompletedProcess(result.args, 0, "", "")


def _masked(case: Case, outcome: str) -> str:
    return re.sub(case.mask, "<masked>", outcome) if case.mask else outcome


# -- a Flask site: the test client and a real server ----------------------------------------


@pytest.fixture(scope="module")
def flask_site(
    tmp_path_factory: pytest.TempPathFactory, correctness_wheels: Path
) -> tuple[Path, Path]:
    """The flasksite sample's archive, and the interpreter of a virtualenv that has it."""
    work = tmp_path_factory.mktemp("flasksite")
    project = copy_project(SAMPLES / "flasksite", work / "flasksite")
    archive = work / "flasksite.pyz"
    built = run_bundle(
        "build", project, "-o", archive, "--no-index", "--find-links", correctness_wheels
    )
    assert built.returncode == 0, built.stderr
    assert (
        "bundle: extracts at first import: flasksite (zip-unsafe: ships static/, templates/, "
        "which its code reads through no resource API"
    ) in built.stderr
    return archive, venv_with(work / "venv", correctness_wheels, str(project))


@pytest.mark.parametrize("path", ["/", "/notes/zip", "/static/site.css", "/missing"])
def test_flask_pages_through_the_test_client(
    path: str, flask_site: tuple[Path, Path], run_app: Runner
) -> None:
    archive, python = flask_site
    expected = subprocess.run(
        [str(python.parent / "flasksite"), "get", path],
        capture_output=True, text=True, env=clean_env(), timeout=120,
    )  # fmt: skip
    actual = run_app(archive, "get", path)
    assert (actual.returncode, actual.stdout) == (expected.returncode, expected.stdout)
    if path == "/":
        assert '<link rel="stylesheet" href="/static/site.css">' in actual.stdout


def test_flask_pages_from_a_real_server(flask_site: tuple[Path, Path], clean_python: Path) -> None:
    archive, python = flask_site
    pages = {}
    for name, command in {
        "venv": [str(python.parent / "flasksite")],
        "archive": [str(clean_python), str(archive)],
    }.items():
        port = _free_port()
        server = subprocess.Popen(
            [*command, "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env(),
        )  # fmt: skip
        try:
            pages[name] = [_fetch(port, path) for path in ("/", "/notes/wheel", "/static/site.css")]
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert pages["archive"] == pages["venv"]
    assert pages["archive"][0][0] == 200 and b"<h1>Notes</h1>" in pages["archive"][0][1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _fetch(port: int, path: str) -> tuple[int, bytes]:
    """Status and body of ``path``, waiting (20 s at most) for the server to listen."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
                return reply.status, reply.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# -- black: the Pythons an archive runs on ---------------------------------------------------


@pytest.fixture(scope="module")
def black_archive(tmp_path_factory: pytest.TempPathFactory, ecosystem_wheels: Path) -> Path:
    archive = tmp_path_factory.mktemp("black") / "black.pyz"
    requirement = next(r for r in ECOSYSTEM_REQUIREMENTS if r.startswith("black=="))
    built = run_bundle(
        "build", "--with", requirement, "-c", "black", "-o", archive,
        "--no-index", "--find-links", ecosystem_wheels, cwd=archive.parent,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    return archive


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_black_falls_back_to_pure_python_that_finds_its_grammar(
    minor: str, black_archive: Path, run_app: Runner
) -> None:
    """Its mypyc modules cannot load there; their twins read Grammar.txt by path."""
    python = find_python(minor)
    if python is None:
        pytest.skip(f"no Python {minor} on this machine")
    result = run_app(black_archive, "-q", "-", stdin="x = {  'a':37}\n", python=python)
    assert (result.returncode, result.stdout, result.stderr) == (0, 'x = {"a": 37}\n', "")


def test_black_on_an_older_python_is_one_line(black_archive: Path, run_app: Runner) -> None:
    python = find_python("3.10")
    if python is None:
        pytest.skip("no Python 3.10 on this machine")
    result = run_app(black_archive, "--version", python=python)
    assert_app_error(
        result,
        black_archive,
        f"black cannot run on Python {python_version(python)} ({python}): platformdirs 4.14.9 "
        "requires Python >=3.11; it runs on Python >=3.11",
    )
