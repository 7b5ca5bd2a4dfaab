"""The facts of an archive (``inspect --json``): distributions with version, license and
size; size by package; targets; extraction and its reasons."""

from __future__ import annotations

from pathlib import Path

from bundler.inspection.facts import distribution_of, inspect_document
from bundler.inspection.reading import read_archive
from tests.inspection.views import FILES, manifest, write_archive


def _size(*members: str) -> int:
    return sum(len(FILES[m]) for m in members)


def test_distributions_have_version_license_and_the_size_of_their_files(tmp_path: Path) -> None:
    document = inspect_document(read_archive(write_archive(tmp_path / "app.pyz")))
    found = {d["name"]: (d["version"], d["license"], d["files"]) for d in document["distributions"]}
    assert found == {
        "app": ("1.0", None, 5),  # two sources, their bytecode, METADATA, RECORD
        "dep": ("2.0", "MIT", 5),
        "extra-tool": ("3.1", "BSD", 4),
    }
    dep = next(d for d in document["distributions"] if d["name"] == "dep")
    assert dep["requires"] == ["fastjson; extra == 'speed'", "winhelper; sys_platform == 'win32'"]


def test_packages_are_sized_largest_first_with_their_distributions(tmp_path: Path) -> None:
    document = inspect_document(read_archive(write_archive(tmp_path / "app.pyz")))
    assert document["packages"] == [
        {"name": "dep", "size": _size("dep/__init__.py", "dep/core.py"), "distributions": ["dep"]},
        {
            "name": "app",
            "size": _size("app/cli.py", "app/__pycache__/cli.cpython-311.pyc"),
            "distributions": ["app"],
        },
        {
            "name": "extra_tool",
            "size": _size("__pycache__/extra_tool.cpython-311.pyc"),
            "distributions": ["extra-tool"],
        },
    ]


def test_bytecode_belongs_to_the_distribution_of_its_source(tmp_path: Path) -> None:
    owners = distribution_of(read_archive(write_archive(tmp_path / "app.pyz")))
    assert owners["app/__pycache__/cli.cpython-311.pyc"] == "app-1.0.dist-info"
    assert owners["__pycache__/extra_tool.cpython-311.pyc"] == "extra_tool-3.1.dist-info"


def test_without_targets_the_build_interpreter_is_the_target(tmp_path: Path) -> None:
    document = inspect_document(read_archive(write_archive(tmp_path / "app.pyz")))
    (target,) = document["targets"]
    assert target == {
        "name": "build",
        "python": "3.11",
        "python_full": "3.11.7",
        "implementation": "cp",
        "abi": "cp311",
        "platform": None,
        "distributions": ["app", "dep", "extra_tool"],
    }


def test_targets_of_the_manifest_are_shown_as_they_are(tmp_path: Path) -> None:
    targets = [
        {
            "name": "linux",
            "python": "3.12",
            "implementation": "cp",
            "abi": "cp312",
            "platform": "manylinux_2_28_x86_64",
            "distributions": ["dep"],
        },
    ]
    archive = write_archive(tmp_path / "app.pyz", manifest(targets=targets))
    assert inspect_document(read_archive(archive))["targets"] == targets


def test_extraction_says_whether_extract_forced_it(tmp_path: Path) -> None:
    settings = {"extract": ["dep"], "zip_safe": [], "prune": False, "check_skip": []}
    archive = write_archive(tmp_path / "app.pyz", manifest(settings=settings))
    document = inspect_document(read_archive(archive))
    assert document["extracted"] == [
        {"package": "dep", "reason": "native code: 1 extension module", "size": 9, "forced": True}
    ]
    assert document["missing_imports"] == [
        {"module": "fastjson", "importer": "dep.core", "line": 3, "optional": True}
    ]
    assert document["modules"] == {"total": 6, "by_kind": {"project": 2, "third-party": 4}}
