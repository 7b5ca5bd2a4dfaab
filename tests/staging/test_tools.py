"""Running pip and build backends: quiet or echoed, bounded in time, never outliving the
build, their temporary files in the build's scratch directory."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from bundler.errors import ToolTimeoutError
from bundler.staging.tools import ToolSettings, relevant_tail, run_tool
from tests.helpers.projects import process_gone

QUIET = ToolSettings()


def test_tail_drops_blank_lines_and_progress_bars() -> None:
    lines = ["one", "", "   ", "━━━━━━ 51.2/51.2 kB", *(f"line {i}" for i in range(20))]
    assert relevant_tail(lines, limit=3) == ("line 17", "line 18", "line 19")
    assert relevant_tail(lines[:4]) == ("one",)


def test_run_tool_keeps_output_and_echoes_it_when_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    quiet = run_tool([sys.executable, "-c", script], settings=QUIET, what="x")
    assert (quiet.returncode, sorted(quiet.lines)) == (3, ["err", "out"])
    assert capsys.readouterr().err == ""
    run_tool([sys.executable, "-c", script], settings=ToolSettings(verbose=True), what="x")
    assert "  | out" in capsys.readouterr().err
    missing = run_tool(["/no/such/tool"], settings=QUIET, what="x")
    assert missing.returncode == 127 and "cannot run /no/such/tool" in missing.lines[0]


def test_tools_get_the_scratch_directory_as_their_temporary_directory(tmp_path: Path) -> None:
    script = "import tempfile; print(tempfile.gettempdir())"
    output = run_tool(
        [sys.executable, "-c", script], settings=ToolSettings(temp_dir=tmp_path), what="x"
    )
    assert output.lines == (str(tmp_path),)


def _grandchild_script(marker: Path) -> str:
    """A tool that starts a child of its own (as pip starts a backend) and waits forever."""
    child = (
        "import os, pathlib, time\n"
        f"pathlib.Path({str(marker)!r}).write_text(str(os.getpid()))\n"
        "time.sleep(600)\n"
    )
    return (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {child!r}])\n"
        "print('started', flush=True)\n"
        "time.sleep(600)\n"
    )


def test_timeout_ends_the_tool_and_its_children_in_one_line(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    settings = ToolSettings(timeout=2)
    started = time.monotonic()
    with pytest.raises(ToolTimeoutError) as caught:
        run_tool(
            [sys.executable, "-c", _grandchild_script(marker)],
            settings=settings,
            what="the build backend",
        )
    assert time.monotonic() - started < 30
    assert str(caught.value) == (
        "the build backend did not finish within 2 s; if it needs longer, raise the limit with "
        "BUNDLER_TIMEOUT=SECONDS or [tool.bundle] timeout (0: no limit), otherwise -v shows "
        "where it stops"
    )
    assert caught.value.details == ("started",)
    assert process_gone(int(marker.read_text()))


def test_interrupting_the_build_ends_the_tool_and_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"

    def interrupt() -> None:
        while not marker.exists():
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_tool([sys.executable, "-c", _grandchild_script(marker)], settings=QUIET, what="x")
    assert process_gone(int(marker.read_text()))
