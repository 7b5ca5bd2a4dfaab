"""Promises of the runtime inside every archive, checked by running archives for real."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.conftest import Runner, pyproject, run_bundle, write_project
from tests.helpers.pythons import find_python

APP = """\
import sys


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "optional":
        try:
            import tallyho  # installed on the host only
        except ImportError:
            return "tallyho: absent"
        return "tallyho: present"
    if command == "fail":
        from demo import deep
        deep.explode()
    if command == "code":
        return int(sys.argv[2])
    if command == "interrupt":
        raise KeyboardInterrupt
    if command == "exit":
        sys.exit(int(sys.argv[2]))
    print("ok")
    return None
"""

DEEP = """\
def explode():
    value = {"key": 1}
    return value["missing"]  # the line a traceback must show
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(
        tmp_path_factory.mktemp("demo"),
        {
            "pyproject.toml": pyproject(
                scripts={"demo": "demo.cli:main"}, extra="[tool.bundle]\nexclude = ['tallyho']\n"
            ),
            "demo/__init__.py": "",
            "demo/cli.py": APP,
            "demo/deep.py": DEEP,
        },
    )
    result = run_bundle("build", root, "-o", root / "demo.pyz", "-q", "--no-install")
    assert result.returncode == 0, result.stderr
    return root / "demo.pyz"


def test_host_site_packages_are_hidden(demo: Path, run_app: Runner, deps_python: Path) -> None:
    # deps_python has tallyho installed; the archive must not pick it up from there.
    result = run_app(demo, "optional", python=deps_python)
    assert result.stderr.strip() == "tallyho: absent"
    assert result.returncode == 1


def test_inherit_path_lets_the_host_site_packages_in(
    demo: Path, run_app: Runner, deps_python: Path, tmp_path: Path
) -> None:
    project = demo.parent
    output = tmp_path / "inherit.pyz"
    built = run_bundle("build", project, "-o", output, "-q", "--inherit-path", "--no-install")
    assert built.returncode == 0
    result = run_app(output, "optional", python=deps_python)
    assert result.stderr.strip() == "tallyho: present"


def test_traceback_shows_source_lines_and_starts_at_the_app(demo: Path, run_app: Runner) -> None:
    result = run_app(demo, "fail")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1].endswith(f'{demo}/demo/cli.py", line 14, in main')
    assert 'return value["missing"]  # the line a traceback must show' in result.stderr
    assert "_bundler_runtime" not in result.stderr
    assert lines[-1] == "KeyError: 'missing'"


@pytest.mark.parametrize(("args", "code"), [(("code", "3"), 3), (("exit", "7"), 7), ((), 0)])
def test_exit_status_comes_from_the_entry_point(
    demo: Path, run_app: Runner, args: tuple[str, ...], code: int
) -> None:
    assert run_app(demo, *args).returncode == code


def test_keyboard_interrupt_exits_130_quietly(demo: Path, run_app: Runner) -> None:
    result = run_app(demo, "interrupt")
    assert result.returncode == 130
    assert result.stderr == ""


def test_requires_python_names_both_versions(tmp_path: Path, run_app: Runner) -> None:
    python39 = find_python("3.9")
    if python39 is None:
        pytest.skip("Python 3.9 is not installed here")
    root = write_project(
        tmp_path,
        {
            "pyproject.toml": pyproject(scripts={"demo": "demo.cli:main"}).replace(
                'version = "1.0"', 'version = "1.0"\nrequires-python = ">=3.10"'
            ),
            "demo/__init__.py": "",
            "demo/cli.py": "def main():\n    return 0\n",
        },
    )
    built = run_bundle("build", root, "-o", root / "app.pyz", "-q", "--no-install")
    assert built.returncode == 0
    result = run_app(root / "app.pyz", python=python39)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "demo requires Python >=3.10, but this is Python 3.9." in result.stderr


def test_corrupt_payload_is_one_clear_line(demo: Path, run_app: Runner, tmp_path: Path) -> None:
    data = bytearray(demo.read_bytes())
    with zipfile.ZipFile(demo) as outer:
        info = outer.getinfo(".bundle/payload.zip")
    # Flip bytes in the middle of the payload: somewhere inside a member's data.
    middle = info.header_offset + info.compress_size // 2
    data[middle : middle + 64] = bytes(64)
    damaged = tmp_path / "damaged.pyz"
    damaged.write_bytes(bytes(data))
    result = run_app(damaged, "fail")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("damaged.pyz: error: ")
    assert "is corrupt" in result.stderr or "damaged" in result.stderr
