"""Why pip found nothing: the tags or Python versions of the files it skipped, as its debug
output names them (pip itself run for real in tests/staging/test_pip.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bundler.staging import wheeltags
from bundler.staging.tools import ToolOutput, ToolSettings
from bundler.staging.wheeltags import missing_wheel

PIP = ["python", "-m", "pip"]
SKIPPED_TAGS = (
    "Skipping link: none of the wheel's tags (cp312-cp312-manylinux_2_17_x86_64) are "
    "compatible (run pip debug --verbose to show compatible tags): "
    "file:///w/orjson-3.13.0-cp312-cp312-manylinux_2_17_x86_64.whl"
)
OTHER_PROJECT = (
    "Skipping link: none of the wheel's tags (cp313-cp313-win_amd64) are compatible "
    "(run pip debug --verbose to show compatible tags): file:///w/other-1.0-cp313-cp313-win_amd64.whl"
)
WRONG_PYTHON = (
    "Link requires a different Python (3.11.7 not in: '>=3.13'): "
    "https://files.example/orjson-4.0-py3-none-any.whl#sha256=00"
)


def _answer(monkeypatch: pytest.MonkeyPatch, *lines: str) -> list[list[str]]:
    commands: list[list[str]] = []

    def fake(command: Sequence[str], *, settings: ToolSettings, what: str) -> ToolOutput:
        commands.append(list(command))
        return ToolOutput(1, lines)

    monkeypatch.setattr(wheeltags, "run_tool", fake)
    return commands


def test_skipped_wheels_of_the_distribution_are_named_with_their_tags(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands = _answer(monkeypatch, SKIPPED_TAGS, OTHER_PROJECT)
    found = missing_wheel(
        "No matching distribution found for orjson==3.13.0",
        PIP,
        ["--no-index"],
        ToolSettings(temp_dir=tmp_path),
    )
    assert found.message == (
        "no wheel of orjson==3.13.0 for this Python and platform: the wheels found (3.13.0) are "
        "tagged cp312-cp312-manylinux_2_17_x86_64; pass --python an interpreter they support, "
        "or add a wheel for this one (or its sdist) where pip looks"
    )
    [command] = commands
    assert command[:4] == [*PIP, "download"]
    assert command[-5:] == [
        "-vvv",
        "--disable-pip-version-check",
        "--no-index",
        "--",
        "orjson==3.13.0",
    ]


def test_releases_for_other_pythons_name_what_they_require(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _answer(monkeypatch, WRONG_PYTHON)
    found = missing_wheel("No matching distribution found for orjson", PIP, [], ToolSettings())
    assert found.message == (
        "every release of orjson found (4.0) requires Python >=3.13; pick a version that "
        "supports the target, or pass --python another interpreter"
    )


def test_nothing_skipped_means_the_name_or_version_is_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _answer(monkeypatch, OTHER_PROJECT)
    found = missing_wheel("No matching distribution found for orjson", PIP, [], ToolSettings())
    assert (found.message, found.lines) == (None, (OTHER_PROJECT,))
    assert missing_wheel("some other failure", PIP, [], ToolSettings()).message is None
