"""The archive writer: determinism, layout, permissions and atomic replacement."""

from __future__ import annotations

import json
import marshal
import os
import stat
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import pyproject, run_bundle, write_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": pyproject("demo", scripts={"demo": "demo.cli:main"}),
            "demo/__init__.py": "",
            "demo/cli.py": "from demo import helpers\ndef main():\n    print(helpers.VALUE)\n",
            "demo/helpers.py": "VALUE = 'from the archive'\n",
            "demo/data/words.txt": "alpha\nbeta\n",
        },
    )


def build(project: Path, output: Path, **env: str) -> None:
    # The writer is under test, not staging: resolve against this environment as it is.
    result = run_bundle("build", project, "-o", output, "-q", "--no-install", env=env)
    assert result.returncode == 0, result.stderr


def test_two_builds_are_byte_identical(project: Path, tmp_path: Path) -> None:
    build(project, tmp_path / "one.pyz")
    build(project, tmp_path / "two.pyz")
    assert (tmp_path / "one.pyz").read_bytes() == (tmp_path / "two.pyz").read_bytes()


def test_source_date_epoch_sets_every_timestamp(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "app.pyz"
    build(project, output, SOURCE_DATE_EPOCH="1700000000")
    with zipfile.ZipFile(output) as outer:
        stamps = {info.date_time for info in outer.infolist()}
        with zipfile.ZipFile(outer.open(".bundle/payload.zip")) as inner:
            stamps |= {info.date_time for info in inner.infolist()}
    assert stamps == {(2023, 11, 14, 22, 13, 20)}


def test_members_are_sorted_with_fixed_permissions(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "app.pyz"
    build(project, output)
    with zipfile.ZipFile(output) as outer:
        names = outer.namelist()
        assert names[:2] == [".bundle/payload.zip", ".bundle/sources"]
        assert names[2:] == sorted(names[2:])
        with zipfile.ZipFile(outer.open(".bundle/payload.zip")) as inner:
            inner_names = inner.namelist()
            modes = {info.external_attr >> 16 for info in inner.infolist()}
    assert inner_names == sorted(inner_names)
    assert "demo/data/words.txt" in inner_names
    assert f"demo/__pycache__/cli.{sys.implementation.cache_tag}.pyc" in inner_names
    assert modes == {0o644}


def test_archive_starts_with_sh_header_and_is_executable(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "app.pyz"
    build(project, output)
    assert output.read_bytes().startswith(b"#!/bin/sh\n: 'If Python shows this line, this file")
    assert output.stat().st_mode & stat.S_IXUSR


def test_no_build_machine_paths_inside(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "app.pyz"
    build(project, output)
    everything = _all_member_bytes(output)
    assert str(project).encode() not in everything
    assert str(tmp_path).encode() not in everything
    assert os.fsencode(Path.home()) not in everything


def test_manifest_describes_the_build(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "app.pyz"
    build(project, output)
    with zipfile.ZipFile(output) as outer:
        manifest = json.loads(outer.read(".bundle/manifest.json"))
    assert manifest["entry"] == "demo.cli:main"
    assert manifest["app"] == {"name": "demo", "version": "1.0"}
    assert manifest["modules"]["demo.cli"] == {
        "member": "demo/cli.py",
        "package": False,
        "kind": "project",
    }
    assert len(manifest["build"]["content_hash"]) == 64


def test_rebuild_replaces_the_output_atomically(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "app.pyz"
    build(project, output, SOURCE_DATE_EPOCH="1700000000")
    inode_before = output.stat().st_ino
    build(project, output)
    assert output.read_bytes().startswith(b"#!")
    assert output.stat().st_ino != inode_before  # renamed into place, not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.pyz", "proj"]


def _all_member_bytes(archive: Path) -> bytes:
    chunks = []
    with zipfile.ZipFile(archive) as outer:
        for name in outer.namelist():
            chunks.append(outer.read(name))
        with zipfile.ZipFile(outer.open(".bundle/payload.zip")) as inner:
            chunks.extend(inner.read(name) for name in inner.namelist())
    return b"\n".join(chunks)


def test_start_up_index_does_not_grow_with_the_number_of_modules(tmp_path: Path) -> None:
    """Start-up reads .bundle/index only; modules are listed in per-directory chunks."""
    files = {
        "pyproject.toml": pyproject("big", scripts={"big": "big.cli:main"}),
        "big/__init__.py": "",
        "big/cli.py": "def main():\n    return 0\n",
    }
    for group in range(4):
        files[f"big/bulk/g{group}/__init__.py"] = ""
        for number in range(250):
            files[f"big/bulk/g{group}/m{number}.py"] = f"VALUE = {number}\n"
    project = write_project(tmp_path / "big", files)
    output = tmp_path / "big.pyz"
    result = run_bundle("build", project, "-o", output, "-q", "--no-install")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(output) as outer:
        index = marshal.loads(outer.read(".bundle/index"))
        chunks = outer.getinfo(".bundle/chunks")
    assert "modules" not in index and "files" not in index
    assert sorted(index["chunks"]) == [
        "",
        "big",
        "big-1.0.dist-info",
        "big-1.0.dist-info/sboms",  # the SBOM every archive carries (bundler.sbom)
        "big/bulk",
        "big/bulk/g0",
        "big/bulk/g1",
        "big/bulk/g2",
        "big/bulk/g3",
    ]
    size = len(marshal.dumps(index))
    assert size < 2048, size
    # No back-references (marshal format 2): their presence depends on reference counts
    # in the build process, which made equal builds differ.
    raw = outer_bytes(output, ".bundle/index")
    assert marshal.dumps(marshal.loads(raw), 2) == raw
    assert chunks.compress_type == zipfile.ZIP_STORED


def outer_bytes(archive: Path, member: str) -> bytes:
    with zipfile.ZipFile(archive) as outer:
        return outer.read(member)
