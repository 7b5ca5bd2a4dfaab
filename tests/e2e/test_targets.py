"""One archive for several targets, with wheels the tests write: every installed Python
(--python repeated), other platforms staged without their interpreter (--target-python,
--platform, [tool.bundle] targets), files stored once, the target chosen at start, and
the one-line errors: an unknown platform tag, no wheel for a target, a lock that does not
cover a target, a Python the archive was not built for."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from bundler.runtime import PAYLOAD_MEMBER
from tests.conftest import Runner, assert_user_error, leftovers, run_bundle, write_project
from tests.helpers.projects import SETUPTOOLS, app_manifest
from tests.helpers.pythons import find_pythons
from tests.helpers.wheels import write_wheel

THIS = f"{sys.version_info[0]}.{sys.version_info[1]}"
CP = f"cp{sys.version_info[0]}{sys.version_info[1]}"
# Where platinfo's wheels say they run, and what each says there.
PLATFORMS = {
    "manylinux_2_17_x86_64": "linux-x86_64",
    "manylinux_2_17_aarch64": "linux-aarch64",
    "macosx_11_0_arm64": "mac-arm64",
    "win_amd64": "windows",
}
CLI = """\
import sys

import platinfo

try:
    import oldonly
except ImportError:
    oldonly = None
try:
    import winonly
except ImportError:
    winonly = None


def main():
    old = oldonly.VALUE if oldonly else "-"
    win = winonly.VALUE if winonly else "-"
    print(platinfo.WHERE, old, win, "%d.%d" % sys.version_info[:2])
"""


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """platinfo for four platforms (its contents differ on each); oldonly and winonly,
    which markers select."""
    where = tmp_path_factory.mktemp("target-wheels")
    for platform, says in PLATFORMS.items():
        files = {"platinfo/__init__.py": f"WHERE = {says!r}\n", "platinfo/data.txt": "same\n"}
        write_wheel(where, "platinfo", "1.0", files, tag=f"py3-none-{platform}")
    write_wheel(where, "oldonly", "1.0", {"oldonly.py": "VALUE = 'old'\n"})
    write_wheel(where, "winonly", "1.0", {"winonly.py": "VALUE = 'win'\n"})
    return where


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dependencies = '"platinfo", "oldonly; python_version < \'3.11\'", "winonly; os_name == \'nt\'"'
    toml = SETUPTOOLS + (
        f'[project]\nname = "multi"\nversion = "1.0"\ndependencies = [{dependencies}]\n'
        '[project.scripts]\nmulti = "multi.cli:main"\n'
        '[tool.setuptools]\npackages = ["multi"]\n'
    )
    files = {"pyproject.toml": toml, "multi/__init__.py": "", "multi/cli.py": CLI}
    return write_project(tmp_path / "multi", files)


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def _build(*args: str | Path, links: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    result = run_bundle("build", *args, *links)
    assert result.returncode == 0, result.stderr
    return result


def _stored(archive: Path) -> list[str]:
    """The members of the archive's payload, as stored."""
    with zipfile.ZipFile(archive) as outer:
        inner = outer.read(PAYLOAD_MEMBER)
    with zipfile.ZipFile(io.BytesIO(inner)) as payload:
        return payload.namelist()


def test_one_archive_runs_on_several_installed_pythons(
    tmp_path: Path, project: Path, wheels: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    found = find_pythons()
    if len(found) < 2:
        pytest.skip("needs two or more of Python 3.9-3.13 (pyenv)")
    # The oldest, the newest and this one (the ecosystem suite builds for all five).
    kept = (min(found, key=_minor), max(found, key=_minor), THIS)
    pythons = {minor: python for minor, python in found.items() if minor in kept}
    out = tmp_path / "all.pyz"
    given = [arg for python in pythons.values() for arg in ("--python", str(python))]
    # Sources as files (not in packs): the payload zip then lists what is stored.
    given += ["--sources", "files"]
    result = _build(project, "-o", out, *given, links=(*offline, "--find-links", str(wheels)))
    names = [f"cp{minor.replace('.', '')}-linux_x86_64" for minor in pythons]
    assert f"bundle: holds {len(names)} targets, one chosen at start: {', '.join(names)}" in (
        result.stderr.splitlines()
    )
    for minor, python in pythons.items():
        old = "old" if minor in ("3.9", "3.10") else "-"
        assert run_app(out, python=python).stdout == f"linux-x86_64 {old} - {minor}\n"
    targets = app_manifest(out)["targets"]
    assert isinstance(targets, list)
    assert [t["name"] for t in targets] == names
    by_python = {t["python"]: t["distributions"] for t in targets}
    assert all(("oldonly" in dists) == (v in ("3.9", "3.10")) for v, dists in by_python.items())
    stored = _stored(out)
    # Equal files are stored once: the app's code and platinfo, whatever the Python.
    assert stored.count("multi/cli.py") == 1
    assert [m for m in stored if m.endswith("platinfo/__init__.py")] == ["platinfo/__init__.py"]


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_platforms_staged_without_their_interpreter(
    tmp_path: Path,
    project: Path,
    wheels: Path,
    offline: tuple[str, ...],
    run_app: Runner,
    installer: str,
) -> None:
    out = tmp_path / "platforms.pyz"
    platforms = [arg for tag in PLATFORMS for arg in ("--platform", tag)]
    links = (*offline, "--find-links", str(wheels), "--installer", installer)
    files = ("--sources", "files")  # the payload zip then lists what is stored
    _build(project, "-o", out, "--target-python", THIS, *platforms, *files, links=links)
    assert run_app(out, python=Path(sys.executable)).stdout == f"linux-x86_64 - - {THIS}\n"
    targets = app_manifest(out)["targets"]
    assert isinstance(targets, list)
    assert [(t["name"], t["platform"], t["python"], t["abi"]) for t in targets] == [
        (f"{CP}-{tag}", tag, THIS, CP) for tag in PLATFORMS
    ]
    windows = targets[-1]["distributions"]
    assert windows == ["multi", "platinfo", "winonly"]  # selected by its marker there only
    assert all("winonly" not in t["distributions"] for t in targets[:-1])
    stored = _stored(out)
    variants = sorted(m for m in stored if m.endswith("platinfo/__init__.py"))
    assert variants == sorted(
        ["platinfo/__init__.py"]
        + [f".targets/{CP}-{tag}/platinfo/__init__.py" for tag in list(PLATFORMS)[1:]]
    )
    assert [m for m in stored if m.endswith("platinfo/data.txt")] == ["platinfo/data.txt"]


def test_targets_from_pyproject_and_a_python_without_a_target(
    tmp_path: Path, project: Path, wheels: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    others = [minor for minor in find_pythons() if minor != THIS]
    if not others:
        pytest.skip("needs a Python 3.9-3.13 besides the one running the tests")
    toml = project / "pyproject.toml"
    toml.write_text(toml.read_text() + f'[tool.bundle]\ntargets = ["{THIS}", "{THIS}/win_amd64"]\n')
    out = tmp_path / "two.pyz"
    _build(project, "-o", out, links=(*offline, "--find-links", str(wheels)))
    assert run_app(out, python=Path(sys.executable)).stdout == f"linux-x86_64 - - {THIS}\n"
    other = find_pythons()[others[0]]
    result = run_app(out, python=other)
    digits = others[0].replace(".", "")
    host = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    expected = (
        rf"two\.pyz: error: multi has no build for this interpreter \(cp{digits}-\S+, "
        rf"{re.escape(str(other))}\); the archive holds {CP}-{host}, {CP}-win_amd64: run it "
        r"with one of those, or rebuild it with this target\n"
    )
    assert result.returncode == 1
    assert re.fullmatch(expected, result.stderr), result.stderr


def test_an_unknown_platform_tag_is_one_line(tmp_path: Path, project: Path) -> None:
    out = tmp_path / "out" / "app.pyz"
    result = run_bundle("build", project, "-o", out, "--platform", "manylinux_x86_64")
    assert_user_error(
        result,
        "unknown platform tag 'manylinux_x86_64': expected manylinux_2_28_x86_64 (or "
        "manylinux2014_aarch64), musllinux_1_2_x86_64, macosx_11_0_arm64, win_amd64, win32 "
        "or win_arm64",
        status=2,
    )
    assert not out.parent.exists()


def test_a_target_uv_cannot_name_is_one_line_pointing_at_pip(
    tmp_path: Path, project: Path, wheels: Path, offline: tuple[str, ...]
) -> None:
    out = tmp_path / "out" / "musl.pyz"
    links = (*offline, "--find-links", str(wheels))
    args = ("--platform", "musllinux_1_2_x86_64", "--installer", "uv", "-q")
    result = run_bundle("build", project, "-o", out, *args, *links)
    assert_user_error(
        result,
        f"uv cannot install for target {CP}-musllinux_1_2_x86_64: it has no --python-platform "
        "for exactly musllinux_1_2_x86_64; build with --installer pip (or BUNDLER_INSTALLER=pip)",
        status=2,
    )
    assert leftovers(tmp_path / "out") == []


def test_a_target_with_no_wheel_names_the_distribution_and_the_target(
    tmp_path: Path, project: Path, wheels: Path, offline: tuple[str, ...]
) -> None:
    out = tmp_path / "app.pyz"
    links = (*offline, "--find-links", str(wheels))
    result = run_bundle(
        "build", project, "-o", out, "--platform", "musllinux_1_2_x86_64", "--platform",
        "win_amd64", *links,
    )  # fmt: skip
    last = result.stderr.splitlines()[-1]
    assert result.returncode == 1
    assert last.startswith(
        f"bundle: error: pip could not install the project's dependencies: no wheel of platinfo "
        f"for target {CP}-musllinux_1_2_x86_64 (the wheels found, 1.0, are tagged "
    )
    assert last.endswith("); add one where pip looks, or drop that target")
    assert leftovers(tmp_path) == ["multi"]


def test_a_lock_must_cover_every_target(
    tmp_path: Path, project: Path, wheels: Path, offline: tuple[str, ...]
) -> None:
    packages = []
    for wheel in sorted(wheels.glob("platinfo-*manylinux_2_17_x86_64.whl")):
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        packages.append(
            f'[[packages]]\nname = "platinfo"\nversion = "1.0"\n'
            f'wheels = [{{path = "{wheel}", hashes = {{sha256 = "{digest}"}}}}]\n'
        )
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "tests"\n'
        "environments = [\"sys_platform == 'linux'\"]\n" + "\n".join(packages)
    )
    out = tmp_path / "app.pyz"
    links = (*offline, "--find-links", str(wheels))
    result = run_bundle(
        "build", project, "-o", out, "-r", lock, "--target-python", THIS,
        "--platform", "manylinux_2_17_x86_64", "--platform", "win_amd64", *links,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"bundle: error: pylock.toml does not cover target {CP}-win_amd64: its environments "
        "are sys_platform == 'linux'; lock for this target too, or build with --python naming "
        "an interpreter it covers"
    )


def test_the_manifest_of_one_target_describes_it(
    tmp_path: Path, project: Path, wheels: Path, offline: tuple[str, ...]
) -> None:
    out = tmp_path / "one.pyz"
    _build(project, "-o", out, links=(*offline, "--find-links", str(wheels)))
    targets = app_manifest(out)["targets"]
    assert isinstance(targets, list) and len(targets) == 1
    assert {k: v for k, v in targets[0].items() if k != "platform"} == {
        "name": f"{CP}-{targets[0]['platform']}",
        "python": THIS,
        "implementation": "cp",
        "abi": CP,
        "distributions": ["multi", "platinfo"],
        "native": [],
    }
    assert json.dumps(targets)  # plain JSON for inspect
