"""The import child: it reports each module's outcome, where in the archive it failed, the
missing module behind a library's own ImportError, and native code built for another Python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bundler.check import probe
from tests.check.fakes import fake_archive


def _raised(code: str, filename: str) -> BaseException:
    try:
        exec(compile(code, filename, "exec"), {})
    except BaseException as exc:
        return exc
    raise AssertionError("it did not raise")


def test_describe_names_the_deepest_frame_inside_the_archive(tmp_path: Path) -> None:
    archive = str(tmp_path / "app.pyz")
    exc = _raised("import nothing_here_xyz\n", f"{archive}/pkg/mod.py")
    assert probe.describe(exc, archive) == [
        "ModuleNotFoundError",
        "No module named 'nothing_here_xyz'",
        "nothing_here_xyz",
        "pkg/mod.py",
        1,
        False,
    ]


def test_describe_finds_the_missing_module_behind_a_re_raise(tmp_path: Path) -> None:
    code = (
        "try:\n    import aiohttp_not_here\nexcept ImportError as e:\n"
        "    raise ImportError('install the [d] extra') from e\n"
    )
    exc = _raised(code, str(tmp_path / "elsewhere.py"))
    assert probe.describe(exc, str(tmp_path / "app.pyz")) == [
        "ImportError",
        "install the [d] extra",
        "aiohttp_not_here",
        None,
        0,
        False,
    ]


def test_describe_says_when_native_code_was_built_for_another_python(tmp_path: Path) -> None:
    exc = ImportError("x contains native code built for CPython 3.11, which 3.12 cannot load")
    assert probe.describe(exc, str(tmp_path / "a.pyz"))[-1] is True


def test_the_child_reports_each_module_and_keeps_prints_out_of_the_report(tmp_path: Path) -> None:
    archive = fake_archive(
        tmp_path / "app.pyz",
        {"good": "print('hello from good')\n", "bad": "x = 1\nraise ValueError('no')\n"},
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", Path(probe.__file__).read_text(), str(archive)],
        input=json.dumps(["good", "bad"]),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        ["start", "good"],
        ["ok", "good"],
        ["start", "bad"],
        ["fail", "bad", "ValueError", "no", None, "bad.py", 2, False],
    ]
    assert "hello from good" in done.stderr
