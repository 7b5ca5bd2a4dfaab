"""``bundle build --installer pip|uv``: the same archive, byte for byte, whichever installed
the same wheels; uv by default where it is importable; uv asked for where it is not is one
line, exit status 2, nothing written."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

from tests.conftest import (
    Runner,
    assert_user_error,
    leftovers,
    pyproject,
    report_lines,
    run_bundle,
    write_project,
)
from tests.e2e.test_project_layouts import _pylock
from tests.helpers.projects import setuptools_app
from tests.staging.conftest import SETUPTOOLS
from tests.staging.test_canonical import shipper_wheels


def _project(root: Path) -> Path:
    files = {
        "pyproject.toml": SETUPTOOLS
        + pyproject("mover", scripts={"mover": "mover:main"}, dependencies=("shipper",)),
        "mover/__init__.py": (
            "import shipper\n\n\ndef main():\n    shipper.main()\n    print('moved')\n"
        ),
    }
    return write_project(root, files)


def _payload(archive: Path) -> zipfile.ZipFile:
    with zipfile.ZipFile(archive) as outer:
        return zipfile.ZipFile(io.BytesIO(outer.read(".bundle/payload.zip")))


def test_pip_and_uv_build_the_same_archive(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    house = shipper_wheels(tmp_path / "wheels")
    project = _project(tmp_path / "mover")
    archives = {}
    for installer in ("pip", "uv"):
        archive = tmp_path / f"{installer}.pyz"
        args = (*offline, "--find-links", house, "--installer", installer)
        result = run_bundle("build", project, "-o", archive, *args)
        assert result.returncode == 0, result.stderr
        assert "bundle: staged 3 distributions (built mover-1.0-py3-none-any.whl, " in (
            result.stderr
        )
        assert f"{installer} install) in " in result.stderr
        archives[installer] = archive.read_bytes()
    assert archives["pip"] == archives["uv"]
    result = run_app(tmp_path / "uv.pyz")
    assert (result.returncode, result.stdout) == (0, "shipped\nmoved\n")
    payload = _payload(tmp_path / "uv.pyz")
    assert payload.read("shipper-1.0.dist-info/INSTALLER") == b"bundler\n"
    names = payload.namelist()
    assert "shipper-1.0.data/scripts/shipper-report" in names  # the wheel's own script
    assert "shipper-1.0.data/scripts/shipit" not in names  # an installer's launcher
    assert not [name for name in names if name.endswith(("REQUESTED", "uv_cache.json"))]
    sbom = json.loads(next(payload.read(n) for n in names if n.endswith(".cdx.json")))
    hashes = {c["name"]: [h["content"] for h in c.get("hashes", [])] for c in sbom["components"]}
    for name in ("shipper", "cargo"):
        wheel = next(house.glob(f"{name}-*.whl"))
        assert hashes[name] == [hashlib.sha256(wheel.read_bytes()).hexdigest()]


def test_uv_installs_by_default_where_it_is_importable(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    house = shipper_wheels(tmp_path / "wheels")
    out = tmp_path / "app.pyz"
    args = ("--with", "shipper", "-c", "shipit", "-o", out, *offline, "--find-links", house)
    result = run_bundle("build", *args, cwd=tmp_path, env={"BUNDLER_INSTALLER": ""})
    assert result.returncode == 0, result.stderr
    assert "bundle: staged 2 distributions (uv install) in <seconds>" in report_lines(result)


def test_uv_asked_for_but_not_importable_is_one_line_and_writes_nothing(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    hidden = tmp_path / "no-uv"
    hidden.mkdir()
    (hidden / "uv.py").write_text("raise ImportError('uv is not here')\n")
    out = tmp_path / "out" / "app.pyz"
    result = run_bundle(
        "build",
        "--with",
        "shipper",
        "-o",
        out,
        *offline,
        "--installer",
        "uv",
        cwd=tmp_path,
        env={"PYTHONPATH": str(hidden)},
    )
    assert_user_error(
        result,
        f"--installer uv: uv is not installed for {sys.executable}, which runs bundle; install "
        f"it with '{sys.executable} -m pip install uv', or build with --installer pip",
        status=2,
    )
    assert leftovers(tmp_path / "out") == []


def test_a_pylock_installs_the_same_archive_with_its_hashes_in_the_sbom(
    tmp_path: Path, offline: tuple[str, ...], wheelhouse: Path
) -> None:
    project = setuptools_app(tmp_path / "app", imports="tallyho", dependencies=("tallyho",))
    lock = _pylock(tmp_path / "pylock.toml", wheelhouse, "\"os_name == 'posix'\"")
    archives = {}
    for installer in ("pip", "uv"):
        out = tmp_path / f"{installer}.pyz"
        result = run_bundle(
            "build", project, "-o", out, *offline, "-r", lock, "--installer", installer
        )
        assert result.returncode == 0, result.stderr
        archives[installer] = out.read_bytes()
    assert archives["pip"] == archives["uv"]
    payload = _payload(tmp_path / "uv.pyz")
    sbom = json.loads(next(payload.read(n) for n in payload.namelist() if n.endswith(".cdx.json")))
    hashes = {c["name"]: [h["content"] for h in c.get("hashes", [])] for c in sbom["components"]}
    for name in ("inkwell", "tallyho"):
        wheel = next(wheelhouse.glob(f"{name}-*.whl"))
        assert hashes[name] == [hashlib.sha256(wheel.read_bytes()).hexdigest()]
