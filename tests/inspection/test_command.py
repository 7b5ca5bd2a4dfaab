"""``bundle inspect``'s output for each question, and ``build --report``'s file."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from bundler.errors import AbsentError, OutputError
from bundler.inspection.command import NO_SBOM, run_inspect, write_report
from tests.inspection.views import write_archive


def test_json_and_why_json(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "app.pyz")
    out = io.StringIO()
    assert run_inspect(archive, out, as_json=True) == 0
    assert json.loads(out.getvalue())["kind"] == "inspect"
    out = io.StringIO()
    assert run_inspect(archive, out, why="dep", as_json=True) == 0
    assert json.loads(out.getvalue())["why"]["module"] == "dep"


def test_why_in_lines(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "app.pyz")
    out = io.StringIO()
    run_inspect(archive, out, why="dep")
    assert out.getvalue() == (
        "dep is in app.pyz:\n  app.cli: the entry point\n  dep: imported at app/cli.py:1\n"
    )


def test_no_sbom_is_the_agreed_line(tmp_path: Path) -> None:
    with pytest.raises(AbsentError, match=f"^{re.escape(NO_SBOM)}$"):
        run_inspect(write_archive(tmp_path / "app.pyz"), io.StringIO(), sbom=True)


def test_report_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "app.pyz")
    write_report(archive, tmp_path / "facts.json")
    assert json.loads((tmp_path / "facts.json").read_text())["app"]["name"] == "app"
    with pytest.raises(OutputError, match="cannot write the report"):
        write_report(archive, tmp_path / "missing" / "facts.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.pyz", "facts.json"]
