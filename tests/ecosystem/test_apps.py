"""Each published CLI, bundled with ``--with APP -c SCRIPT``, passes ``bundle check`` on every
Python it supports, and does the same real work from the archive (in an interpreter without
the app) as from a fresh virtualenv with the same wheels."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import Runner, run_bundle, venv_with, write_project
from tests.ecosystem.conftest import ECOSYSTEM_REQUIREMENTS
from tests.helpers.pythons import clean_env

pytestmark = pytest.mark.ecosystem


@dataclass(frozen=True)
class App:
    """A smoke command that does real work, and lines its result must hold."""

    name: str
    script: str
    args: tuple[str, ...]
    expect: str  # whole lines, in a row, of what it prints (and of the files it writes)
    status: int = 0
    stdin: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)  # written before the run
    outputs: tuple[str, ...] = ()  # files the run writes, compared too

    @property
    def requirement(self) -> str:
        return next(r for r in ECOSYSTEM_REQUIREMENTS if r.partition("==")[0] == self.name)


FLAKY_CODE = """\
import os
x=1
def check(value):
    if value:
        return undefined_name
    return value
"""

TEMPLATE = {
    "template/cookiecutter.json": '{"project_slug": "demo", "greeting": "hi"}\n',
    "template/{{cookiecutter.project_slug}}/README.md": (
        "{{ cookiecutter.greeting }} from {{ cookiecutter.project_slug | upper }}\n"
    ),
}

APPS = [
    App(
        "black",
        "black",
        ("-q", "-"),
        'x = {"a": 37, "b": 42, "c": 927}\n\n\ndef f(\n    a,\n):\n    return a',
        stdin="x = {  'a':37,'b':42,\n'c':927}\ndef f(a,):\n  return a\n",
    ),
    App(
        "flake8",
        "flake8",
        ("--max-complexity", "1", "bad.py"),
        "bad.py:5:16: F821 undefined name 'undefined_name'",
        status=1,
        files={"bad.py": FLAKY_CODE},
    ),
    App(
        "isort",
        "isort",
        ("-",),
        "import os\nimport sys\n\nimport a\nfrom b import x",
        stdin="import sys\nimport os\nfrom b import x\nimport a\n",
    ),
    App(
        "pygments",
        "pygmentize",
        ("-l", "python", "-f", "html"),
        '    <span class="k">return</span> <span class="n">x</span> <span class="o">+</span> '
        '<span class="mi">1</span>',
        stdin="def f(x):\n    return x + 1\n",
    ),
    App(
        "httpie",
        "http",
        ("--offline", "--ignore-stdin", "POST", "example.org/api", "name=value", "n:=1"),
        '{"name": "value", "n": 1}',
    ),
    App(
        "docutils",
        "rst2html5",
        ("--no-datestamp", "in.rst"),
        '<h1 class="title">Title</h1>\n\n<p>Some <em>emphasis</em>, a list:</p>',
        files={"in.rst": "=====\nTitle\n=====\n\nSome *emphasis*, a list:\n\n- one\n- two\n"},
    ),
    App(
        "sqlparse",
        "sqlformat",
        ("-r", "-k", "upper", "-"),
        "SELECT a,\n       b\nFROM t\nWHERE x=1\n  AND y=2",
        stdin="select a, b from t where x=1 and y=2",
    ),
    App(
        "markdown",
        "markdown_py",
        ("-x", "tables"),
        "<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>",
        stdin="# Hi\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    ),
    App(
        "cookiecutter",
        "cookiecutter",
        ("--no-input", "-o", "out", "template", "greeting=hello"),
        "--- out/demo/README.md\nhello from DEMO",
        files=TEMPLATE,
        outputs=("out/demo/README.md",),
    ),
    App(
        "yamllint",
        "yamllint",
        ("-f", "parsable", "doc.yaml"),
        'doc.yaml:1:1: [warning] missing document start "---" (document-start)',
        status=1,
        files={"doc.yaml": "key: value\nlist: [1,2]\nkey: again\n"},
    ),
]


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.name)
def test_archive_does_what_the_virtualenv_does(
    app: App, tmp_path: Path, ecosystem_wheels: Path, run_app: Runner
) -> None:
    archive = tmp_path / f"{app.script}.pyz"
    built = run_bundle(
        "build",
        "--with",
        app.requirement,
        "-c",
        app.script,
        "-o",
        archive,
        "--no-index",
        "--find-links",
        ecosystem_wheels,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    # Every module imports from the archive on every Python found that the app supports.
    checked = run_bundle("check", archive, "-q")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.endswith("\nno problems\n")
    scripts = venv_with(tmp_path / "venv", ecosystem_wheels, app.requirement).parent

    env = _app_env(tmp_path / "home")
    expected = _outcome(
        app,
        tmp_path / "in-venv",
        lambda cwd: subprocess.run(
            [str(scripts / app.script), *app.args],
            capture_output=True,
            text=True,
            input=app.stdin,
            cwd=cwd,
            env=env,
            timeout=300,
        ),
    )
    # The reference really did the work.
    status, *lines = expected.splitlines()
    assert status == f"exit {app.status}", expected
    assert _holds_in_a_row(lines, app.expect.splitlines()), expected
    actual = _outcome(
        app,
        tmp_path / "in-archive",
        lambda cwd: run_app(archive, *app.args, stdin=app.stdin, cwd=cwd, env=env),
    )
    assert actual == expected


def _outcome(
    app: App, workdir: Path, run: Callable[[Path], subprocess.CompletedProcess[str]]
) -> str:
    """Exit status, stdout and the files the run wrote, as one text to compare."""
    workdir.mkdir()
    write_project(workdir, app.files)
    result = run(workdir)
    written = "".join(f"\n--- {name}\n{_read(workdir / name)}" for name in app.outputs)
    if result.returncode != 0 and not result.stdout:
        return f"exit {result.returncode}\nstderr:\n{result.stderr}"
    return f"exit {result.returncode}\n{result.stdout}{written}"


def _holds_in_a_row(lines: list[str], run: list[str]) -> bool:
    """Whether ``run`` stands in ``lines``, whole lines one after the other."""
    return any(lines[i : i + len(run)] == run for i in range(len(lines) - len(run) + 1))


def _read(path: Path) -> str:
    return path.read_text() if path.is_file() else "(not written)"


def _app_env(home: Path) -> dict[str, str]:
    """The same quiet, private surroundings for both runs: own home, no colours, no pager."""
    home.mkdir(exist_ok=True)
    return clean_env(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        NO_COLOR="1",
        TERM="dumb",
        COLUMNS="100",
        PAGER="cat",
    )
