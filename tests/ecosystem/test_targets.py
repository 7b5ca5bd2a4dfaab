"""One archive for every Python and for four platforms, with real wheels (orjson, PyYAML,
tomli where Python < 3.11): on each installed Python it prints what a virtualenv of that
Python prints, and its manifest lists each platform's wheels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Runner, bundle_env, run_bundle, write_project
from tests.helpers.downloads import download_wheels
from tests.helpers.projects import SETUPTOOLS, app_manifest
from tests.helpers.pythons import SUPPORTED, find_python, find_pythons

pytestmark = pytest.mark.ecosystem

REQUIREMENTS = ("orjson", "PyYAML", "tomli")
MANYLINUX = [f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)] + [
    "manylinux2014_x86_64"
]
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "macosx_11_0_arm64", "win_amd64")
CLI = """\
import sys

import orjson
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def main():
    data = tomllib.loads('name = "multi"\\nitems = [1, 2.5, "three"]\\n[table]\\nkey = true\\n')
    print(orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode())
    print(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=True).strip())
    print(tomllib.__name__, "%d.%d" % sys.version_info[:2])
"""


def _options(minor: str, platforms: list[str]) -> list[str]:
    abi = "cp" + minor.replace(".", "")
    options = ["--python-version", minor, "--implementation", "cp", "--abi", abi]
    return options + [arg for tag in platforms for arg in ("--platform", tag)]


@pytest.fixture(scope="module")
def wheels() -> Path:
    """orjson, PyYAML and tomli for CPython 3.9-3.13 on Linux x86_64, and for 3.12 on
    aarch64, macOS arm64 and Windows amd64."""
    targets = [_options(minor, MANYLINUX) for minor in SUPPORTED]
    aarch64 = [tag.replace("x86_64", "aarch64") for tag in MANYLINUX]
    targets += [_options("3.12", aarch64), _options("3.12", ["macosx_11_0_arm64"])]
    targets += [_options("3.12", ["win_amd64"])]
    return download_wheels("targets", REQUIREMENTS, targets)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dependencies = '"orjson", "PyYAML", "tomli; python_version < \'3.11\'"'
    toml = SETUPTOOLS + (
        f'[project]\nname = "multi"\nversion = "1.0"\ndependencies = [{dependencies}]\n'
        '[project.scripts]\nmulti = "multi.cli:main"\n[tool.setuptools]\npackages = ["multi"]\n'
    )
    files = {"pyproject.toml": toml, "multi/__init__.py": "", "multi/cli.py": CLI}
    return write_project(tmp_path_factory.mktemp("targets") / "multi", files)


def _virtualenv_output(
    python: Path, where: Path, project_wheel: Path, wheels: Path, backend_wheels: Path
) -> str:
    """What the app prints in a virtualenv of ``python``."""
    subprocess.run([str(python), "-m", "venv", "--clear", "--without-pip", str(where)], check=True)
    pip = [sys.executable, "-m", "pip", "--python", str(where / "bin" / "python"), "install"]
    links = ["--no-index", "--find-links", str(wheels), "--find-links", str(backend_wheels)]
    subprocess.run(
        [*pip, "--quiet", *links, str(project_wheel)], check=True, env=bundle_env(), timeout=600
    )
    return subprocess.run(
        [str(where / "bin" / "multi")], capture_output=True, text=True, check=True
    ).stdout


def test_one_archive_for_five_pythons_prints_what_each_virtualenv_prints(
    tmp_path: Path,
    project: Path,
    wheels: Path,
    backend_wheels: Path,
    offline: tuple[str, ...],
    run_app: Runner,
) -> None:
    pythons = find_pythons()
    if set(pythons) != set(SUPPORTED):
        pytest.skip(f"needs every Python of {', '.join(SUPPORTED)} (pyenv)")
    out = tmp_path / "five.pyz"
    given = [arg for python in pythons.values() for arg in ("--python", str(python))]
    result = run_bundle("build", project, "-o", out, *given, *offline, "--find-links", wheels)
    assert result.returncode == 0, result.stderr
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--find-links",
         str(backend_wheels), "-w", str(tmp_path / "dist"), str(project)],
        capture_output=True, env=bundle_env(), timeout=600, check=True,
    )  # fmt: skip
    project_wheel = next((tmp_path / "dist").glob("multi-*.whl"))
    for minor, python in pythons.items():
        where = tmp_path / f"venv-{minor}"
        expected = _virtualenv_output(python, where, project_wheel, wheels, backend_wheels)
        assert run_app(out, python=python).stdout == expected, minor
        assert expected.splitlines()[-1] == (
            f"{'tomllib' if minor not in ('3.9', '3.10') else 'tomli'} {minor}"
        )
    targets = app_manifest(out)["targets"]
    assert isinstance(targets, list)
    assert [t["python"] for t in targets] == list(SUPPORTED)
    for target in targets:
        native = {n["distribution"].split()[0]: n["wheel_tags"] for n in target["native"]}
        digits = target["python"].replace(".", "")
        assert {"orjson", "PyYAML"} <= set(native)
        assert all(tag.startswith(f"cp{digits}-") for tag in native["orjson"])


def test_one_archive_for_four_platforms_holds_each_platforms_wheels(
    tmp_path: Path,
    project: Path,
    wheels: Path,
    offline: tuple[str, ...],
    run_app: Runner,
) -> None:
    python = find_python("3.12")
    if python is None:
        pytest.skip("needs Python 3.12 (pyenv) to run the archive")
    out = tmp_path / "platforms.pyz"
    platforms = [arg for tag in PLATFORMS for arg in ("--platform", tag)]
    result = run_bundle(
        "build", project, "-o", out, "--target-python", "3.12", *platforms, *offline,
        "--find-links", wheels,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = run_app(out, python=python).stdout.splitlines()
    assert lines[0] == '{"items":[1,2.5,"three"],"name":"multi","table":{"key":true}}'
    assert lines[-1] == "tomllib 3.12"
    targets = app_manifest(out)["targets"]
    assert isinstance(targets, list)
    assert [t["name"] for t in targets] == [f"cp312-{tag}" for tag in PLATFORMS]
    expected = {
        "manylinux_2_28_x86_64": "x86_64",
        "manylinux_2_28_aarch64": "aarch64",
        "macosx_11_0_arm64": "arm64",
        "win_amd64": "win_amd64",
    }
    for target in targets:
        assert target["distributions"] == ["multi", "orjson", "pyyaml"]
        for native in target["native"]:
            machine = expected[target["platform"]]
            assert any(tag.endswith(machine) for tag in native["wheel_tags"]), native
