"""Progress lines: plain when not on a terminal, redrawn in place on one, colour only there,
the verbosity levels, and the timings of each step."""

from __future__ import annotations

import io
import re
import time

import pytest

from bundler.progress import Console, Steps, human_size, quiet_progress

ERASE = "\r\x1b[2K"


class Terminal(io.StringIO):
    """A stream that says it is a terminal, with UTF-8 like most."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_plain_console_prints_each_step_once_when_it_starts() -> None:
    stream = io.StringIO()
    steps = Steps(Console(stream, live=False, colour=False, level=1))
    steps.step("building")
    steps.detail("a detail")
    steps.step("writing")
    steps.done("3 MiB")
    steps.warn("careful")
    steps.finish()
    assert stream.getvalue() == "bundle: building\nbundle: writing\nbundle: warning: careful\n"
    assert [timing.title for timing in steps.timings] == ["building", "writing"]


def test_verbose_console_also_prints_details() -> None:
    stream = io.StringIO()
    steps = Steps(Console(stream, live=True, colour=False, level=2))
    steps.step("building")
    steps.detail("a detail")
    steps.finish()
    assert stream.getvalue() == "bundle: building\nbundle: a detail\n"


def test_quiet_console_prints_only_errors() -> None:
    stream = io.StringIO()
    console = Console(stream, live=True, colour=False, level=0)
    steps = Steps(console)
    steps.step("building")
    steps.warn("careful")
    console.say("wrote it")
    console.error("it broke", ("tool line",))
    console.close()
    assert stream.getvalue() == "  | tool line\nbundle: error: it broke\n"


def test_live_console_redraws_the_running_step_and_closes_it_in_place() -> None:
    stream = Terminal()
    console = Console(stream, live=True, colour=False, level=1)
    steps = Steps(console)
    steps.step("building the wheel")
    steps.detail("Collecting click")
    time.sleep(0.35)  # a few ticks of the redrawing thread
    steps.warn("careful")
    steps.done("1 wheel")
    console.close()
    text = stream.getvalue()
    assert text.startswith(f"{ERASE}bundle: building the wheel ⠋ 0.0 s")
    assert " · Collecting click" in text
    assert text.count(f"{ERASE}bundle: building the wheel ") >= 4
    # A warning interrupts the live line and the live line comes back under it.
    assert f"{ERASE}bundle: warning: careful\n{ERASE}bundle: building the wheel" in text
    assert re.search(re.escape(ERASE) + r"bundle: building the wheel \(1 wheel, 0\.\d s\)\n$", text)


def test_colour_only_when_asked() -> None:
    stream = Terminal()
    console = Console(stream, live=False, colour=True, level=1)
    console.warning("careful")
    console.error("broken")
    assert stream.getvalue() == (
        "bundle: \x1b[33mwarning:\x1b[0m careful\nbundle: \x1b[1m\x1b[31merror:\x1b[0m broken\n"
    )


@pytest.mark.parametrize(
    ("tty", "environ", "live", "colour"),
    [
        (True, {}, True, True),
        (True, {"CI": "true"}, False, True),
        (True, {"NO_COLOR": "1"}, True, False),
        (True, {"TERM": "dumb"}, False, False),
        (False, {}, False, False),
    ],
    ids=["terminal", "ci", "no-color", "dumb", "pipe"],
)
def test_console_for_stderr_follows_the_terminal_and_the_environment(
    tty: bool,
    environ: dict[str, str],
    live: bool,
    colour: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stderr", Terminal() if tty else io.StringIO())
    console = Console.for_stderr(quiet=False, verbose=False, environ=environ)
    assert (console.live, console.colour) == (live, colour)
    assert Console.for_stderr(quiet=False, verbose=True, environ=environ).live is False


def test_ascii_spinner_where_the_stream_is_not_utf8() -> None:
    stream = Terminal()
    stream.encoding = "ascii"  # type: ignore[misc]
    console = Console(stream, live=True, colour=False, level=1)
    console.begin("step")
    console.close()
    assert stream.getvalue().startswith(f"{ERASE}bundle: step | 0.0 s")


def test_a_closed_stream_is_not_an_error() -> None:
    stream = io.StringIO()
    stream.close()
    Console(stream, live=False, colour=False, level=1).say("nobody listens")


def test_quiet_progress_accepts_everything() -> None:
    progress = quiet_progress()
    progress.step("a")
    progress.detail("b")
    progress.done("c")
    progress.warn("d")


@pytest.mark.parametrize(("size", "text"), [(5, "5 B"), (2048, "2 KiB"), (3 << 20, "3.0 MiB")])
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text
