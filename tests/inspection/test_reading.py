"""Reading an archive: its manifest, payload sizes, metadata, SBOM; one line for anything
that is not a readable archive of ours."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from bundler.errors import InspectError
from bundler.inspection.reading import read_archive
from bundler.runtime import FORMAT_VERSION
from tests.inspection.views import FILES, manifest, write_archive


def test_reads_manifest_files_metadata_and_no_sbom(tmp_path: Path) -> None:
    view = read_archive(write_archive(tmp_path / "app.pyz"))
    assert view.format == FORMAT_VERSION
    assert view.files["dep/core.py"] == len(FILES["dep/core.py"])
    assert view.metadata["dep-2.0.dist-info"]["License-Expression"] == "MIT"
    assert "dep/core.py" in view.records["dep-2.0.dist-info"]
    assert (view.sbom, view.built_at) == (None, None)


def test_reads_the_sbom_in_the_apps_own_dist_info(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "app.pyz")
    view = read_archive(archive)
    assert view.sbom is None
    with zipfile.ZipFile(archive) as outer:
        payload = outer.read(".bundle/payload.zip")
        manifest_bytes = outer.read(".bundle/manifest.json")
    inner = io.BytesIO(payload)
    with zipfile.ZipFile(inner, "a") as zipped:
        zipped.writestr("app-1.0.dist-info/sboms/bundle.cdx.json", '{"bomFormat": "CycloneDX"}')
        zipped.writestr("dep-2.0.dist-info/sboms/bundle.cdx.json", "not the app's")
    with zipfile.ZipFile(archive, "w") as outer:
        outer.writestr(".bundle/payload.zip", inner.getvalue())
        outer.writestr(".bundle/manifest.json", manifest_bytes)
    assert read_archive(archive).sbom == b'{"bomFormat": "CycloneDX"}'


def test_an_older_format_is_read_with_what_it_has(tmp_path: Path) -> None:
    old = {k: v for k, v in manifest(format=3).items() if k not in ("resolution", "settings")}
    view = read_archive(write_archive(tmp_path / "old.pyz", old))
    assert (view.format, "resolution" in view.manifest) == (3, False)


def test_the_build_time_is_the_stamp_of_the_manifest(tmp_path: Path) -> None:
    archive = tmp_path / "app.pyz"
    write_archive(archive)
    with zipfile.ZipFile(archive) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(archive, "w") as target:
        for info, data in members:
            info.date_time = (2023, 11, 14, 22, 13, 20)
            target.writestr(info, data)
    assert read_archive(archive).built_at == 1700000000


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"format": FORMAT_VERSION + 1, "shape": "new"},
            f"uses archive format {FORMAT_VERSION + 1}, newer than this bundle reads",
        ),
        ({"format": 5, "app": {}}, "is damaged (its manifest lacks the app, entry or modules)"),
    ],
)
def test_a_manifest_without_its_keys_is_one_line(
    tmp_path: Path, document: dict[str, object], message: str
) -> None:
    archive = write_archive(tmp_path / "app.pyz", document)
    with pytest.raises(InspectError, match=re.escape(message)):
        read_archive(archive)


def test_a_manifest_that_is_not_json_is_damage(tmp_path: Path) -> None:
    archive = tmp_path / "app.pyz"
    with zipfile.ZipFile(archive, "w") as outer:
        outer.writestr(".bundle/manifest.json", "{not json")
    with pytest.raises(InspectError) as caught:
        read_archive(archive)
    assert str(caught.value) == (
        f"{archive} is damaged (its manifest is not JSON); rebuild or re-download it"
    )
