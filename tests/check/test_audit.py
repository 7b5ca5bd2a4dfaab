"""The audit child: file operations inside the archive's path and imports no finder could
satisfy, each with the app's file and line; the standard library's own probes are not the
app's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bundler.check import audit
from tests.check.fakes import fake_archive


def test_the_hook_reports_a_read_next_to_file(tmp_path: Path) -> None:
    archive = tmp_path / "app.pyz"
    report = tmp_path / "report"
    report.touch()
    hook = audit.Audit(str(report), str(archive))
    inside = f"{archive}/pkg/data.txt"
    code = compile(f"hook('open', ({inside!r}, 'r', 0))\n\n", f"{archive}/pkg/mod.py", "exec")
    exec(code, {"hook": hook.hook})
    hook.hook("open", (str(tmp_path / "outside.txt"), "r", 0))
    hook.hook("os.listdir", (3,))  # a file descriptor: not a path
    assert [json.loads(line) for line in report.read_text().splitlines()] == [
        ["file", "open", "pkg/data.txt", "pkg/mod.py", 1]
    ]


def test_running_the_app_reports_its_failed_imports_and_reads(tmp_path: Path) -> None:
    archive = fake_archive(
        tmp_path / "app.pyz",
        {
            "reader": (
                "import os\ntry:\n    import not_installed_xyz\nexcept ImportError:\n    pass\n"
                "try:\n    open(os.path.join(os.path.dirname(__file__), 'rows.txt'))\n"
                "except OSError:\n    pass\n"
            ),
        },
        run="import reader\n",
    )
    report = tmp_path / "report"
    report.touch()
    command = [
        sys.executable,
        "-I",
        "-c",
        Path(audit.__file__).read_text(),
        str(report),
        str(archive),
    ]
    subprocess.run(command, check=True, timeout=60, capture_output=True)
    assert [json.loads(line) for line in report.read_text().splitlines()] == [
        ["import", "not_installed_xyz", "reader.py", 3],
        ["file", "open", "rows.txt", "reader.py", 7],
    ]
