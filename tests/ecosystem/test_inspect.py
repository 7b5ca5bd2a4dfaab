"""``bundle inspect`` and ``--why`` on two published apps and the Flask sample, bundled from
their real wheels: versions and licenses from their metadata, chains with file:line, kinds
in the manifest."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, copy_project, run_bundle

pytestmark = pytest.mark.ecosystem


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory, ecosystem_wheels: Path) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("inspected-apps")
    built = {}
    for requirement, script in (("flake8==7.5.0", "flake8"), ("yamllint==1.38.0", "yamllint")):
        archive = where / f"{script}.pyz"
        result = run_bundle(
            "build",
            "--with",
            requirement,
            "-c",
            script,
            "-o",
            archive,
            "--no-index",
            "--find-links",
            ecosystem_wheels,
            cwd=where,
        )
        assert result.returncode == 0, result.stderr
        built[script] = archive
    return built


def _version(wheels: Path, name: str) -> str:
    """The version of ``name`` among the downloaded wheels (its dependencies are not pinned)."""
    (wheel,) = wheels.glob(f"{name}-*.whl")
    return wheel.name.split("-")[1]


def _facts(archive: Path) -> dict[str, object]:
    result = run_bundle("inspect", archive, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_flake8_distributions_have_their_versions_and_licenses(
    apps: dict[str, Path], ecosystem_wheels: Path
) -> None:
    facts = _facts(apps["flake8"])
    found = {d["name"]: (d["version"], d["license"]) for d in facts["distributions"]}
    assert found == {
        "flake8": ("7.5.0", "MIT"),
        "mccabe": (_version(ecosystem_wheels, "mccabe"), "Expat license"),
        "pycodestyle": (_version(ecosystem_wheels, "pycodestyle"), "MIT"),
        "pyflakes": (_version(ecosystem_wheels, "pyflakes"), "MIT"),
    }
    packages = [p["name"] for p in facts["packages"]]
    assert packages[:2] == ["pyflakes", "flake8"] and set(packages) == set(found)
    assert facts["app"]["entry"] == "flake8.main.cli:main"


def test_yamllint_says_what_is_extracted_and_why(apps: dict[str, Path]) -> None:
    facts = _facts(apps["yamllint"])
    licenses = {d["name"]: d["license"] for d in facts["distributions"]}
    assert licenses["yamllint"] == "GPL-3.0-or-later"
    assert licenses["PyYAML"] == "MIT"
    reasons = {item["package"]: item["reason"] for item in facts["extracted"]}
    assert reasons[f"PyYAML {_pyyaml(facts)}"] == "native code: 1 extension module"
    assert reasons["yamllint"].startswith(
        "zip-unsafe: yamllint/config.py:97 a path next to __file__ is passed to YamlLintConfig()"
    )


def _pyyaml(facts: dict[str, object]) -> str:
    return next(d["version"] for d in facts["distributions"] if d["name"] == "PyYAML")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("app", "module", "chain"),
    [
        (
            "flake8",
            "pyflakes.checker",
            [
                "flake8.plugins.pyflakes: an entry point in group flake8.extension of flake8",
                "pyflakes.checker: imported at flake8/plugins/pyflakes.py:10",
            ],
        ),
        ("flake8", "mccabe", ["mccabe: an entry point in group flake8.extension of mccabe"]),
        (
            "yamllint",
            "yaml.constructor",
            [
                "yamllint.cli: the entry point",
                "yamllint.linter: imported at yamllint/cli.py:22",
                "yaml: imported at yamllint/linter.py:19",
                "yaml.loader: imported at yaml/__init__.py:8",
                "yaml.constructor: imported at yaml/loader.py:8",
            ],
        ),
    ],
)
def test_why_follows_real_imports_and_entry_points(
    apps: dict[str, Path], app: str, module: str, chain: list[str]
) -> None:
    result = run_bundle("inspect", apps[app], "--why", module)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1:] == [f"  {line}" for line in chain]


def test_every_module_of_a_dependency_is_labelled_third_party(apps: dict[str, Path]) -> None:
    """No project here (--with): every Python module is a third-party one, none "project"."""
    with zipfile.ZipFile(apps["yamllint"]) as archive:
        modules = json.loads(archive.read(".bundle/manifest.json"))["modules"]
    kinds = {name: record["kind"] for name, record in modules.items()}
    assert kinds["yamllint.cli"] == "third-party"
    assert kinds["yaml._yaml"] == "extension"
    assert set(kinds.values()) == {"third-party", "extension"}


def test_the_flask_sample_says_its_licenses_extraction_and_chains(
    tmp_path: Path, correctness_wheels: Path
) -> None:
    project = copy_project(SAMPLES / "flasksite", tmp_path / "flasksite")
    archive = tmp_path / "flasksite.pyz"
    built = run_bundle(
        "build", project, "-o", archive, "--no-index", "--find-links", correctness_wheels
    )
    assert built.returncode == 0, built.stderr
    facts = _facts(archive)
    found = {d["name"]: (d["version"], d["license"]) for d in facts["distributions"]}
    assert found["Flask"] == ("3.1.3", "BSD-3-Clause")
    assert found["flasksite"] == ("1.0.0", None)
    assert facts["modules"]["by_kind"]["project"] == 3
    reasons = [item["reason"] for item in facts["extracted"]]
    assert (
        "zip-unsafe: ships static/, templates/, which its code reads through no resource API"
        in (" ".join(reasons))
    )
    why = run_bundle("inspect", archive, "--why", "werkzeug.routing")
    assert why.stdout.splitlines()[1:] == [
        "  flasksite: the package of the entry point flasksite.cli",
        "  flask: imported at flasksite/__init__.py:5",
        "  flask.app: imported at flask/__init__.py:6",
        "  werkzeug.routing: imported at flask/app.py:20",
    ]
