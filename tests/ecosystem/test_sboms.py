"""SBOMs of archives of published apps: valid CycloneDX 1.6, one component per bundled
distribution, each with the SHA-256 of the very wheel pip installed, its package URL, and
the license its metadata declares in whichever of the three places it declares it."""

from __future__ import annotations

import email.parser
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

from tests.conftest import run_bundle
from tests.helpers.cyclonedx import cyclonedx_errors

pytestmark = pytest.mark.ecosystem


def _wheels(directory: Path) -> dict[str, tuple[Path, email.message.Message]]:
    """Each wheel of ``directory`` by canonical name, with its core metadata."""
    found = {}
    for wheel in directory.glob("*.whl"):
        name = canonicalize_name(parse_wheel_filename(wheel.name)[0])
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = email.parser.BytesHeaderParser().parsebytes(archive.read(member))
        found[name] = (wheel, metadata)
    return found


def _declares_a_license(metadata: email.message.Message) -> bool:
    classifiers = metadata.get_all("Classifier") or []
    return bool(
        (metadata.get("License-Expression") or "").strip()
        or (metadata.get("License") or "").strip().lower() not in ("", "unknown", "none")
        or any(c.startswith("License ::") and c.count("::") > 1 for c in classifiers)
    )


@pytest.mark.parametrize(
    ("requirement", "script"),
    [
        ("httpie==3.2.4", "http"),
        ("cookiecutter==2.7.1", "cookiecutter"),
        ("black==26.10.1", "black"),
    ],
)
def test_the_sbom_of_a_published_app_names_each_wheel_it_came_from(
    requirement: str, script: str, tmp_path: Path, ecosystem_wheels: Path
) -> None:
    out, sbom = tmp_path / "app.pyz", tmp_path / "app.cdx.json"
    built = run_bundle(
        "build", "--with", requirement, "-c", script, "-o", out, "--sbom", sbom,
        "--no-index", "--find-links", ecosystem_wheels, "-q", cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    document = json.loads(sbom.read_bytes())
    assert cyclonedx_errors(document) == []
    app = canonicalize_name(requirement.split("==")[0])
    assert (
        document["metadata"]["component"]["purl"] == f"pkg:pypi/{app}@{requirement.split('==')[1]}"
    )

    with zipfile.ZipFile(out) as outer:
        payload = zipfile.ZipFile(io.BytesIO(outer.read(".bundle/payload.zip")))
    folders = {n.split("/")[0] for n in payload.namelist() if ".dist-info/" in n}
    names = (f.removesuffix(".dist-info").rsplit("-", 1)[0] for f in folders)
    bundled = {canonicalize_name(name) for name in names} - {app}
    components = {canonicalize_name(c["name"]): c for c in document["components"]}
    assert set(components) == bundled
    wheels = _wheels(ecosystem_wheels)
    for name, component in components.items():
        wheel, metadata = wheels[name]
        assert component["version"] == metadata["Version"]
        assert component["purl"] == f"pkg:pypi/{name}@{metadata['Version']}"
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        assert component["hashes"] == [{"alg": "SHA-256", "content": digest}], name
        assert ("licenses" in component) == _declares_a_license(metadata), name
