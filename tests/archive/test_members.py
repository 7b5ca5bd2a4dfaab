"""Reading every payload member of a built archive, packed sources included."""

from __future__ import annotations

import zipfile
from pathlib import Path

from bundler.archive.members import member_sizes, open_members
from tests.conftest import SAMPLES, copy_project, run_bundle


def test_packed_sources_are_listed_and_read(tmp_path: Path, offline: tuple[str, ...]) -> None:
    project = copy_project(SAMPLES / "wordstats", tmp_path / "wordstats")
    archive = tmp_path / "app.pyz"
    assert run_bundle("build", project, "-o", archive, "-q", *offline).returncode == 0
    members = open_members(archive)
    assert members is not None
    sizes = member_sizes(members)
    source = (project / "wordstats" / "__main__.py").read_bytes()
    assert members.read("wordstats/__main__.py") == source
    assert sizes["wordstats/__main__.py"] == len(source)
    with zipfile.ZipFile(archive) as outer:
        assert ".bundle/sources" in outer.namelist()  # the sources are packed, not members


def test_an_archive_without_our_index_is_none(tmp_path: Path) -> None:
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as out:
        out.writestr("__main__.py", "print(1)\n")
    assert open_members(plain) is None
    (tmp_path / "text.pyz").write_text("not a zip")
    assert open_members(tmp_path / "text.pyz") is None
