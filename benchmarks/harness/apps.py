"""The applications benchmarked, their smoke commands and the inputs those commands read.

A smoke command does real work (highlights, formats, renders, counts), reads its input from
a file (so hyperfine can run it without a shell) and must print the same output from every
variant. The PyPI apps are pinned to pure-Python releases, so start-up is compared on equal
terms, except ``numpy``: the one app with native code (extraction on first start).
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

from harness.common import REPO


@dataclass(frozen=True)
class App:
    """One benchmarked application."""

    name: str
    script: str
    """Console script that runs it (installed in the venv; the archives' entry point)."""
    args: tuple[str, ...]
    """Smoke command arguments; ``{inputs}`` is replaced by the app's input directory."""
    requirements: tuple[str, ...] = ()
    """Pinned PyPI requirements (empty for a sample project)."""
    project: str | None = None
    """Directory name under ``sample_projects/`` (None for a PyPI app)."""
    setup: tuple[tuple[str, ...], ...] = ()
    """Commands run once with the venv's script before timing (to prepare state)."""

    @property
    def project_dir(self) -> Path | None:
        """The sample project's source directory in this checkout."""
        return REPO / "sample_projects" / self.project if self.project else None

    def argv(self, inputs: Path) -> list[str]:
        """The smoke command's arguments for input directory `inputs`."""
        return [arg.replace("{inputs}", str(inputs)) for arg in self.args]

    def setup_argv(self, inputs: Path) -> list[list[str]]:
        """The set-up commands' arguments for input directory `inputs`."""
        return [[a.replace("{inputs}", str(inputs)) for a in cmd] for cmd in self.setup]


def _note(title: str, *extra: str) -> tuple[str, ...]:
    return ("--store", "{inputs}/notes.json", "add", title, *extra)


APPS: dict[str, App] = {
    app.name: app
    for app in (
        App(
            "notekeeper",
            "notekeeper",
            ("--store", "{inputs}/notes.json", "list"),
            project="notekeeper",
            setup=(
                _note("Buy milk", "--body", "Two litres.", "--tag", "home", "--tag", "errands"),
                _note("Call the plumber", "--tag", "home"),
                _note("Read the zipimport source", "--tag", "work"),
                _note("Book the dentist", "--body", "Any Tuesday."),
                _note("Water the plants", "--tag", "home"),
            ),
        ),
        App("wordstats", "wordstats", ("--plain", "{inputs}/text.txt"), project="wordstats"),
        App("srctool", "srctool", ("info",), project="srclayout"),
        App(
            "pygments",
            "pygmentize",
            ("-l", "python", "-f", "terminal", "{inputs}/sample.py"),
            requirements=("pygments==2.21.0",),
        ),
        App(
            "sqlparse",
            "sqlformat",
            ("-r", "-k", "upper", "{inputs}/query.sql"),
            requirements=("sqlparse==0.6.1",),
        ),
        App(
            "markdown",
            "markdown_py",
            ("-x", "extra", "{inputs}/doc.md"),
            requirements=("markdown==3.11.3",),
        ),
        App(
            "isort",
            "isort",
            ("--diff", "--settings-path", "{inputs}", "{inputs}/messy.py"),
            # 6.0.1 is the newest pure-Python isort: 9.x ships mypyc-compiled wheels.
            requirements=("isort==6.0.1",),
        ),
        App(
            # A small numpy app (the row "with native code" of issue 14): the console
            # script imports numpy whole, then prints its version.
            "numpy",
            "numpy-config",
            ("--version",),
            requirements=("numpy==2.2.6",),
        ),
        App(
            "docutils",
            "docutils",
            ("{inputs}/doc.rst",),
            requirements=("docutils==0.22.2",),
        ),
    )
}

DEFAULT_APPS = (
    "notekeeper",
    "wordstats",
    "srctool",
    "pygments",
    "sqlparse",
    "markdown",
    "isort",
    "numpy",
)
QUICK_APPS = ("notekeeper", "sqlparse")


_WORDS = (
    "archive", "bytecode", "cache", "index", "module", "import", "package", "runtime", "start",
    "zip", "python", "wheel", "build", "shiv", "pex", "venv", "fast", "slow", "median",
    "ratio", "machine", "the", "a", "of", "and", "to", "in",
)  # fmt: skip


def write_inputs(dest: Path) -> Path:
    """Write every smoke command's input file into `dest` (deterministic content)."""
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261125)
    words = _WORDS
    paragraphs = [
        " ".join(rng.choice(words) for _ in range(rng.randint(40, 90))).capitalize() + "."
        for _ in range(60)
    ]
    (dest / "text.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    (dest / "sample.py").write_text(_python_sample(), encoding="utf-8")
    (dest / "query.sql").write_text(_sql_sample(rng), encoding="utf-8")
    (dest / "doc.md").write_text(_markdown_sample(paragraphs), encoding="utf-8")
    (dest / "doc.rst").write_text(_rst_sample(paragraphs), encoding="utf-8")
    (dest / "messy.py").write_text(_messy_imports(), encoding="utf-8")
    (dest / ".isort.cfg").write_text("[settings]\nprofile = black\n", encoding="utf-8")
    return dest


def _python_sample() -> str:
    block = textwrap.dedent(
        '''
        class Shape{n}:
            """A shape with {n} sides, drawn from an archive."""

            sides: int = {n}

            def __init__(self, size: float = 1.0) -> None:
                self.size = size
                self.name = f"shape-{{self.sides}}"

            def perimeter(self) -> float:
                return self.sides * self.size  # every side the same

            def describe(self, verbose=False):
                if verbose:
                    return "%s of size %.2f" % (self.name, self.size)
                return {{"name": self.name, "sides": [i for i in range(self.sides)]}}
        '''
    )
    header = '"""Shapes: a sample for the highlighter."""\n\nimport math\nfrom os import path\n'
    return header + "".join(block.format(n=n) for n in range(3, 15))


def _sql_sample(rng: random.Random) -> str:
    tables = ["users", "orders", "items", "payments", "shipments"]
    statements = []
    for i in range(40):
        left, right = rng.sample(tables, 2)
        statements.append(
            f"select {left}.id, {right}.total, count(*) as n from {left} join {right} on "
            f"{left}.id = {right}.{left[:-1]}_id where {right}.total > {i * 10} and "
            f"{left}.name like 'a%' group by {left}.id, {right}.total order by n desc limit {i};"
        )
    statements.append("insert into users (id, name) values (1, 'ann'), (2, 'bob');")
    statements.append("update orders set total = total * 1.1 where id in (select id from items);")
    return "\n".join(statements) + "\n"


def _markdown_sample(paragraphs: list[str]) -> str:
    parts = ["# Benchmark document", ""]
    for i, text in enumerate(paragraphs[:30]):
        parts += [f"## Section {i}", "", text, ""]
        parts += [f"- item *{i}* with `code`", f"- item **{i + 1}** [link](https://x/{i})", ""]
        if i % 5 == 0:
            parts += ["| a | b |", "|---|---|", f"| {i} | {i * i} |", ""]
            parts += ["```python", f"print({i})", "```", ""]
            parts += [f"Term {i}", f":   Definition {i}[^{i}]", "", f"[^{i}]: Footnote {i}.", ""]
    return "\n".join(parts)


def _rst_sample(paragraphs: list[str]) -> str:
    parts = ["Benchmark document", "==================", ""]
    for i, text in enumerate(paragraphs[:30]):
        title = f"Section {i}"
        parts += [title, "-" * len(title), "", text, ""]
        parts += [f"* item *{i}* with ``code``", f"* item **{i + 1}**", ""]
        if i % 5 == 0:
            parts += [".. code-block:: text", "", f"   print({i})", ""]
    return "\n".join(parts)


def _messy_imports() -> str:
    return (
        "import sys, os\n"
        "from collections import OrderedDict, defaultdict\n"
        "import json\n"
        "from typing import List,Dict\n"
        "import zipfile\n"
        "from os.path import join, exists, abspath\n"
        "import re\n"
        "import argparse\n\n\n"
        "def main(argv: List[str]) -> Dict[str, int]:\n"
        "    return {'n': len(argv)}\n"
    )
