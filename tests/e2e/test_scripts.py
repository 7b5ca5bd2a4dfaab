"""Single-file scripts with inline metadata (PEP 723): ``bundle build tool.py -o tool.pyz``
installs the block's dependencies, runs the script as ``__main__`` with its directory
searched first, checks its ``requires-python`` at start, and refuses a malformed block in
one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import Runner, assert_user_error, run_bundle, write_project
from tests.helpers.pythons import find_python

SCRIPT = """\
#!/usr/bin/env python3
# /// script
# requires-python = ">=3.9"
# dependencies = ["tallyho>=0.9"]
# ///
import sys

import helper
import tallyho


def main():
    print(helper.GREETING, tallyho.__name__, __name__, sys.argv[1:])


if __name__ == "__main__":
    main()
"""


def test_a_script_with_inline_metadata_becomes_an_archive(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    here = write_project(
        tmp_path / "scripts",
        {
            "tool.py": SCRIPT,
            "helper.py": "GREETING = 'hello'\n",
            "unrelated.py": "raise SystemExit\n",
        },
    )
    out = tmp_path / "tool.pyz"
    result = run_bundle("build", here / "tool.py", "-o", out, *offline, "-q")
    assert result.returncode == 0, result.stderr
    ran = run_app(out, "a", "b", cwd=tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "hello tallyho __main__ ['a', 'b']\n")


def test_the_scripts_requires_python_is_checked_at_build_and_at_start(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    minor = sys.version_info[1]
    newer = f">=3.{minor + 1}"  # not the Python that builds
    script = SCRIPT.replace("import helper\n", "").replace("helper.GREETING, ", "")
    here = write_project(tmp_path / "scripts", {"tool.py": script.replace('">=3.9"', f'"{newer}"')})
    out = tmp_path / "tool.pyz"
    refused = run_bundle("build", here / "tool.py", "-o", out, *offline, "--python", sys.executable)
    running = ".".join(map(str, sys.version_info[:3]))
    assert_user_error(
        refused,
        f"{here / 'tool.py'} requires Python {newer} (its '# /// script' block), but the target "
        f"is Python {running} ({sys.executable}): build with --python naming a matching "
        "interpreter",
        status=2,
    )
    assert not out.exists()
    older = find_python(f"3.{minor - 1}")
    if older is None:
        pytest.skip(f"no Python 3.{minor - 1} to run the archive with")
    (here / "tool.py").write_text(script.replace('">=3.9"', f'">=3.{minor}"'))
    built = run_bundle("build", here / "tool.py", "-o", out, *offline, "-q")
    assert built.returncode == 0, built.stderr
    ran = run_app(out, python=older)
    assert ran.returncode == 1
    assert ran.stderr.startswith(f"tool.pyz: error: tool requires Python >=3.{minor}, but this ")


def test_malformed_inline_metadata_is_one_line_and_nothing_is_written(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    broken = SCRIPT.replace('# dependencies = ["tallyho>=0.9"]', '# dependencies = ["tallyho>=0.9"')
    here = write_project(tmp_path / "scripts", {"tool.py": broken})
    out = tmp_path / "dist" / "tool.pyz"
    result = run_bundle("build", here / "tool.py", "-o", out, *offline)
    assert_user_error(
        result,
        f"{here / 'tool.py'}:5: invalid TOML in the '# /// script' block (Unclosed array)",
        status=2,
    )
    assert not (tmp_path / "dist").exists()
