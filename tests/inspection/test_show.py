"""The human lines of ``bundle inspect``."""

from __future__ import annotations

from pathlib import Path

from bundler.inspection.facts import inspect_document
from bundler.inspection.reading import read_archive
from bundler.inspection.show import inspect_lines
from bundler.progress import human_size
from bundler.runtime import FORMAT_VERSION
from tests.inspection.views import manifest, write_archive


def test_lines_name_every_fact(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "app.pyz")
    document = inspect_document(read_archive(archive))
    lines = list(inspect_lines(document))
    size = archive.stat().st_size
    sizes = [human_size(d["size"]) for d in document["distributions"]]
    assert (
        lines[0]
        == f"app 1.0 ({archive.absolute()}, {size / 1024:.0f} KiB, format {FORMAT_VERSION})"
    )
    assert lines[1:9] == [
        "  entry point      app.cli:main",
        "  requires-python  >=3.9 (runs on any Python 3.9+)",
        "  resolved for     CPython 3.11.7 (cp311)",
        "  built            no time recorded (SOURCE_DATE_EPOCH was not set)",
        f"  content hash     {'c' * 64}",
        "  built by         bundler 0.1.0 on Python 3.11.7",
        "  modules          2 project, 4 third-party",
        "  SBOM             none",
    ]
    assert lines[9:13] == [
        "distributions (3):",
        f"  app 1.0         {sizes[0]:>9}  -",
        f"  dep 2.0         {sizes[1]:>9}  MIT",
        f"  extra-tool 3.1  {sizes[2]:>9}  BSD",
    ]
    assert lines[-2:] == ["extracted at run time:", "  dep: native code: 1 extension module (9 B)"]


def test_an_archive_of_another_format_gets_a_note(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "app.pyz", manifest(format=4))
    lines = list(inspect_lines(inspect_document(read_archive(archive))))
    assert "  note             archive format 4: another bundler wrote it" in lines


def test_several_targets_are_named(tmp_path: Path) -> None:
    targets = [
        {
            "name": "linux",
            "python": "3.12",
            "implementation": "cp",
            "abi": "cp312",
            "platform": "manylinux_2_28_x86_64",
        },
        {
            "name": "mac",
            "python": "3.12",
            "implementation": "cp",
            "abi": "cp312",
            "platform": "macosx_11_0_arm64",
        },
    ]
    archive = write_archive(tmp_path / "app.pyz", manifest(targets=targets))
    lines = list(inspect_lines(inspect_document(read_archive(archive))))
    assert lines[3] == (
        "  resolved for     linux: CPython 3.12 (cp312, manylinux_2_28_x86_64); "
        "mac: CPython 3.12 (cp312, macosx_11_0_arm64)"
    )
