"""The runtime's first stage (runtime/first.py): the RuntimeFinder that serves the
runtime's modules (the package's ``__init__`` included) from one member of the archive, or
on another Python from bytecode cached per user."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import marshal
import os
import sys
import types
import zipfile
import zipimport
from pathlib import Path
from typing import Any

import pytest

from bundler.runtime import FORMAT_VERSION, PACKAGE_NAME
from bundler.runtime.cache import BytecodeStore, UserCache
from bundler.runtime.first import INDEX_MEMBER, RUNTIME_MEMBER
from bundler.runtime.pycache import (
    bytecode_subdir,
    load_pyc,
    pyc_bytes,
)
from tests.runtime.conftest import FOREIGN_MAGIC, BuiltArchive

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "bundler" / "runtime"


def _code_of(source: str) -> types.CodeType:
    return compile(source, "<test>", "exec")


# -- the first stage ---------------------------------------------------------------------------

# targets.py goes only into archives of several targets (tests/archive/test_targets.py).
# The package's __init__ is served too, but run into the package by ``start``.
SERVED = sorted(
    path.stem
    for path in RUNTIME_DIR.glob("*.py")
    if path.stem not in ("__init__", "child", "targets")
)


def _first_stage(path: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The runtime's first stage loaded from the archive by zipimport, with its package, as
    a multiprocessing child loads them; registered in ``sys.modules`` for this test only."""
    zip_loader = zipimport.zipimporter(str(path))
    spec = zip_loader.find_spec(PACKAGE_NAME)
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, PACKAGE_NAME, package)
    monkeypatch.delitem(sys.modules, f"{PACKAGE_NAME}.first", raising=False)
    spec.loader.exec_module(package)
    stage: types.ModuleType = sys.modules[f"{PACKAGE_NAME}.first"]
    return stage


def _finder(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A RuntimeFinder over the archive at ``path``: the archive's class, not ours."""
    stage = _first_stage(path, monkeypatch)
    return stage.RuntimeFinder(stage.__loader__)


def _execute(finder: Any, name: str) -> types.ModuleType:
    spec = finder.find_spec(f"{PACKAGE_NAME}.{name}")
    module = importlib.util.module_from_spec(spec)
    finder.exec_module(module)
    return module


def _with_runtime_member(built: BuiltArchive, output: Path, data: bytes) -> Path:
    """A copy of the archive (as a plain zip) whose runtime member is ``data``."""
    with zipfile.ZipFile(built.path) as source, zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            replaced = data if info.filename == RUNTIME_MEMBER else source.read(info)
            target.writestr(info, replaced)
    return output


def _foreign_runtime(built: BuiltArchive, output: Path) -> Path:
    """A copy whose runtime bytecode was compiled by another Python."""
    with zipfile.ZipFile(built.path) as source:
        _magic, start, rest = marshal.loads(source.read(RUNTIME_MEMBER))
    return _with_runtime_member(built, output, marshal.dumps((FOREIGN_MAGIC, start, rest)))


def _plant_runtime_pyc(directory: Path, name: str, source: str) -> None:
    """A pyc of ``source`` in the cache, where the first stage looks for module ``name``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.pyc").write_bytes(pyc_bytes(source.encode(), _code_of(source)))


@pytest.fixture
def runtime_cache(
    demo_archive: BuiltArchive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """An empty private cache; returns where runtime bytecode for the demo app goes."""
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return root / bytecode_subdir("demo", demo_archive.index["hash"]) / PACKAGE_NAME


def test_first_stage_serves_every_runtime_module_zipimport_does_not(
    demo_archive: BuiltArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    finder = _finder(demo_archive.path, monkeypatch)
    origins = {name: finder.find_spec(f"{PACKAGE_NAME}.{name}").origin for name in SERVED}
    runtime = os.path.join(demo_archive.path, PACKAGE_NAME)
    assert origins == {name: os.path.join(runtime, f"{name}.py") for name in SERVED}
    others = [PACKAGE_NAME, f"{PACKAGE_NAME}.child", f"{PACKAGE_NAME}.absent", "json"]
    assert [finder.find_spec(name) for name in others] == [None] * 4


def test_runtime_module_runs_the_members_bytecode_on_the_build_python(
    demo_archive: BuiltArchive, runtime_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant_runtime_pyc(runtime_cache, "reader", "MARK = 'cached'")  # must not be used
    finder = _finder(demo_archive.path, monkeypatch)
    reader = _execute(finder, "reader")
    path = os.path.join(demo_archive.path, PACKAGE_NAME, "reader.py")
    assert (hasattr(reader, "MARK"), reader.Archive.read.__code__.co_filename) == (False, path)
    assert (finder.pending, finder.compiles) == ([], False)


def test_runtime_finder_gives_sources_and_members(
    demo_archive: BuiltArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    finder = _finder(demo_archive.path, monkeypatch)
    source = (RUNTIME_DIR / "reader.py").read_text(encoding="utf-8")
    assert finder.get_source(f"{PACKAGE_NAME}.reader") == source
    index = finder.get_data(os.path.join(demo_archive.path, INDEX_MEMBER))
    assert marshal.loads(index) == demo_archive.index


def test_foreign_runtime_bytecode_is_compiled_and_kept_pending(
    demo_archive: BuiltArchive, runtime_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    finder = _finder(_foreign_runtime(demo_archive, tmp_path / "foreign.pyz"), monkeypatch)
    reader = _execute(finder, "reader")
    assert reader.Archive.__name__ == "Archive"
    assert [filename for filename, _ in finder.pending] == ["reader.pyc"]
    pyc = finder.pending[0][1]
    source = (RUNTIME_DIR / "reader.py").read_bytes()
    assert (pyc[:4], pyc[8:16]) == (importlib.util.MAGIC_NUMBER, importlib.util.source_hash(source))
    code = load_pyc(pyc)
    assert code is not None
    assert code.co_filename == os.path.join(finder.archive, PACKAGE_NAME, "reader.py")


def test_store_with_hands_over_what_is_pending_then_stores_at_once(
    demo_archive: BuiltArchive, runtime_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    finder = _finder(_foreign_runtime(demo_archive, tmp_path / "foreign.pyz"), monkeypatch)
    assert finder.compiles
    _execute(finder, "reader")
    pending = list(finder.pending)
    written: list[tuple[str, bytes]] = []
    finder.store_with(lambda name, pyc: written.append((name, pyc)))
    assert (written, finder.pending) == (pending, [])
    _execute(finder, "resources")  # a module imported later, lazily, by the app
    assert finder.pending == []
    assert [name for name, _ in written] == ["reader.pyc", "resources.pyc"]


def test_next_start_runs_the_runtime_bytecode_stored_as_bootstrap_stores_it(
    demo_archive: BuiltArchive, runtime_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _foreign_runtime(demo_archive, tmp_path / "foreign.pyz")
    first = _finder(archive, monkeypatch)
    _execute(first, "reader")
    store = BytecodeStore(UserCache(), "demo", demo_archive.index["hash"])
    first.store_with(lambda name, pyc: store.store_pyc(f"{PACKAGE_NAME}/{name}", pyc))
    assert sorted(p.name for p in runtime_cache.iterdir()) == ["reader.pyc"]
    second = _finder(archive, monkeypatch)
    reader = _execute(second, "reader")
    path = os.path.join(archive, PACKAGE_NAME, "reader.py")
    assert (reader.Archive.read.__code__.co_filename, second.pending) == (path, [])


def test_foreign_runtime_runs_the_cached_bytecode(
    demo_archive: BuiltArchive, runtime_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant_runtime_pyc(runtime_cache, "reader", "MARK = 'cached'")
    finder = _finder(_foreign_runtime(demo_archive, tmp_path / "foreign.pyz"), monkeypatch)
    assert (_execute(finder, "reader").MARK, finder.pending) == ("cached", [])


def test_foreign_runtime_without_bytecode_writing_neither_reads_nor_keeps_a_pyc(
    demo_archive: BuiltArchive, runtime_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant_runtime_pyc(runtime_cache, "reader", "MARK = 'cached'")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    finder = _finder(_foreign_runtime(demo_archive, tmp_path / "foreign.pyz"), monkeypatch)
    reader = _execute(finder, "reader")
    assert (hasattr(reader, "MARK"), finder.pending) == (False, [])


def test_install_runtime_finder_puts_it_first_on_the_meta_path(
    demo_archive: BuiltArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    stage = _first_stage(demo_archive.path, monkeypatch)
    stage.install_runtime_finder()
    assert type(sys.meta_path[0]) is stage.RuntimeFinder
    assert sys.meta_path[0].archive == str(demo_archive.path)


def test_damaged_runtime_member_leaves_zipimport_in_charge(
    demo_archive: BuiltArchive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = _with_runtime_member(demo_archive, tmp_path / "damaged.pyz", b"\xff not marshal")
    before = list(sys.meta_path)
    monkeypatch.setattr(sys, "meta_path", list(before))
    _first_stage(damaged, monkeypatch).install_runtime_finder()
    assert sys.meta_path == before


def _started(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[types.ModuleType, Any]:
    """What the stub does: the package made without a loader, then ``start`` with the
    runtime member; returns the package and the finder it put first on the meta path."""
    # Without the finder an earlier start of this test put there.
    finders = [finder for finder in sys.meta_path if type(finder).__name__ != "RuntimeFinder"]
    monkeypatch.setattr(sys, "meta_path", finders)
    stage = _first_stage(path, monkeypatch)
    spec = importlib.machinery.ModuleSpec(PACKAGE_NAME, None, is_package=True)
    package = importlib.util.module_from_spec(spec)
    with zipfile.ZipFile(path) as archive:
        table = marshal.loads(archive.read(RUNTIME_MEMBER))
    stage.start(stage.__loader__, package, table)
    return package, sys.meta_path[0]


def test_start_runs_the_package_from_the_member_and_serves_the_rest(
    demo_archive: BuiltArchive, runtime_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant_runtime_pyc(runtime_cache, "__init__", "MARK = 'cached'")  # must not be used
    package, finder = _started(demo_archive.path, monkeypatch)
    path = os.path.join(demo_archive.path, PACKAGE_NAME, "__init__.py")
    assert (package.FORMAT_VERSION, hasattr(package, "MARK")) == (FORMAT_VERSION, False)
    assert package.module_record.__code__.co_filename == path
    assert package.__loader__ is package.__spec__.loader is finder
    assert finder.get_source(PACKAGE_NAME) == (RUNTIME_DIR / "__init__.py").read_text("utf-8")
    assert (finder.pending, finder.compiles) == ([], False)


def test_start_on_another_python_compiles_the_package_once_and_keeps_it(
    demo_archive: BuiltArchive, runtime_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _foreign_runtime(demo_archive, tmp_path / "foreign.pyz")
    package, finder = _started(archive, monkeypatch)
    assert package.FORMAT_VERSION == FORMAT_VERSION
    assert [filename for filename, _ in finder.pending] == ["__init__.pyc"]
    store = BytecodeStore(UserCache(), "demo", demo_archive.index["hash"])
    finder.store_with(lambda name, pyc: store.store_pyc(f"{PACKAGE_NAME}/{name}", pyc))
    _plant_runtime_pyc(runtime_cache, "__init__", "MARK = 'cached'")  # stands for it
    package, finder = _started(archive, monkeypatch)
    assert (package.MARK, finder.pending) == ("cached", [])


def test_start_keeps_the_first_stage_the_stub_compiled_with_the_others(
    demo_archive: BuiltArchive, runtime_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _foreign_runtime(demo_archive, tmp_path / "foreign.pyz")
    stage = _first_stage(archive, monkeypatch)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    source = (RUNTIME_DIR / "first.py").read_bytes()
    code = compile(source, "first.py", "exec")
    package = importlib.util.module_from_spec(
        importlib.machinery.ModuleSpec(PACKAGE_NAME, None, is_package=True)
    )
    with zipfile.ZipFile(archive) as opened:
        table = marshal.loads(opened.read(RUNTIME_MEMBER))
    stage.start(stage.__loader__, package, table, (source, code))
    pending = dict(sys.meta_path[0].pending)
    assert sorted(pending) == ["__init__.pyc", "first.pyc"]
    assert pending["first.pyc"][8:16] == importlib.util.source_hash(source)
