"""What the importer does beyond pure-Python modules of the payload (runtime/special.py):
namespace packages' loader, and bytecode for a Python other than the build's, read from
and kept in the per-user cache."""

from __future__ import annotations

import importlib.machinery
import os
import sys
from pathlib import Path

import pytest

from bundler.runtime import app_dir_name, pyc_bytes
from bundler.runtime.cache import UserCache
from bundler.runtime.importer import ArchiveImporter
from bundler.runtime.special import NamespaceLoader
from tests.runtime.conftest import FOREIGN_MAGIC, BuiltArchive
from tests.runtime.test_importer import _execute, _main_and_file, _path, _record_reads


def test_namespace_loader_is_named_like_importlibs() -> None:
    base = getattr(importlib.machinery, "NamespaceLoader", None)
    if base is None:  # Python 3.10 and older
        base = importlib._bootstrap_external._NamespaceLoader  # type: ignore[attr-defined]
    assert issubclass(NamespaceLoader, base)
    assert (NamespaceLoader.__name__, NamespaceLoader.__qualname__) == (base.__name__,) * 2


# -- bytecode for another Python -------------------------------------------------------------------


@pytest.fixture
def foreign(demo_archive: BuiltArchive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache for the importers of an index built by another Python; returns the
    directory where this Python's bytecode of the demo app goes."""
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    app = app_dir_name("demo", demo_archive.index["hash"])
    return tmp_path / "cache" / "apps" / app / "bytecode" / sys.implementation.cache_tag


def _foreign_importer(built: BuiltArchive) -> ArchiveImporter:
    return ArchiveImporter(str(built.path), {**built.index, "magic": FOREIGN_MAGIC}, UserCache())


def test_foreign_bytecode_is_compiled_from_source_and_stored(
    demo_archive: BuiltArchive, foreign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    importer = _foreign_importer(demo_archive)
    reads = _record_reads(importer, monkeypatch)
    assert _main_and_file(_execute(importer, "demo.cli")) == (
        "hello",
        _path(importer, "demo/cli.py"),
    )
    assert reads == ["demo/cli.py"]
    assert sorted(p.relative_to(foreign).as_posix() for p in foreign.rglob("*.pyc")) == [
        "demo/cli.pyc"
    ]


def _replace_stored(built: BuiltArchive, foreign: Path, returns: str) -> None:
    """Store the bytecode of demo.cli, then replace it with a main() that returns
    ``returns``: what the next importer runs tells whether it used the cache."""
    _foreign_importer(built).get_code("demo.cli")
    source = f"def main():\n    return {returns!r}\n".encode()
    stored = foreign / "demo" / "cli.pyc"
    stored.write_bytes(pyc_bytes(source, compile(source, "elsewhere.py", "exec")))


def test_second_importer_loads_the_stored_bytecode(
    demo_archive: BuiltArchive, foreign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _replace_stored(demo_archive, foreign, "cached")
    second = _foreign_importer(demo_archive)
    reads = _record_reads(second, monkeypatch)
    assert _main_and_file(_execute(second, "demo.cli")) == ("cached", _path(second, "demo/cli.py"))
    assert reads == []


def test_foreign_bytecode_is_not_stored_when_python_writes_none(
    demo_archive: BuiltArchive, foreign: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert _execute(_foreign_importer(demo_archive), "demo.cli").main() == "hello"
    assert not (tmp_path / "cache").exists()


def test_bytecode_in_a_cache_others_may_write_is_not_run_but_compiled_again(
    demo_archive: BuiltArchive, foreign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _replace_stored(demo_archive, foreign, "planted")
    os.chmod(foreign / "demo", 0o777)  # another user could have put it there
    second = _foreign_importer(demo_archive)
    reads = _record_reads(second, monkeypatch)
    assert _execute(second, "demo.cli").main() == "hello"
    assert reads == ["demo/cli.py"]
