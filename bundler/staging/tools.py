"""Run pip and build backends as subprocesses: quiet unless verbose, their last lines kept,
never longer than a timeout, and never outliving the build.

A user of ``bundle`` wants one line when things go well and the few lines that explain a
failure when they do not, so the output of every tool is captured; ``-v`` echoes it live.
Each tool runs in a process group of its own with its temporary files in the build's
private scratch directory: a timeout, Ctrl-C or SIGTERM ends the whole group, and whatever
it left in the scratch directory goes with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bundler.errors import ToolTimeoutError
from bundler.timeouts import DEFAULT_TIMEOUT, TIMEOUT_ENV

__all__ = [
    "ToolOutput",
    "ToolSettings",
    "relevant_tail",
    "run_tool",
]

# Lines kept from a tool's output: enough for any error message, bounded for a chatty build.
_KEPT_LINES = 400
_ECHO_PREFIX = "  | "


@dataclass(frozen=True)
class ToolSettings:
    """How tools run: echoed or not, for how long at most, with temporaries where."""

    verbose: bool = False
    timeout: float | None = DEFAULT_TIMEOUT  # seconds; None: no limit
    temp_dir: Path | None = None  # TMPDIR of the tools (the build's scratch directory)

    def environment(self) -> dict[str, str]:
        """Variables every tool gets: its temporary directory."""
        if self.temp_dir is None:
            return {}
        where = str(self.temp_dir)
        return {"TMPDIR": where, "TEMP": where, "TMP": where}


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
    settings: ToolSettings,
    what: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ToolOutput:
    """Run ``command`` to completion; with ``settings.verbose`` its output is echoed.

    ``what`` says what the tool is doing ("pip installing the project's dependencies"),
    for the error raised when it runs out of time. ``env`` is added to this process's
    environment. A command that cannot be started at all is reported as exit status 127
    with the reason as its only line, like a shell does.
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
            env={**os.environ, **settings.environment(), **(env or {})},
            start_new_session=True,  # a group of its own: it and its children end together
        )
    except OSError as exc:
        return ToolOutput(127, (f"cannot run {command[0]}: {exc.strerror or exc}",))
    with _deadline(process, settings.timeout) as expired, process:
        _collect(process, kept, settings.verbose)
    if expired.is_set():
        seconds = f"{settings.timeout:g}"
        raise ToolTimeoutError(
            f"{what} did not finish within {seconds} s; if it needs longer, raise the limit "
            f"with {TIMEOUT_ENV}=SECONDS or [tool.bundle] timeout (0: no limit), otherwise "
            "-v shows where it stops",
            details=() if settings.verbose else relevant_tail(kept),
        )
    return ToolOutput(process.returncode, tuple(kept))


def _collect(process: subprocess.Popen[str], kept: deque[str], verbose: bool) -> None:
    """Read the tool's output to its end, echoing it when ``verbose``."""
    assert process.stdout is not None
    try:
        for raw in process.stdout:
            line = raw.rstrip("\r\n")
            kept.append(line)
            if verbose:
                print(f"{_ECHO_PREFIX}{line}", file=sys.stderr, flush=True)
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM): the tool must not go on writing.
        _end(process)
        raise


def relevant_tail(lines: Sequence[str], limit: int = 12) -> tuple[str, ...]:
    """The last ``limit`` lines that say something (no blank lines or progress bars)."""
    useful = [line for line in lines if line.strip() and not _is_progress(line)]
    return tuple(useful[-limit:])


@contextlib.contextmanager
def _deadline(process: subprocess.Popen[str], timeout: float | None) -> Iterator[threading.Event]:
    """End ``process`` (and its group) after ``timeout`` seconds; the event says it did."""
    expired = threading.Event()
    if not timeout:
        yield expired
        return

    def expire() -> None:
        expired.set()
        _end(process)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()


def _end(process: subprocess.Popen[str]) -> None:
    """Kill the tool's whole process group (pip's backend subprocesses too) and reap it."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups of this kind
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    with contextlib.suppress(Exception):
        process.wait(timeout=30)


def _is_progress(line: str) -> bool:
    # pip's download bars: "━━━━━━━━ 51.2/51.2 kB 1.4 MB/s eta 0:00:00"
    return "━" in line
