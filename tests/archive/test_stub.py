"""The archive's __main__.py stub: it compiles on every Python it may meet, and it refuses
one that is too old in a line of its own."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from bundler.archive.stub import MAIN_STUB


def test_stub_compiles() -> None:
    compile(MAIN_STUB, "__main__.py", "exec", dont_inherit=True)


def test_version_check_comes_before_anything_else_runs() -> None:
    lines = MAIN_STUB.splitlines()
    check = lines.index("if sys.version_info < (3, 9):")
    assert [line for line in lines[:check] if line and not line.startswith("#")] == ["import sys"]


def test_started_by_the_header_only_when_python_set_no_file(tmp_path: Path) -> None:
    """Run by runpy, ``__file__`` is set and the stub leaves argv alone."""
    archive = tmp_path / "app.zip"
    with zipfile.ZipFile(archive, "w") as target:
        # The stub up to the header fix-up, then a line that shows argv and __file__.
        head = MAIN_STUB.split("# Load the runtime's first stage")[0]
        target.writestr("__main__.py", head + "print(sys.argv[1:], __file__)\n")
    result = subprocess.run(
        [sys.executable, str(archive), "a"], capture_output=True, text=True, check=True
    )
    assert result.stdout == f"['a'] {archive}/__main__.py\n"
