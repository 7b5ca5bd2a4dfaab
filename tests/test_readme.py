"""The README's examples run as written: its configuration example builds a working archive
and its commands, run from that project, succeed (offline, through pip's own variables);
its tables name every ``[tool.bundle]`` key and every error ``bundle`` owns."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bundler.pyproject import TOOL_KEYS as _TOOL_KEYS
from tests.conftest import REPO, bundle_env, write_project

README = (REPO / "README.md").read_text(encoding="utf-8")
APP = """\
import argparse

try:
    import win32api  # Windows only
except ImportError:
    win32api = None


def main():
    parser = argparse.ArgumentParser(prog="mytool", description="An example.")
    parser.parse_args()
    print("mytool works")
"""


def _block(marker: str) -> str:
    """The fenced block that follows ``<!-- readme-test: MARKER -->``."""
    found = re.search(rf"<!-- readme-test: {re.escape(marker)} -->\n```\w*\n(.*?)```", README, re.S)
    assert found is not None, marker
    return found.group(1)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The configuration example as a project, with the package it names."""
    return write_project(
        tmp_path / "mytool",
        {
            "pyproject.toml": _block("pyproject.toml"),
            "mytool/__init__.py": "",
            "mytool/cli.py": APP,
            "mytool/tests/__init__.py": "",
            "mytool/tests/test_cli.py": "import pytest\n",
        },
    )


def test_configuration_example_and_commands_work_when_pasted(
    example: Path, backend_wheels: Path, clean_python: Path
) -> None:
    env = bundle_env(
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(backend_wheels),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    commands = [line[2:] for line in _block("commands").splitlines() if line.startswith("$ ")]
    assert len(commands) >= 5
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=example,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr}"
    archive = example / "dist" / "mytool.pyz"
    ran = subprocess.run([str(clean_python), str(archive)], capture_output=True, text=True)
    assert (ran.returncode, ran.stdout) == (0, "mytool works\n"), ran.stderr
    document = json.loads((example / "build.json").read_text())
    assert document["archive"]["path"] == str(archive)
    assert "mytool/cli.py" in _members(archive)
    assert (example / "build" / "app.pyz").is_file()
    assert json.loads((example / "cache.json").read_text())["kind"] == "cache"


def _members(archive: Path) -> list[str]:
    """The members that hold the archive's modules, as its manifest lists them (sources
    live in the packs, not in the payload zip)."""
    with zipfile.ZipFile(archive) as outer:
        manifest = json.loads(outer.read(".bundle/manifest.json"))
    return [module["member"] for module in manifest["modules"].values() if module["member"]]


def test_every_tool_bundle_key_is_in_the_configuration_table() -> None:
    section = README.split("### Configuration")[1].split("###")[0]
    assert sorted(k for k in _TOOL_KEYS if f"| `{k}` |" not in section) == []


@pytest.mark.parametrize(
    "line",
    [
        "no pyproject.toml in",
        "unknown key",
        "ambiguous entry point",
        "no script named",
        "leaves out the entry module",
        "names no module of the environment",
        "a relative path that no shell can run",
        "no Python 3.X found",
        "is a directory",
        "cannot create the output directory",
        "cannot write to",
        "pip could not install",
        "the build backend failed",
        "syntax error in",
        "--prune needs --older-than",
        "interrupted",
    ],
)
def test_troubleshooting_covers_the_error(line: str) -> None:
    section = README.split("## Troubleshooting")[1].split("\n## ")[0]
    assert line in section
