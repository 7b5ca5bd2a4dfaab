"""Run pip and build backends as subprocesses: quiet unless verbose, their last lines kept.

A user of ``bundle`` wants one line when things go well and the few lines that explain a
failure when they do not, so the output of every tool is captured; ``-v`` echoes it live.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ToolOutput", "relevant_tail", "run_tool", "summary_line"]

# Lines kept from a tool's output: enough for any error message, bounded for a chatty build.
_KEPT_LINES = 400
_ECHO_PREFIX = "  | "


@dataclass(frozen=True)
class ToolOutput:
    """How a tool exited and the last lines it printed (stdout and stderr interleaved)."""

    returncode: int
    lines: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the tool exited with status 0."""
        return self.returncode == 0


def run_tool(
    command: Sequence[str],
    *,
    verbose: bool,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ToolOutput:
    """Run ``command`` to completion; with ``verbose`` its output is echoed to stderr.

    ``env`` is added to this process's environment. A command that cannot be started at
    all is reported as exit status 127 with the reason as its only line, like a shell does.
    """
    kept: deque[str] = deque(maxlen=_KEPT_LINES)
    try:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            cwd=cwd,
            env={**os.environ, **(env or {})},
        )
    except OSError as exc:
        return ToolOutput(127, (f"cannot run {command[0]}: {exc.strerror or exc}",))
    assert process.stdout is not None
    with process:
        for raw in process.stdout:
            line = raw.rstrip("\r\n")
            kept.append(line)
            if verbose:
                print(f"{_ECHO_PREFIX}{line}", file=sys.stderr, flush=True)
    return ToolOutput(process.returncode, tuple(kept))


def relevant_tail(lines: Sequence[str], limit: int = 12) -> tuple[str, ...]:
    """The last ``limit`` lines that say something (no blank lines or progress bars)."""
    useful = [line for line in lines if line.strip() and not _is_progress(line)]
    return tuple(useful[-limit:])


def summary_line(lines: Sequence[str]) -> str:
    """The line that best says what went wrong: pip's last ``ERROR:``, else the last line."""
    useful = relevant_tail(lines, limit=len(lines) or 1)
    for line in reversed(useful):
        stripped = line.strip()
        # "ResolutionImpossible: for help visit ..." only points at pip's documentation.
        if stripped.startswith("ERROR: ") and "for help visit" not in stripped:
            return stripped[len("ERROR: ") :]
    return useful[-1].strip() if useful else "no output"


def _is_progress(line: str) -> bool:
    # pip's download bars: "━━━━━━━━ 51.2/51.2 kB 1.4 MB/s eta 0:00:00"
    return "━" in line
