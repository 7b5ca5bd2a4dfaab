"""The runtime's first stage (runtime/first.py): where the per-user cache lives, trusted
reads of cached bytecode, and the RuntimeFinder that serves the runtime's modules (the
package's ``__init__`` included) from one member of the archive."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import marshal
import os
import stat
import sys
import threading
import types
import zipfile
import zipimport
from pathlib import Path
from typing import Any

import pytest

from bundler.runtime import FORMAT_VERSION, PACKAGE_NAME
from bundler.runtime.cache import BytecodeStore, UserCache
from bundler.runtime.first import (
    INDEX_MEMBER,
    RUNTIME_MEMBER,
    app_dir_name,
    bytecode_subdir,
    cache_roots,
    is_owned,
    is_private_dir,
    load_pyc,
    pyc_bytes,
    read_cached_pyc,
    read_trusted,
)
from tests.runtime.conftest import FOREIGN_MAGIC, BuiltArchive

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "bundler" / "runtime"
HASH = "0123456789abcdef" * 4

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown"
)


def _code_of(source: str) -> types.CodeType:
    return compile(source, "<test>", "exec")


def _run(code: types.CodeType | None) -> dict[str, object]:
    assert code is not None
    namespace: dict[str, object] = {}
    exec(code, namespace)
    return namespace


# -- where the cache lives ----------------------------------------------------------------------


@pytest.fixture
def cache_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No cache variable set, HOME and TMPDIR in ``tmp_path``; returns ``tmp_path``."""
    for name in ("BUNDLER_CACHE", "XDG_CACHE_HOME", "TEMP", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    return tmp_path


def _temp_root(base: Path | str) -> str:
    return os.path.join(base, f"bundler-cache-{os.getuid()}")


def test_named_cache_is_the_only_root(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_CACHE", "/somewhere/cache")
    assert cache_roots() == ["/somewhere/cache"]


def test_named_cache_is_made_absolute(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(cache_environment)
    monkeypatch.setenv("BUNDLER_CACHE", "relative/cache")
    assert cache_roots() == [str(cache_environment / "relative" / "cache")]


@pytest.mark.parametrize(
    "variables",
    [{}, {"BUNDLER_CACHE": ""}, {"XDG_CACHE_HOME": "relative"}],
    ids=["none set", "empty named cache", "relative XDG_CACHE_HOME"],
)
def test_home_cache_comes_first_without_a_usable_variable(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    home_cache = str(cache_environment / "home" / ".cache" / "bundler")
    assert cache_roots() == [home_cache, _temp_root(cache_environment / "tmp")]


def test_xdg_cache_home_comes_first(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert cache_roots() == ["/xdg/bundler", _temp_root(cache_environment / "tmp")]


def test_temporary_root_falls_back_to_temp_then_slash_tmp(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMPDIR")
    monkeypatch.setenv("TEMP", "/temp")
    assert cache_roots()[1] == _temp_root("/temp")
    monkeypatch.delenv("TEMP")
    assert cache_roots()[1] == _temp_root("/tmp")


def test_macos_cache_is_in_library_caches(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")  # not a macOS convention
    library = str(cache_environment / "home" / "Library" / "Caches" / "bundler")
    assert cache_roots() == [library, _temp_root(cache_environment / "tmp")]


def test_windows_cache_is_in_local_app_data(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    assert cache_roots() == [_temp_root(cache_environment / "tmp")]
    monkeypatch.setenv("LOCALAPPDATA", "/local")
    assert cache_roots() == ["/local/bundler/Cache", _temp_root(cache_environment / "tmp")]


@pytest.mark.parametrize(
    ("name", "directory"),
    [
        ("demo", "demo-0123456789abcdef"),
        ("my app/v1", "my_app_v1-0123456789abcdef"),
        ("../up", ".._up-0123456789abcdef"),
        ("", "app-0123456789abcdef"),
    ],
)
def test_app_dir_name_is_a_safe_name_and_the_hash_prefix(name: str, directory: str) -> None:
    assert app_dir_name(name, HASH) == directory


def test_bytecode_subdir_is_per_app_and_python() -> None:
    tag = sys.implementation.cache_tag
    assert bytecode_subdir("demo", HASH) == f"apps/demo-0123456789abcdef/bytecode/{tag}"


# -- ownership ----------------------------------------------------------------------------------


def _stat(mode: int, uid: int) -> os.stat_result:
    return os.stat_result((mode, 0, 0, 1, uid, 0, 0, 0, 0, 0))


def test_is_owned_compares_the_owner_with_this_user(tmp_path: Path) -> None:
    assert is_owned(os.stat(tmp_path))
    assert not is_owned(_stat(stat.S_IFREG | 0o600, os.getuid() + 1))


@pytest.mark.parametrize(
    ("mode", "private"), [(0o700, True), (0o755, True), (0o775, False), (0o707, False)]
)
def test_directory_is_private_when_nobody_else_may_write(
    tmp_path: Path, mode: int, private: bool
) -> None:
    directory = tmp_path / "dir"
    directory.mkdir()
    directory.chmod(mode)
    assert is_private_dir(os.lstat(directory)) is private


def test_what_is_not_our_own_real_directory_is_not_private(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "link").symlink_to(tmp_path)
    found = [is_private_dir(os.lstat(tmp_path / name)) for name in ("file", "link")]
    assert found == [False, False]
    assert not is_private_dir(_stat(stat.S_IFDIR | 0o700, os.getuid() + 1))


# -- bytecode -----------------------------------------------------------------------------------


def test_pyc_round_trips_through_load_pyc() -> None:
    source = b"VALUE = 6 * 7\n"
    assert _run(load_pyc(pyc_bytes(source, compile(source, "m.py", "exec"))))["VALUE"] == 42


def test_pyc_is_an_unchecked_hash_based_pyc_for_this_python() -> None:
    source = b"VALUE = 1\n"
    pyc = pyc_bytes(source, compile(source, "m.py", "exec"))
    header = (pyc[:4], pyc[4:8], pyc[8:16])
    assert header == (
        importlib.util.MAGIC_NUMBER,
        b"\x01\0\0\0",
        importlib.util.source_hash(source),
    )


def test_python_itself_loads_our_pyc_without_checking_the_source(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("VALUE = 'source'\n")
    cached = Path(importlib.util.cache_from_source(str(tmp_path / "mod.py")))
    cached.parent.mkdir()
    cached.write_bytes(pyc_bytes(b"VALUE = 'source'\n", _code_of("VALUE = 'pyc'")))
    spec = importlib.util.spec_from_file_location("bundler_test_mod", tmp_path / "mod.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.VALUE == "pyc"


@pytest.mark.parametrize(
    "data",
    [
        FOREIGN_MAGIC + bytes(12) + marshal.dumps(_code_of("X = 1")),
        importlib.util.MAGIC_NUMBER + bytes(12) + b"\xff garbage",
        importlib.util.MAGIC_NUMBER + bytes(12),
        b"",
    ],
    ids=["foreign magic", "garbage", "header only", "empty"],
)
def test_load_pyc_rejects_what_is_not_a_pyc_for_this_python(data: bytes) -> None:
    assert load_pyc(data) is None


# -- trusted reads --------------------------------------------------------------------------------


def test_read_trusted_reads_a_regular_file_of_ours_whole(tmp_path: Path) -> None:
    data = os.urandom(3 << 20) + b"tail"  # more than one read
    (tmp_path / "file").write_bytes(data)
    (tmp_path / "empty").write_bytes(b"")
    assert read_trusted(str(tmp_path / "file")) == data
    assert read_trusted(str(tmp_path / "empty")) == b""


def test_read_trusted_refuses_a_symlink_at_the_last_component(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"ours")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    assert read_trusted(str(tmp_path / "link")) is None


def test_read_trusted_follows_symlinks_above_the_last_component(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "file").write_bytes(b"ours")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    assert read_trusted(str(tmp_path / "linked" / "file")) == b"ours"


@pytest.mark.parametrize("name", ["absent", "directory"])
def test_read_trusted_refuses_what_is_not_a_file(tmp_path: Path, name: str) -> None:
    (tmp_path / "directory").mkdir()
    assert read_trusted(str(tmp_path / name)) is None


def test_read_trusted_refuses_devices_and_fifos(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # a writer, so opening cannot block
    try:
        assert (read_trusted(os.devnull), read_trusted(str(fifo))) == (None, None)
    finally:
        os.close(writer)


def test_read_trusted_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    results: list[bytes | None] = []
    reader = threading.Thread(target=lambda: results.append(read_trusted(str(fifo))))
    reader.start()
    reader.join(timeout=3)  # guards against a hang; an open that does not block is instant
    blocked = reader.is_alive()
    if blocked:  # release it: opening the other end lets its open return
        writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        reader.join()
        os.close(writer)
    assert (blocked, results) == (False, [None])


@needs_root
def test_read_trusted_refuses_a_file_of_another_user(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"theirs")
    os.chown(tmp_path / "file", os.getuid() + 1, -1)
    assert read_trusted(str(tmp_path / "file")) is None


# -- read_cached_pyc ---------------------------------------------------------------------------

RELATIVE = os.path.join("apps", "demo-0123456789abcdef", "mod.pyc")


def _plant(root: Path, value: str, mode: int = 0o700) -> None:
    """A private cache root holding a pyc (at RELATIVE) that sets VALUE."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(mode)
    target = root / RELATIVE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pyc_bytes(b"", _code_of(f"VALUE = {value!r}")))


def test_cached_pyc_is_read_from_the_named_cache(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant(cache_environment / "named", "named")
    monkeypatch.setenv("BUNDLER_CACHE", str(cache_environment / "named"))
    assert _run(read_cached_pyc(RELATIVE, set()))["VALUE"] == "named"


def test_cached_pyc_in_a_root_others_may_write_is_not_trusted(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant(cache_environment / "named", "named", mode=0o777)
    monkeypatch.setenv("BUNDLER_CACHE", str(cache_environment / "named"))
    assert read_cached_pyc(RELATIVE, set()) is None


def test_cached_pyc_behind_a_symlinked_root_is_not_trusted(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant(cache_environment / "real", "real")
    (cache_environment / "link").symlink_to(cache_environment / "real")
    monkeypatch.setenv("BUNDLER_CACHE", str(cache_environment / "link"))
    assert read_cached_pyc(RELATIVE, set()) is None


def test_cached_pyc_comes_from_the_first_root_that_exists(cache_environment: Path) -> None:
    _plant(Path(_temp_root(cache_environment / "tmp")), "temporary")
    assert _run(read_cached_pyc(RELATIVE, set()))["VALUE"] == "temporary"


def test_cached_pyc_is_not_looked_for_beyond_the_first_usable_root(
    cache_environment: Path,
) -> None:
    (cache_environment / "home" / ".cache" / "bundler").mkdir(parents=True, mode=0o700)
    _plant(Path(_temp_root(cache_environment / "tmp")), "temporary")
    assert read_cached_pyc(RELATIVE, set()) is None


def test_cached_pyc_for_another_python_is_ignored(
    cache_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant(cache_environment / "named", "named")
    (cache_environment / "named" / RELATIVE).write_bytes(FOREIGN_MAGIC + bytes(12))
    monkeypatch.setenv("BUNDLER_CACHE", str(cache_environment / "named"))
    assert read_cached_pyc(RELATIVE, set()) is None


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
        _magic, compiled = marshal.loads(source.read(RUNTIME_MEMBER))
    return _with_runtime_member(built, output, marshal.dumps((FOREIGN_MAGIC, compiled)))


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
