"""``importlib.metadata`` over the archive (runtime/metadata.py): the dist-info
directories of the payload, found by normalised name and read through ArchivePath."""

from __future__ import annotations

import os
import sys
from importlib.metadata import DistributionFinder
from pathlib import Path

import pytest

from bundler.runtime.metadata import ArchiveDistribution, find_distributions
from bundler.runtime.reader import Archive
from bundler.runtime.resources import ArchivePath
from tests.runtime.conftest import DEMO_DISTS, DEMO_FILES


def _found(archive: Archive, name: str | None) -> list[str]:
    """The dist-info directories that match ``name``."""
    context = DistributionFinder.Context(name=name)
    return [dist._path.name for dist in find_distributions(archive, DEMO_DISTS, context)]


@pytest.fixture
def demo(archive: Archive) -> ArchiveDistribution:
    return ArchiveDistribution(ArchivePath(archive, "demo-1.0.dist-info"))


def test_without_a_name_every_distribution_is_found(archive: Archive) -> None:
    assert _found(archive, None) == ["demo-1.0.dist-info", "Other.Dist-2.5.dist-info"]
    assert len(list(find_distributions(archive, DEMO_DISTS))) == 2


@pytest.mark.parametrize("name", ["other-dist", "OTHER_DIST", "other.dist", "Other--Dist"])
def test_names_match_after_normalisation(archive: Archive, name: str) -> None:
    assert _found(archive, name) == ["Other.Dist-2.5.dist-info"]


@pytest.mark.parametrize("name", ["other", "demo-1.0", "dem", "otherdist"])
def test_other_names_match_nothing(archive: Archive, name: str) -> None:
    assert _found(archive, name) == []


def test_read_text_reads_a_file_of_the_dist_info(demo: ArchiveDistribution) -> None:
    assert demo.read_text("METADATA") == DEMO_FILES["demo-1.0.dist-info/METADATA"].decode()


@pytest.mark.parametrize("filename", ["INSTALLER", "", "METADATA/x"])
def test_read_text_of_what_is_not_a_file_is_none(demo: ArchiveDistribution, filename: str) -> None:
    assert demo.read_text(filename) is None


def test_metadata_and_version(demo: ArchiveDistribution) -> None:
    assert (demo.metadata["Name"], demo.version) == ("demo", "1.0")
    assert demo.requires == ["other-dist>=2"]


def test_entry_points(demo: ArchiveDistribution) -> None:
    found = [(ep.group, ep.name, ep.value) for ep in demo.entry_points]
    assert found == [("console_scripts", "demo", "demo.cli:main")]


def test_files_are_listed_from_record_and_readable(demo: ArchiveDistribution) -> None:
    files = demo.files
    assert files is not None
    assert [str(path) for path in files] == [
        "demo/__init__.py",
        "demo/cli.py",
        "demo-1.0.dist-info/METADATA",
    ]
    assert files[1].read_text(encoding="utf-8") == DEMO_FILES["demo/cli.py"].decode()


def test_files_without_record_is_none(archive: Archive) -> None:
    context = DistributionFinder.Context(name="other-dist")
    (other,) = find_distributions(archive, DEMO_DISTS, context)
    assert other.files is None


def test_locate_file_is_relative_to_the_payload_root(
    archive: Archive, demo: ArchiveDistribution
) -> None:
    assert demo.locate_file("demo/cli.py") == ArchivePath(archive, "demo/cli.py")


def test_normalised_name_comes_from_the_directory(archive: Archive) -> None:
    other = ArchiveDistribution(ArchivePath(archive, "Other.Dist-2.5.dist-info"))
    assert other._normalized_name == "other_dist"


def test_a_search_path_without_the_archive_finds_nothing(archive: Archive, tmp_path: Path) -> None:
    """pip asks what a --target directory holds with distributions(path=[target]): the
    archive's distributions are not there, as a virtualenv's are not."""
    other = DistributionFinder.Context(path=[str(tmp_path)])
    assert list(find_distributions(archive, DEMO_DISTS, other)) == []
    assert list(find_distributions(archive, DEMO_DISTS, DistributionFinder.Context(path=[]))) == []


def test_a_search_path_naming_the_archive_or_sys_path_finds_its_distributions(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    relative = os.path.relpath(archive.path)
    named = DistributionFinder.Context(path=["/elsewhere", relative])
    assert len(list(find_distributions(archive, DEMO_DISTS, named))) == 2
    monkeypatch.setattr(sys, "path", [])  # the default search path, whatever it holds
    default = DistributionFinder.Context()
    assert len(list(find_distributions(archive, DEMO_DISTS, default))) == 2
