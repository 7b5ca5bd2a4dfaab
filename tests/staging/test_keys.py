"""Cache keys of the staging stage: fingerprints of walked trees, local paths, wheels."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bundler.errors import ConfigError
from bundler.project import scan_project
from bundler.staging import keys
from bundler.staging.keys import path_identity, tree_fingerprint, wheel_digest
from bundler.staging.pip import IndexOptions
from tests.conftest import pyproject, write_project

# ---------------------------------------------------------------- fingerprints


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": pyproject(),
            "demo/__init__.py": "VALUE = 1\n",
            ".gitignore": "build/\n",
        },
    )


def _fingerprint(root: Path) -> str:
    return tree_fingerprint(scan_project(root, ignore=[root / "app.pyz"]))


def test_fingerprint_follows_sources(sources: Path) -> None:
    before = _fingerprint(sources)
    assert _fingerprint(sources) == before
    (sources / "demo" / "__init__.py").write_text("VALUE = 2\n")
    changed = _fingerprint(sources)
    assert changed != before
    (sources / "demo" / "extra.py").write_text("")
    assert _fingerprint(sources) != changed


def test_fingerprint_ignores_build_output_caches_and_venvs(sources: Path) -> None:
    before = _fingerprint(sources)
    write_project(
        sources,
        {
            "build/lib/demo/__init__.py": "",
            "dist/demo-1.0.whl": "",
            "demo.egg-info/PKG-INFO": "",
            "demo/__pycache__/x.cpython-311.pyc": "",
            ".git/HEAD": "ref",
            ".tox/log": "",
            "venv/pyvenv.cfg": "home = /usr",
            "venv/lib/site.py": "",
            "app.pyz": "archive",
            ".coverage": "coverage data",
        },
    )
    assert _fingerprint(sources) == before


def test_fingerprint_hashes_what_a_link_points_to(sources: Path) -> None:
    write_project(sources, {"shared/one.py": "ONE = 1\n", "shared/two.py": "TWO = 2\n"})
    link = sources / "demo" / "linked.py"
    link.symlink_to("../shared/one.py")
    before = _fingerprint(sources)
    (sources / "shared" / "one.py").write_text("ONE = 'changed'\n")
    assert _fingerprint(sources) != before


def test_fingerprint_counts_hidden_files_and_nested_build_packages(sources: Path) -> None:
    before = _fingerprint(sources)
    (sources / ".gitignore").write_text("dist/\n")  # hatchling reads it
    after_ignore = _fingerprint(sources)
    assert after_ignore != before
    write_project(sources, {"demo/build/__init__.py": ""})  # a package named build
    assert _fingerprint(sources) != after_ignore


def test_local_path_identity_follows_contents(tmp_path: Path) -> None:
    lib = write_project(tmp_path / "lib", {"pyproject.toml": pyproject("lib"), "lib.py": "A=1"})
    before = path_identity(lib)
    assert before == path_identity(lib)
    (lib / "lib.py").write_text("A=2")
    assert path_identity(lib) != before
    archive = tmp_path / "lib-1.0.tar.gz"
    archive.write_bytes(b"one")
    assert path_identity(archive) != path_identity(lib)
    assert path_identity(tmp_path / "gone") == {"missing": str(tmp_path / "gone")}


def _zip(path: Path, members: dict[str, bytes], stamp: tuple[int, ...]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data)  # type: ignore[arg-type]
    return path


def test_wheel_digest_is_blind_to_timestamps_and_order(tmp_path: Path) -> None:
    members = {"demo/__init__.py": b"A = 1\n", "demo-1.0.dist-info/METADATA": b"Name: demo\n"}
    one = _zip(tmp_path / "one.whl", members, (1980, 1, 1, 0, 0, 0))
    reordered = dict(reversed(list(members.items())))
    two = _zip(tmp_path / "two.whl", reordered, (2024, 5, 6, 7, 8, 10))
    assert wheel_digest(one) == wheel_digest(two)
    three = _zip(
        tmp_path / "three.whl", {**members, "demo/__init__.py": b"A = 2\n"}, (1980, 1, 1, 0, 0, 0)
    )
    assert wheel_digest(three) != wheel_digest(one)


def test_a_find_links_directory_that_cannot_be_listed_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(keys.os, "scandir", refuse)
    with pytest.raises(ConfigError) as caught:
        keys.index_identity(IndexOptions(find_links=(str(tmp_path),)))
    assert str(caught.value) == (
        f"cannot read the find-links directory {tmp_path}: Permission denied; check its permissions"
    )


# ---------------------------------------------------------------- what every key shares


def test_keys_follow_the_installer_and_its_settings_not_where_uv_caches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [name for name in keys.os.environ if name.startswith(("PIP_", "UV_"))]:
        monkeypatch.delenv(name)
    by_pip = keys.hash_key({"index": keys.index_identity(IndexOptions(installer="pip"))})
    by_uv = keys.hash_key({"index": keys.index_identity(IndexOptions(installer="uv"))})
    assert by_pip != by_uv
    monkeypatch.setenv("UV_CACHE_DIR", "/elsewhere")
    assert keys.hash_key({"index": keys.index_identity(IndexOptions(installer="uv"))}) == by_uv
    monkeypatch.setenv("UV_INDEX_URL", "https://mirror.example/simple")
    assert keys.hash_key({"index": keys.index_identity(IndexOptions(installer="uv"))}) != by_uv
