"""A staging directory is laid out the same whichever installer filled it: the same files,
byte for byte, from the same wheels; what each installer writes about itself is gone."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

from bundler.installers import uv_executable
from bundler.staging.canonical import canonical_layout
from bundler.staging.installed import tidy_installed
from bundler.staging.pip import IndexOptions, PipRequest, install_into_directory
from bundler.staging.tools import ToolSettings
from bundler.staging.uv import UvRun, uv_install_into_directory
from tests.helpers.wheels import write_wheel

pytestmark = pytest.mark.usefixtures("pip_free")


def shipper_wheels(house: Path) -> Path:
    """A distribution with a console script, a script of its own, data and a header, and a
    dependency: everything an installer places outside the packages."""
    write_wheel(
        house,
        "shipper",
        "1.0",
        {
            "shipper/__init__.py": "def main():\n    print('shipped')\n",
            "shipper-1.0.data/scripts/shipper-report": "#!python\nimport shipper\n",
            "shipper-1.0.data/scripts/shipper-sh": "#!/bin/sh\necho shell\n",
            "shipper-1.0.data/data/share/shipper/motd.txt": "message of the day\n",
            "shipper-1.0.data/headers/shipper.h": "int shipper;\n",
        },
        requires=["cargo"],
        entry_points={"console_scripts": {"shipit": "shipper:main"}},
    )
    write_wheel(house, "cargo", "2.0", {"cargo/__init__.py": ""})
    return house


def _files(site: Path) -> dict[str, bytes]:
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file()
    }


def _stage(installer: str, site: Path, house: Path) -> dict[str, str]:
    index = IndexOptions((str(house),), no_index=True, installer=installer)
    request = PipRequest(requirements=("shipper",), report=site.parent / f"{installer}.json")
    settings = ToolSettings(temp_dir=site.parent)
    if installer == "uv":
        run = UvRun(sys.executable, index, settings, "shipper")
        hashes = uv_install_into_directory(site, request, run)
    else:
        install_into_directory(
            site, request, python=sys.executable, index=index, settings=settings, what="shipper"
        )
        hashes = {}
    tidy_installed(site)
    canonical_layout(site)
    return hashes


def test_pip_and_uv_leave_the_same_files(tmp_path: Path) -> None:
    house = shipper_wheels(tmp_path / "wheels")
    (tmp_path / "pip").mkdir()
    (tmp_path / "uv").mkdir()
    _stage("pip", tmp_path / "pip" / "site", house)
    hashes = _stage("uv", tmp_path / "uv" / "site", house)
    by_pip, by_uv = _files(tmp_path / "pip" / "site"), _files(tmp_path / "uv" / "site")
    assert by_pip == by_uv
    assert by_uv["shipper-1.0.dist-info/INSTALLER"] == b"bundler\n"
    # uv's SBOM hashes are the wheels' own.
    assert hashes == {
        name: hashlib.sha256(next(house.glob(f"{name}-*.whl")).read_bytes()).hexdigest()
        for name in ("cargo", "shipper")
    }
    if sys.platform == "win32":
        return  # Scripts\, Include\: the same for both, in Windows's own places
    assert sorted(by_uv) == [
        "bin/shipper-report",
        "bin/shipper-sh",
        "cargo-2.0.dist-info/INSTALLER",
        "cargo-2.0.dist-info/METADATA",
        "cargo-2.0.dist-info/RECORD",
        "cargo-2.0.dist-info/WHEEL",
        "cargo-2.0.dist-info/top_level.txt",
        "cargo/__init__.py",
        f"include/site/python{sys.version_info[0]}.{sys.version_info[1]}/shipper/shipper.h",
        "share/shipper/motd.txt",
        "shipper-1.0.dist-info/INSTALLER",
        "shipper-1.0.dist-info/METADATA",
        "shipper-1.0.dist-info/RECORD",
        "shipper-1.0.dist-info/WHEEL",
        "shipper-1.0.dist-info/entry_points.txt",
        "shipper-1.0.dist-info/top_level.txt",
        "shipper/__init__.py",
    ]  # no launcher of shipit, no REQUESTED, no uv_cache.json, no .lock


def test_record_lists_what_remains_with_true_hashes_sorted(tmp_path: Path) -> None:
    house = shipper_wheels(tmp_path / "wheels")
    site = tmp_path / "site"
    _stage("uv", site, house)
    dist_info = site / "shipper-1.0.dist-info"
    rows = list(csv.reader(io.StringIO((dist_info / "RECORD").read_text())))
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)
    for path, digest, size in rows:
        if path == "shipper-1.0.dist-info/RECORD":
            assert (digest, size) == ("", "")
            continue
        data = site.joinpath(*[part for part in path.split("/") if part != ".."]).read_bytes()
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, size) == (f"sha256={expected}", str(len(data)))
    assert "../../bin/shipper-report" in [row[0] for row in rows]


def test_a_wheels_own_script_keeps_its_rewritten_first_line(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _stage("uv", site, shipper_wheels(tmp_path / "wheels"))
    assert (site / "bin" / "shipper-report").read_text().splitlines()[0] == f"#!{sys.executable}"


def test_the_uv_binary_is_there_for_these_tests() -> None:
    found = uv_executable()
    assert found is not None
    assert subprocess.run([found, "--version"], capture_output=True, check=True).stdout
