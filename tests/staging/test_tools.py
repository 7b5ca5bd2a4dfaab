"""Running pip and build backends quietly, and reading their output."""

from __future__ import annotations

import sys

import pytest

from bundler.staging.tools import relevant_tail, run_tool, summary_line

# ---------------------------------------------------------------- tool output


def test_summary_prefers_pips_error_line() -> None:
    lines = [
        "Collecting nosuch",
        "ERROR: Cannot install a and b because these package versions have conflicts.",
        "",
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/",
    ]
    assert summary_line(lines).startswith("Cannot install a and b")
    assert summary_line(["Traceback ...", "RuntimeError: boom", ""]) == "RuntimeError: boom"
    assert summary_line([]) == "no output"


def test_tail_drops_blank_lines_and_progress_bars() -> None:
    lines = ["one", "", "   ", "━━━━━━ 51.2/51.2 kB", *(f"line {i}" for i in range(20))]
    assert relevant_tail(lines, limit=3) == ("line 17", "line 18", "line 19")
    assert relevant_tail(lines[:4]) == ("one",)


def test_run_tool_keeps_output_and_echoes_it_when_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    quiet = run_tool([sys.executable, "-c", script], verbose=False)
    assert (quiet.returncode, sorted(quiet.lines)) == (3, ["err", "out"])
    assert capsys.readouterr().err == ""
    run_tool([sys.executable, "-c", script], verbose=True)
    assert "  | out" in capsys.readouterr().err
    missing = run_tool(["/no/such/tool"], verbose=False)
    assert missing.returncode == 127 and "cannot run /no/such/tool" in missing.lines[0]
