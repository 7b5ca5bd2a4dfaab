"""Uncaught exceptions printed with the app's frames only (runtime/tracebacks.py)."""

from __future__ import annotations

import pytest

from bundler.runtime import BootError
from bundler.runtime.tracebacks import boot_error_in_chain, print_app_exception

ARCHIVE = "/apps/app.pyz"


def _raise_through(filenames: list[str]) -> BaseException:
    """An exception raised through one frame per file name, the first outermost."""
    source = "def call(inner):\n    inner()\n"
    calls = [compile(source, name, "exec") for name in filenames]

    def innermost() -> None:
        raise ValueError("boom")

    inner = innermost
    for code in reversed(calls):
        namespace: dict[str, object] = {}
        exec(code, namespace)
        inner = (lambda call, nested: lambda: call(nested))(namespace["call"], inner)
    try:
        inner()
    except ValueError as exc:
        return exc
    raise AssertionError("not raised")


def _printed(exc: BaseException, full: bool, capsys: pytest.CaptureFixture[str]) -> list[str]:
    print_app_exception(ARCHIVE, type(exc), exc, exc.__traceback__, full)
    lines = capsys.readouterr().err.splitlines()
    return [line.split('"')[1] for line in lines if line.strip().startswith("File ")]


def test_frames_before_the_apps_first_and_the_runtimes_are_left_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stub, runtime = f"{ARCHIVE}/__main__.py", f"{ARCHIVE}/_bundler_runtime/bootstrap.py"
    app, reading = f"{ARCHIVE}/app/cli.py", f"{ARCHIVE}/_bundler_runtime/resources.py"
    exc = _raise_through([stub, "<frozen runpy>", runtime, app, reading, app])
    files = _printed(exc, False, capsys)
    assert [name for name in files if name.startswith(ARCHIVE)] == [app, app]
    assert files[-1] == __file__  # the frame that raised, in this test


def test_full_keeps_every_frame(capsys: pytest.CaptureFixture[str]) -> None:
    stub = f"{ARCHIVE}/__main__.py"
    exc = _raise_through([stub, f"{ARCHIVE}/app/cli.py"])
    files = _printed(exc, True, capsys)
    assert [name for name in files if name.startswith(ARCHIVE)] == [stub, f"{ARCHIVE}/app/cli.py"]


def test_our_error_is_found_behind_a_library_s_own() -> None:
    ours = BootError("the one line")
    try:
        try:
            raise ours
        except BootError as exc:
            raise ImportError("advice from a library") from exc
    except ImportError as wrapped:
        assert boot_error_in_chain(wrapped) is ours
    assert boot_error_in_chain(ValueError("other")) is None


def test_a_cycle_of_causes_ends_the_search() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__cause__, second.__cause__ = second, first
    assert boot_error_in_chain(first) is None
