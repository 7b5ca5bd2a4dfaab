"""Unit tests of bundler.sbom: a valid, deterministic CycloneDX 1.6 document of the bundled
distributions, stored in the app's own dist-info and listed in its RECORD."""

from __future__ import annotations

import json
import os
import types
from collections.abc import Sequence
from pathlib import Path

import pytest

from bundler import sbom
from bundler.config import ProjectMetadata
from bundler.distribution import read_distribution
from bundler.environment import Distribution
from bundler.errors import SbomError
from bundler.plan.payload import Payload
from bundler.sbom import attach_sbom, check_sbom_path, make_sbom, purl, write_sbom
from tests.helpers.cyclonedx import SCHEMAS, cyclonedx_errors

SHA = "ab" * 32
MARKERS = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux"}


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _dist(site: Path, name: str, version: str, metadata: Sequence[str] = ()) -> Distribution:
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True)
    lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}", *metadata]
    (folder / "METADATA").write_text("\n".join(lines) + "\n\n")
    (folder / "RECORD").write_text(f"{folder.name}/METADATA,,\r\n")
    found = read_distribution(folder)
    assert found is not None
    return found


@pytest.fixture
def dists(tmp_path: Path) -> list[Distribution]:
    return [
        _dist(
            tmp_path,
            "tallyho",
            "0.9.2",
            [
                "License-Expression: MIT OR Apache-2.0",
                "Requires-Dist: inkwell>=1.0",
                "Requires-Dist: Zope.Interface-x; python_version < '3'",
                "Requires-Dist: absent-thing",
            ],
        ),
        _dist(tmp_path, "Zope.Interface_x", "1.0+local.1", ["License: Zope Public License"]),
        _dist(
            tmp_path,
            "acme-app",
            "2.0",
            ["Summary: The app", "License-Expression: MIT", "Requires-Dist: tallyho"],
        ),
        _dist(tmp_path, "inkwell", "1.4.0"),
    ]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["License-Expression: MIT OR Apache-2.0"], {"expression": "MIT OR Apache-2.0"}),
        (["License: MIT"], {"license": {"id": "MIT"}}),
        (["License: BSD"], {"license": {"name": "BSD"}}),
        (
            ["Classifier: License :: OSI Approved :: MIT License"],
            {"license": {"name": "MIT License"}},
        ),
    ],
)
def test_a_license_is_an_expression_an_id_or_a_name_as_its_metadata_allows(
    tmp_path: Path,
    lines: list[str],
    expected: dict,  # type: ignore[type-arg]
) -> None:
    dist = _dist(tmp_path, "lib", "1.0", lines)
    document = json.loads(make_sbom(None, "app", "1", [dist], {}).data)
    assert cyclonedx_errors(document) == []
    assert document["components"][0]["licenses"] == [expected]


def _document(dists: list[Distribution], hashes: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    app = next(d for d in dists if d.name == "acme-app")
    sbom = make_sbom(app, "acme-app", "2.0", dists, hashes or {"tallyho": SHA})
    return json.loads(sbom.data)  # type: ignore[no-any-return]


def test_the_document_is_valid_cyclonedx_with_every_distribution(
    dists: list[Distribution], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    document = _document(dists)
    assert cyclonedx_errors(document) == []
    assert document["specVersion"] == "1.6"
    assert "timestamp" not in document["metadata"]
    assert document["metadata"]["component"] == {
        "type": "application",
        "bom-ref": "pkg:pypi/acme-app@2.0",
        "name": "acme-app",
        "version": "2.0",
        "purl": "pkg:pypi/acme-app@2.0",
        "description": "The app",
        "licenses": [{"expression": "MIT"}],
    }
    assert document["components"] == [
        {
            "type": "library",
            "bom-ref": "pkg:pypi/inkwell@1.4.0",
            "name": "inkwell",
            "version": "1.4.0",
            "purl": "pkg:pypi/inkwell@1.4.0",
        },
        {
            "type": "library",
            "bom-ref": "pkg:pypi/tallyho@0.9.2",
            "name": "tallyho",
            "version": "0.9.2",
            "licenses": [{"expression": "MIT OR Apache-2.0"}],
            "hashes": [{"alg": "SHA-256", "content": SHA}],
            "purl": "pkg:pypi/tallyho@0.9.2",
        },
        {
            "type": "library",
            "bom-ref": "pkg:pypi/zope-interface-x@1.0%2Blocal.1",
            "name": "Zope.Interface_x",
            "version": "1.0+local.1",
            "licenses": [{"license": {"name": "Zope Public License"}}],
            "purl": "pkg:pypi/zope-interface-x@1.0%2Blocal.1",
        },
    ]


def test_the_same_inputs_give_the_same_bytes_and_other_inputs_another_serial(
    dists: list[Distribution],
) -> None:
    first, again = _document(dists), _document(dists)
    assert first == again
    assert first["serialNumber"].startswith("urn:uuid:")
    other = _document(dists, {"tallyho": "cd" * 32})
    assert other["serialNumber"] != first["serialNumber"]


def test_the_time_comes_from_source_date_epoch_only(
    dists: list[Distribution], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    document = _document(dists)
    assert document["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    assert cyclonedx_errors(document) == []


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("Foo_Bar.baz", "1.0", "pkg:pypi/foo-bar-baz@1.0"),
        ("PyYAML", "6.0.2", "pkg:pypi/pyyaml@6.0.2"),
        ("x", "1.0+cpu", "pkg:pypi/x@1.0%2Bcpu"),
    ],
)
def test_package_urls_follow_the_purl_rules_for_pypi(
    name: str, version: str, expected: str
) -> None:
    assert purl(name, version) == expected


def _payload(dists: list[Distribution]) -> Payload:
    files: dict[str, Path | bytes] = {}
    for dist in dists:
        files[f"{dist.dist_info.name}/METADATA"] = dist.dist_info / "METADATA"
        files[f"{dist.dist_info.name}/RECORD"] = dist.dist_info / "RECORD"
    return Payload(files=files, modules=(), distributions=tuple(d.dist_info.name for d in dists))


class _Env:
    def __init__(self, dists: list[Distribution]) -> None:
        self.distributions = tuple(dists)
        self.interpreter = types.SimpleNamespace(markers=MARKERS)


def test_the_sbom_goes_into_the_apps_dist_info_and_its_record(dists: list[Distribution]) -> None:
    app = ProjectMetadata(name="acme-app", version="2.0")
    payload, sbom = attach_sbom(_payload(dists), _Env(dists), app, {})  # type: ignore[arg-type]
    member = "acme_app-2.0.dist-info/sboms/bundle.cdx.json"
    assert payload.files[member] == sbom.data
    record = payload.files["acme_app-2.0.dist-info/RECORD"]
    assert isinstance(record, bytes)
    rows = record.decode().split("\r\n")
    assert rows[0] == "acme_app-2.0.dist-info/METADATA,,"
    assert rows[1].startswith(f"{member},sha256=") and rows[1].endswith(f",{len(sbom.data)}")
    assert rows[2:] == [""]
    assert sbom.components == 3


def test_without_the_apps_dist_info_the_payload_is_unchanged(dists: list[Distribution]) -> None:
    others = [d for d in dists if d.name != "acme-app"]
    before = _payload(others)
    app = ProjectMetadata(name="acme-app", version="2.0")
    payload, sbom = attach_sbom(before, _Env(others), app, {})  # type: ignore[arg-type]
    assert payload == before
    assert json.loads(sbom.data)["metadata"]["component"]["name"] == "acme-app"


def test_an_sbom_path_that_cannot_be_written_is_refused_before_the_build(tmp_path: Path) -> None:
    with pytest.raises(SbomError) as caught:
        check_sbom_path(tmp_path)
    assert str(caught.value) == f"--sbom {tmp_path} is a directory: name the file to write"
    with pytest.raises(SbomError) as caught:
        check_sbom_path(Path("/proc/bundle.cdx.json"))
    assert str(caught.value).startswith("cannot write the SBOM to /proc/bundle.cdx.json: ")
    check_sbom_path(tmp_path / "sbom.json")
    assert list(tmp_path.iterdir()) == []


def test_the_sbom_file_is_written_whole_with_the_umasks_mode(
    dists: list[Distribution], tmp_path: Path
) -> None:
    sbom = make_sbom(None, "acme-app", "2.0", dists, {})
    out = tmp_path / "out"
    out.mkdir()
    write_sbom(sbom, out / "sbom.json")
    assert (out / "sbom.json").read_bytes() == sbom.data
    assert [p.name for p in out.iterdir()] == ["sbom.json"]  # no temporary file left
    assert (out / "sbom.json").stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_the_requirements_between_bundled_distributions_are_the_dependency_graph(
    dists: list[Distribution],
) -> None:
    app = ProjectMetadata(name="acme-app", version="2.0")
    _, sbom = attach_sbom(_payload(dists), _Env(dists), app, {})  # type: ignore[arg-type]
    document = json.loads(sbom.data)
    assert cyclonedx_errors(document) == []
    # Only what is bundled, where the marker holds on the target (not python_version < 3).
    assert document["dependencies"] == [
        {"ref": "pkg:pypi/acme-app@2.0", "dependsOn": ["pkg:pypi/tallyho@0.9.2"]},
        {"ref": "pkg:pypi/inkwell@1.4.0", "dependsOn": []},
        {"ref": "pkg:pypi/tallyho@0.9.2", "dependsOn": ["pkg:pypi/inkwell@1.4.0"]},
        {"ref": "pkg:pypi/zope-interface-x@1.0%2Blocal.1", "dependsOn": []},
    ]


def test_every_license_id_the_sbom_writes_is_on_the_spdx_list() -> None:
    listed = json.loads((SCHEMAS / "spdx.schema.json").read_text())["enum"]
    assert sorted(sbom._SPDX_IDS - set(listed)) == []
