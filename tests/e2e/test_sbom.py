"""The SBOM of a real build: CycloneDX 1.6 valid against its published schema, every bundled
distribution with its version, license, the SHA-256 of the wheel pip installed and its
package URL, stored in the app's own dist-info (PEP 770) and written by ``--sbom FILE``."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from tests.conftest import Runner, assert_user_error, run_bundle
from tests.helpers.cyclonedx import cyclonedx_errors
from tests.helpers.projects import setuptools_app
from tests.helpers.wheels import write_wheel

MEMBER = "acme_app-1.0.dist-info/sboms/bundle.cdx.json"


def _payload(archive: Path) -> zipfile.ZipFile:
    with zipfile.ZipFile(archive) as outer:
        return zipfile.ZipFile(io.BytesIO(outer.read(".bundle/payload.zip")))


def test_the_sbom_lists_every_distribution_and_is_stored_in_the_apps_dist_info(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    wheels = tmp_path / "wheels"
    licensed = write_wheel(
        wheels,
        "licensed-lib",
        "2.1",
        {"licensed_lib/__init__.py": "VALUE = 'licensed'\n"},
        more_metadata=["License-Expression: Apache-2.0"],
    )
    project = setuptools_app(
        tmp_path / "app",
        imports="licensed_lib",
        dependencies=("licensed-lib", "tallyho"),
        extra="",
    )
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "1.0"\n', 'version = "1.0"\nlicense = "MIT"\n')
    )
    out, sbom = tmp_path / "app.pyz", tmp_path / "release" / "app.cdx.json"
    result = run_bundle(
        "build", project, "-o", out, "--sbom", sbom, *offline, "--find-links", wheels, "-q"
    )
    assert result.returncode == 0, result.stderr

    document = json.loads(sbom.read_bytes())
    assert cyclonedx_errors(document) == []
    payload = _payload(out)
    assert payload.read(MEMBER) == sbom.read_bytes()
    record = payload.read("acme_app-1.0.dist-info/RECORD").decode()
    assert f"{MEMBER},sha256=" in record
    assert document["metadata"]["component"]["licenses"] == [{"expression": "MIT"}]
    components = {c["name"]: c for c in document["components"]}
    assert sorted(components) == ["inkwell", "licensed-lib", "tallyho"]
    wheel_sha = hashlib.sha256(licensed.read_bytes()).hexdigest()
    assert components["licensed-lib"] == {
        "type": "library",
        "bom-ref": "pkg:pypi/licensed-lib@2.1",
        "name": "licensed-lib",
        "version": "2.1",
        "licenses": [{"expression": "Apache-2.0"}],
        "hashes": [{"alg": "SHA-256", "content": wheel_sha}],
        "purl": "pkg:pypi/licensed-lib@2.1",
    }
    tallyho = next(Path(offline[-1]).glob("tallyho-*.whl"))
    assert components["tallyho"]["hashes"] == [
        {"alg": "SHA-256", "content": hashlib.sha256(tallyho.read_bytes()).hexdigest()}
    ]
    graph = {node["ref"]: node["dependsOn"] for node in document["dependencies"]}
    assert graph["pkg:pypi/acme-app@1.0"] == ["pkg:pypi/licensed-lib@2.1", "pkg:pypi/tallyho@0.9.2"]
    assert graph["pkg:pypi/tallyho@0.9.2"] == ["pkg:pypi/inkwell@1.4.0"]
    # No path of this machine goes in, and the app still runs.
    assert str(tmp_path) not in sbom.read_text()
    ran = run_app(out)
    assert (ran.returncode, ran.stdout) == (0, "acme-app 1.0 licensed\n")


def test_every_archive_holds_its_sbom_without_asking(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    project = setuptools_app(tmp_path / "app", imports="tallyho", dependencies=("tallyho",))
    out = tmp_path / "app.pyz"
    result = run_bundle("build", project, "-o", out, *offline, "-q")
    assert result.returncode == 0, result.stderr
    document = json.loads(_payload(out).read(MEMBER))
    assert cyclonedx_errors(document) == []
    assert [c["purl"] for c in document["components"]] == [
        "pkg:pypi/inkwell@1.4.0",
        "pkg:pypi/tallyho@0.9.2",
    ]


def test_an_sbom_that_cannot_be_written_stops_the_build_before_it_starts(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    project = setuptools_app(tmp_path / "app", imports="tallyho", dependencies=("tallyho",))
    out = tmp_path / "dist" / "app.pyz"
    result = run_bundle("build", project, "-o", out, "--sbom", "/proc/app.cdx.json", *offline)
    assert_user_error(
        result,
        "cannot write the SBOM to /proc/app.cdx.json: No such file or directory; pass --sbom "
        "a writable path",
    )
    assert not (tmp_path / "dist").exists()
