"""Cache keys of the staging stage: source fingerprints and wheel digests."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bundler.staging.keys import source_fingerprint, wheel_digest
from tests.conftest import pyproject, write_project

# ---------------------------------------------------------------- fingerprints


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": pyproject(),
            "demo/__init__.py": "VALUE = 1\n",
            ".gitignore": "build/\n",
        },
    )


def test_fingerprint_follows_sources(sources: Path) -> None:
    before = source_fingerprint(sources)
    assert source_fingerprint(sources) == before
    (sources / "demo" / "__init__.py").write_text("VALUE = 2\n")
    changed = source_fingerprint(sources)
    assert changed != before
    (sources / "demo" / "extra.py").write_text("")
    assert source_fingerprint(sources) != changed


def test_fingerprint_ignores_build_output_caches_and_venvs(sources: Path) -> None:
    before = source_fingerprint(sources, ignore=[sources / "app.pyz"])
    write_project(
        sources,
        {
            "build/lib/demo/__init__.py": "",
            "dist/demo-1.0.whl": "",
            "demo.egg-info/PKG-INFO": "",
            "demo/__pycache__/x.cpython-311.pyc": "",
            ".git/HEAD": "ref",
            ".tox/log": "",
            "venv/pyvenv.cfg": "home = /usr",
            "venv/lib/site.py": "",
            "app.pyz": "archive",
            ".coverage": "coverage data",
        },
    )
    assert source_fingerprint(sources, ignore=[sources / "app.pyz"]) == before


def test_fingerprint_counts_hidden_files_and_nested_build_packages(sources: Path) -> None:
    before = source_fingerprint(sources)
    (sources / ".gitignore").write_text("dist/\n")  # hatchling reads it
    after_ignore = source_fingerprint(sources)
    assert after_ignore != before
    write_project(sources, {"demo/build/__init__.py": ""})  # a package named build
    assert source_fingerprint(sources) != after_ignore


def _zip(path: Path, members: dict[str, bytes], stamp: tuple[int, ...]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data)  # type: ignore[arg-type]
    return path


def test_wheel_digest_is_blind_to_timestamps_and_order(tmp_path: Path) -> None:
    members = {"demo/__init__.py": b"A = 1\n", "demo-1.0.dist-info/METADATA": b"Name: demo\n"}
    one = _zip(tmp_path / "one.whl", members, (1980, 1, 1, 0, 0, 0))
    reordered = dict(reversed(list(members.items())))
    two = _zip(tmp_path / "two.whl", reordered, (2024, 5, 6, 7, 8, 10))
    assert wheel_digest(one) == wheel_digest(two)
    three = _zip(
        tmp_path / "three.whl", {**members, "demo/__init__.py": b"A = 2\n"}, (1980, 1, 1, 0, 0, 0)
    )
    assert wheel_digest(three) != wheel_digest(one)
