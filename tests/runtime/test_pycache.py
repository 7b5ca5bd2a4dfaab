"""Where the per-user cache lives and trusted reads of the bytecode in it
(runtime/pycache.py)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import marshal
import os
import stat
import sys
import threading
import types
from pathlib import Path

import pytest

from bundler.runtime.pycache import (
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
from tests.runtime.conftest import FOREIGN_MAGIC

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
