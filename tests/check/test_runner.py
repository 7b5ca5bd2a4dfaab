"""Running the children: the import order and what is skipped, a crash or an exit at one
module that does not stop the others, and the app's run under the hook."""

from __future__ import annotations

import sys
from pathlib import Path

from bundler.check.outcome import Finding
from bundler.check.pythons import Python
from bundler.check.runner import import_order, run_app, run_imports
from bundler.inspection.reading import read_archive
from tests.check.fakes import fake_archive
from tests.inspection.views import manifest, write_archive

PYTHON = Python(sys.executable, ".".join(map(str, sys.version_info[:3])))


def test_import_order_skips_main_modules_scripts_hooks_and_check_skip(tmp_path: Path) -> None:
    modules = {
        name: {"member": None, "package": False, "kind": "third-party"}
        for name in (
            "app.cli",
            "app.__main__",
            "pip.__pip-runner__",
            "_distutils_hack.override",
            "dep.tests",
            "dep.tests.unit",
            "dep.core",
        )
    }
    view = read_archive(write_archive(tmp_path / "a.pyz", manifest(modules=modules)))
    wanted, skipped = import_order(view, ["dep.tests"])
    assert wanted == ["app.cli", "dep.core"]
    assert [(f.module, f.reason) for f in skipped] == [
        (
            "_distutils_hack.override",
            "setuptools' start-up hook: importing it replaces distutils process-wide",
        ),
        ("app.__main__", "a __main__ module runs its program"),
        ("dep.tests", "named by check-skip or --skip"),
        ("dep.tests.unit", "named by check-skip or --skip"),
        ("pip.__pip-runner__", "not a name import can spell: a script"),
    ]


def test_an_exit_at_import_is_that_modules_failure_and_the_rest_go_on(tmp_path: Path) -> None:
    archive = fake_archive(
        tmp_path / "app.pyz",
        {"alpha": "", "beta": "import os\nos._exit(3)\n", "gamma": "import nowhere_xyz\n"},
    )
    run = run_imports(read_archive(archive), PYTHON, ["alpha", "beta", "gamma"])
    assert run.imported == 1
    assert run.findings == (
        Finding("beta", "failure", "the interpreter stopped (exit status 3): exit status 3"),
        Finding(
            "gamma",
            "failure",
            "ModuleNotFoundError: No module named 'nowhere_xyz'; 'nowhere_xyz' is not in the "
            "archive",
            "gamma.py",
            1,
        ),
    )


def test_the_app_run_reports_reads_inside_and_a_failing_exit(tmp_path: Path) -> None:
    archive = fake_archive(
        tmp_path / "app.pyz",
        {"reader": "import os, sys\nopen(os.path.join(os.path.dirname(__file__), 'x'))\n"},
        run="import reader\n",
    )
    findings = run_app(read_archive(archive), PYTHON, [])
    assert findings[0] == Finding(
        "reader",
        "file",
        "open of x inside the archive's path: a zip-unsafe use the build missed (extract it "
        "with --extract, or read it through importlib.resources)",
        "reader.py",
        2,
    )
    assert findings[1].kind == "exit"
    assert findings[1].reason.startswith("exited with status 1: NotADirectoryError")
