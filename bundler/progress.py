"""What ``bundle`` shows while it works: one line per step, with its elapsed time.

On a terminal the line of the running step is rewritten in place (a spinner, the elapsed
time and the step's latest detail, e.g. pip's current phase) and ends as a permanent line
with the step's duration. In CI (``CI`` set) or when stderr is not a terminal, each step is
one plain line printed when it starts: stable text a log can be compared with. Colour only
on a terminal, and never with ``NO_COLOR``.

The pipeline reports through the small ``Progress`` interface; ``Steps`` records every
step's duration (for ``--json``) and draws it on a ``Console``.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, TextIO

__all__ = ["Console", "Progress", "StepTiming", "Steps", "human_size", "quiet_progress"]

# How often the running step's line is redrawn on a terminal.
_TICK = 0.1
_SPINNER_UTF8 = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_SPINNER_ASCII = "|/-\\"
_ERASE = "\r\x1b[2K"
_YELLOW, _RED, _DIM, _BOLD, _RESET = "\x1b[33m", "\x1b[31m", "\x1b[2m", "\x1b[1m", "\x1b[0m"


class Progress(Protocol):
    """What a stage may tell the user while the build runs."""

    def step(self, title: str) -> None:
        """A step that may take more than a second begins; the previous one ends."""

    def detail(self, text: str) -> None:
        """A detail of the running step: a line with ``-v``, the live line's tail on a
        terminal, nothing in plain output."""

    def done(self, summary: str) -> None:
        """The running step ends; ``summary`` (``"1234 modules"``) closes its line."""

    def warn(self, text: str) -> None:
        """A warning, printed at once."""


@dataclass(frozen=True)
class StepTiming:
    """How long one step took."""

    title: str
    seconds: float


class _Quiet:
    def step(self, title: str) -> None:
        pass

    def detail(self, text: str) -> None:
        pass

    def done(self, summary: str) -> None:
        pass

    def warn(self, text: str) -> None:
        pass


def quiet_progress() -> Progress:
    """A ``Progress`` that shows nothing (library use, tests)."""
    return _Quiet()


class Console:
    """Lines of ``bundle`` on stderr, and the live line of the running step on a terminal.

    ``live``: rewrite the running step's line in place; ``colour``: ANSI colours;
    ``level``: 0 errors only (``-q``), 1 normal, 2 verbose (``-v``).
    """

    def __init__(self, stream: TextIO, *, live: bool, colour: bool, level: int) -> None:
        self.stream = stream
        self.live = live and level == 1
        self.colour = colour
        self.level = level
        self._lock = threading.RLock()
        self._title: str | None = None
        self._tail = ""
        self._started = 0.0
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        self._spinner = _SPINNER_UTF8 if encoding == "utf8" else _SPINNER_ASCII

    @classmethod
    def for_stderr(
        cls, *, quiet: bool, verbose: bool, environ: Mapping[str, str] | None = None
    ) -> Console:
        """The console for this process's stderr: live and coloured only on a terminal
        (live also needs ``CI`` unset; colour needs ``NO_COLOR`` unset and a real TERM)."""
        env = os.environ if environ is None else environ
        stream = sys.stderr
        tty = _isatty(stream) and env.get("TERM") != "dumb"
        level = 0 if quiet else 2 if verbose else 1
        return cls(
            stream,
            live=tty and not env.get("CI"),
            colour=tty and not env.get("NO_COLOR"),
            level=level,
        )

    # -- permanent lines ------------------------------------------------------------

    def say(self, text: str, *, minimum: int = 1) -> None:
        """``bundle: text``, when the verbosity shows lines of level ``minimum``."""
        if self.level >= minimum:
            self._permanent(f"bundle: {text}")

    def warning(self, text: str) -> None:
        """``bundle: warning: text`` (not with ``-q``)."""
        if self.level >= 1:
            self._permanent(f"bundle: {self._paint('warning:', _YELLOW)} {text}")

    def error(self, text: str, details: tuple[str, ...] = ()) -> None:
        """The failing tool's lines, then ``bundle: error: text``; always shown."""
        self.finish(None)
        for line in details:
            self._permanent(f"  | {line}")
        self._permanent(f"bundle: {self._paint('error:', _BOLD + _RED)} {text}")

    def raw(self, text: str) -> None:
        """A line as it is (a traceback for ``--debug``)."""
        self._permanent(text.rstrip("\n"))

    # -- the running step -------------------------------------------------------------

    def begin(self, title: str) -> None:
        """Show that ``title`` runs (ending the step before it)."""
        self.finish(None)
        if self.level < 1:
            return
        with self._lock:
            self._title, self._tail, self._started = title, "", time.monotonic()
            if not self.live:
                self._write(f"bundle: {title}\n")
                return
            self._draw()
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, daemon=True)
                self._ticker.start()

    def update(self, text: str) -> None:
        """The running step's latest detail, shown at the end of its live line."""
        with self._lock:
            self._tail = text.strip()

    def finish(self, summary: str | None) -> None:
        """End the running step: on a terminal its line stays, with its duration."""
        with self._lock:
            title, self._title = self._title, None
            if title is None or not self.live:
                return
            seconds = time.monotonic() - self._started
            closing = f"{summary}, {seconds:.1f} s" if summary else f"{seconds:.1f} s"
            self._write(f"{_ERASE}bundle: {title} {self._paint(f'({closing})', _DIM)}\n")

    def close(self) -> None:
        """End the running step and stop redrawing."""
        self.finish(None)
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None

    # -- drawing --------------------------------------------------------------------

    def _permanent(self, line: str) -> None:
        with self._lock:
            if self._title is not None and self.live:
                self._write(f"{_ERASE}{line}\n")
                self._draw()
            else:
                self._write(f"{line}\n")

    def _tick(self) -> None:
        while not self._stop.wait(_TICK):
            with self._lock:
                if self._title is not None:
                    self._draw()

    def _draw(self) -> None:
        assert self._title is not None
        seconds = time.monotonic() - self._started
        spin = self._spinner[int(seconds / _TICK) % len(self._spinner)]
        text = f"bundle: {self._title} {spin} {seconds:.1f} s"
        if self._tail:
            text += f" · {self._tail}"
        # A line wider than the terminal wraps, and "\r" then rewrites only its last row.
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self._write(f"{_ERASE}{text[:width]}")

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.colour else text

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # stderr closed (a pipe whose reader went away): nothing to tell


class Steps:
    """The ``Progress`` of one build: shows each step on a ``Console`` and times it."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.timings: list[StepTiming] = []
        self._current: tuple[str, float] | None = None

    def step(self, title: str) -> None:
        """A step begins; the one before ends."""
        self._close()
        self._current = (title, time.monotonic())
        self.console.begin(title)

    def detail(self, text: str) -> None:
        """A line with ``-v``; the live line's tail on a terminal."""
        self.console.say(text, minimum=2)
        self.console.update(text)

    def done(self, summary: str) -> None:
        """The running step ends with ``summary``."""
        self._close()
        self.console.finish(summary)

    def warn(self, text: str) -> None:
        """A warning, shown at once."""
        self.console.warning(text)

    def finish(self) -> None:
        """The build is over: the last step ends."""
        self._close()
        self.console.finish(None)

    def _close(self) -> None:
        if self._current is not None:
            title, started = self._current
            self.timings.append(StepTiming(title, time.monotonic() - started))
            self._current = None


def human_size(size: int) -> str:
    """``512 B``, ``200 KiB``, ``41.5 MiB``, ``2.9 GiB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KiB"
    if size < 1024**3:
        return f"{size / 1024 / 1024:.1f} MiB"
    return f"{size / 1024**3:.1f} GiB"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
