"""``bundle check``'s report: one line per problem, what is listed apart, --json; exit 1
with a problem."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from bundler.check.command import run_check
from tests.check.fakes import fake_archive

RUNNING = ".".join(map(str, sys.version_info[:3]))


def test_clean_is_exit_0_and_a_problem_exit_1(tmp_path: Path) -> None:
    clean = fake_archive(tmp_path / "clean.pyz", {"alpha": ""})
    out = io.StringIO()
    assert run_check(clean, out, pythons=[sys.executable]) == 0
    assert out.getvalue() == (
        f"Python {RUNNING} ({sys.executable}): 1 of 1 modules imported\nno problems\n"
    )
    broken = fake_archive(tmp_path / "broken.pyz", {"alpha": "", "beta": "1/0\n"})
    out = io.StringIO()
    assert run_check(broken, out, pythons=[sys.executable, sys.executable], skip=["alpha"]) == 1
    assert out.getvalue().splitlines()[2:] == [
        "skipped: alpha: named by check-skip or --skip",
        "problem: beta: ZeroDivisionError: division by zero (at beta.py:1) "
        "(on every Python checked)",
        "1 problem",
    ]


def test_json_lists_findings_with_their_pythons(tmp_path: Path) -> None:
    broken = fake_archive(tmp_path / "broken.pyz", {"beta": "1/0\n"})
    out = io.StringIO()
    said: list[str] = []
    assert run_check(broken, out, pythons=[sys.executable], as_json=True, progress=said.append) == 1
    document = json.loads(out.getvalue())
    assert (document["kind"], document["ok"], document["problems"]) == ("check", False, 1)
    assert document["findings"][0]["pythons"] == [RUNNING]
    assert said == [f"importing 1 modules with Python {RUNNING} ({sys.executable})"]
