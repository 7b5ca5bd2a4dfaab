"""The /bin/sh header: which Pythons it tries, in what order, and that sh parses it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bundler.archive.header import PYTHON_ENV, SH_SHEBANG, interpreter_commands, sh_header


def test_build_python_first_then_newest_then_generic_names() -> None:
    assert interpreter_commands(range(9, 31), 11) == (
        *("python3.11", "python3.16", "python3.15", "python3.14", "python3.13", "python3.12"),
        *("python3.10", "python3.9", "python3", "python"),
    )


def test_a_range_that_excludes_the_build_python_starts_with_its_newest() -> None:
    assert interpreter_commands((12, 13), 11) == ("python3.13", "python3.12", "python3", "python")


def test_one_version_only() -> None:
    assert interpreter_commands((11,), 11) == ("python3.11", "python3", "python")


def test_header_runs_the_loader_without_site_unless_it_keeps_it() -> None:
    isolated = sh_header(("python3.11", "python3"), ">=3.10", keep_site=False)
    inherited = sh_header(("python3.11", "python3"), ">=3.10", keep_site=True)
    assert isolated.startswith(SH_SHEBANG + "\n")
    assert 'exec "$py" -S -c \'' in isolated
    assert 'exec "$py" -c \'' in inherited
    assert f'if [ -n "${PYTHON_ENV}" ]; then' in isolated
    assert "  for candidate in python3.11 python3; do\n" in isolated
    assert "install Python >=3.10 or set BUNDLER_PYTHON to one" in isolated


def test_range_text_cannot_break_out_of_the_shell_string() -> None:
    header = sh_header(("python3",), 'any Python 3.9+"; rm -rf $HOME `x`', keep_site=False)
    assert "install Python 3.9+ rm rf HOME x or set" in header


def test_command_names_are_checked() -> None:
    with pytest.raises(ValueError, match="not a command name"):
        sh_header(("python3; rm -rf /",), "3.9+", keep_site=False)


@pytest.mark.skipif(shutil.which("sh") is None, reason="no sh")
def test_sh_parses_the_header(tmp_path: Path) -> None:
    script = tmp_path / "header.sh"
    script.write_text(sh_header(interpreter_commands(range(9, 14), 11), "3.9+", keep_site=False))
    result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")


def test_python_refuses_the_header_cut_anywhere_after_its_first_line() -> None:
    """``python app.pyz`` on a download cut short inside the header must fail, not run the
    header as an empty program and exit 0."""
    header = sh_header(interpreter_commands((11,), 11), "3.9+", keep_site=False)
    first = header.index("\n") + 1
    for cut in range(first + 1, len(header) + 1):
        with pytest.raises(SyntaxError):
            compile(header[:cut], "app.pyz", "exec")
