"""bundler bundled by itself: the release job's own steps (``.ci/build-pyz``, which
.github/workflows/release.yml runs) make ``bundle.pyz``, its SHA-256 and SBOM offline; then
``python bundle.pyz build`` with an interpreter that has no pip of its own bundles a sample
project (pip and the build backend run for the target from inside the archive), and that
archive runs."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES, Runner, bundle_env, copy_project
from tests.helpers.cyclonedx import cyclonedx_errors
from tests.helpers.downloads import download_wheels

# What .ci/build-pyz installs and bundles, at the newest releases that pyz-constraints.txt
# allows, downloaded once (tests/helpers/downloads.py).
RELEASE_WHEELS = (
    "setuptools==84.2.1",
    "pip==23.2.1",
    "build==1.4.4",
    "pyproject_hooks==1.3.3",
    "packaging==26.3",
    "tomli==2.5.0",
    "importlib-metadata==8.7.1",
    "zipp==3.23.1",
)
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


@pytest.fixture(scope="module")
def release_wheels() -> Path:
    return download_wheels("release", RELEASE_WHEELS)


def _checkout(dest: Path) -> Path:
    """The repository's files as a fresh clone of this work tree has them (no build/, no
    caches, but the changes not yet committed)."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        return copy_project(REPO, dest)
    for name in listed.stdout.decode().split("\0"):
        if name and (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    return dest


def test_the_release_job_runs_the_steps_this_test_runs() -> None:
    text = WORKFLOW.read_text()
    assert re.search(r"^\s+\.ci/build-pyz dist$", text, re.MULTILINE)
    assert "bundle check dist/bundle.pyz" in text
    for name in ("dist/bundle.pyz", "dist/bundle.pyz.sha256", "dist/bundle.cdx.json"):
        assert name in text


def test_bundle_pyz_built_by_the_release_steps_bundles_a_sample_offline(
    tmp_path: Path,
    release_wheels: Path,
    offline: tuple[str, ...],
    clean_python: Path,
    run_app: Runner,
) -> None:
    repo = _checkout(tmp_path / "bundler")
    dist = tmp_path / "dist"
    env = bundle_env(
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(release_wheels),
        BUNDLER_BUILD_CACHE=str(tmp_path / "build-cache"),
    )
    made = subprocess.run(
        ["bash", str(repo / ".ci" / "build-pyz"), str(dist), "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert made.returncode == 0, made.stderr
    pyz = dist / "bundle.pyz"
    sha256 = hashlib.sha256(pyz.read_bytes()).hexdigest()
    assert (dist / "bundle.pyz.sha256").read_text() == f"{sha256}  bundle.pyz\n"
    sbom = json.loads((dist / "bundle.cdx.json").read_text())
    assert cyclonedx_errors(sbom) == []
    assert sbom["metadata"]["component"]["name"] == "bundler"
    bundled = {c["name"] for c in sbom["components"]}
    assert {"pip", "build", "pyproject_hooks", "packaging"} <= bundled

    # bundle.pyz, run by an interpreter without pip, builds a sample offline.
    sample = copy_project(SAMPLES / "wordstats", tmp_path / "wordstats")
    app = tmp_path / "wordstats.pyz"
    built = subprocess.run(
        [str(clean_python), str(pyz), "build", str(sample), "-o", str(app), *offline, "-q"],
        capture_output=True,
        text=True,
        env=bundle_env(BUNDLER_BUILD_CACHE=str(tmp_path / "sample-cache")),
        timeout=900,
    )
    assert built.returncode == 0, built.stderr
    assert built.stdout == f"{app}\n"
    text = tmp_path / "words.txt"
    text.write_text("one two two\n")
    ran = run_app(app, str(text))
    assert ran.returncode == 0, ran.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", ran.stdout)  # its table's colours
    assert re.search(r"^words\s+3$", plain, re.MULTILINE), plain

    # A target staged without its interpreter: pip runs under the wrapper that sets the
    # target's markers, importing the archive's extracted pip (not the interpreter's: it
    # has none).
    foreign = tmp_path / "wordstats-win.pyz"
    target = ("--platform", "win_amd64")
    built = subprocess.run(
        [str(clean_python), str(pyz), "build", str(sample), "-o", str(foreign), *target, *offline],
        capture_output=True,
        text=True,
        env=bundle_env(BUNDLER_BUILD_CACHE=str(tmp_path / "sample-cache")),
        timeout=900,
    )
    assert built.returncode == 0, built.stderr
    assert "-win_amd64" in built.stderr
