"""Build-time bytecode: hash-based unchecked pycs, where they go in the payload, and the
cache that lets a rebuild compile only what changed."""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import stat
import sys
from pathlib import Path

import pytest

from bundler.archive.bytecode import BytecodeCache, bytecode_member, compile_pyc
from bundler.caches import content as content_module
from bundler.runtime import load_pyc

SOURCE = b"VALUE = 6 * 7\n"
TAG = sys.implementation.cache_tag


def _cache_path(root: Path, member: str, source: bytes) -> Path:
    """Where the cache under build cache ``root`` keeps the pyc of ``source``."""
    key = hashlib.sha256(member.encode() + b"\0" + source).hexdigest()
    return root / "bytecode" / importlib.util.MAGIC_NUMBER.hex() / key[:2] / f"{key}.pyc"


def _refuse_to_store(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache stored a file")

    monkeypatch.setattr(content_module, "write_atomic", refuse)


# -- compiling ---------------------------------------------------------------------------------


def test_pyc_has_a_hash_based_unchecked_header_and_the_code() -> None:
    warnings: list[str] = []
    pyc = compile_pyc(SOURCE, "pkg/mod.py", warnings)

    assert pyc is not None
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert pyc[4:8] == b"\x01\x00\x00\x00"  # hash-based, check_source off
    assert pyc[8:16] == importlib.util.source_hash(SOURCE)
    code = marshal.loads(pyc[16:])
    assert code.co_filename == "pkg/mod.py"
    namespace: dict[str, object] = {}
    exec(code, namespace)
    assert namespace["VALUE"] == 42
    assert warnings == []


def test_pyc_is_what_the_runtime_reads_back() -> None:
    pyc = compile_pyc(SOURCE, "pkg/mod.py", [])

    assert pyc is not None
    code = load_pyc(pyc)
    assert code is not None
    assert code.co_filename == "pkg/mod.py"


def test_code_that_does_not_compile_is_kept_as_source_with_a_warning() -> None:
    warnings: list[str] = []

    assert compile_pyc(b"x = 1\ndef broken(:\n", "pkg/bad.py", warnings) is None
    assert warnings == [
        "pkg/bad.py:2 does not compile on this Python (SyntaxError); kept as source only"
    ]


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("pkg/mod.py", f"pkg/__pycache__/mod.{TAG}.pyc"),
        ("pkg/sub/__init__.py", f"pkg/sub/__pycache__/__init__.{TAG}.pyc"),
        ("top.py", f"__pycache__/top.{TAG}.pyc"),
    ],
)
def test_bytecode_member_is_in_pycache_beside_its_source(member: str, expected: str) -> None:
    assert bytecode_member(member) == expected


# -- the cache ---------------------------------------------------------------------------------


def test_cache_hit_returns_the_stored_bytes(tmp_path: Path) -> None:
    path = _cache_path(tmp_path, "pkg/mod.py", SOURCE)
    header = importlib.util.MAGIC_NUMBER + b"\x01\x00\x00\x00" + importlib.util.source_hash(SOURCE)
    stored = header + b"the bytes of an earlier build"
    path.parent.mkdir(parents=True)
    path.write_bytes(stored)

    assert BytecodeCache.open(tmp_path).bytecode(SOURCE, "pkg/mod.py", []) == stored


def test_cache_miss_compiles_and_stores(tmp_path: Path) -> None:
    warnings: list[str] = []
    pyc = BytecodeCache.open(tmp_path).bytecode(SOURCE, "pkg/mod.py", warnings)

    assert pyc == compile_pyc(SOURCE, "pkg/mod.py", [])
    path = _cache_path(tmp_path, "pkg/mod.py", SOURCE)
    assert path.read_bytes() == pyc
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert warnings == []


def test_cached_pyc_of_other_source_is_compiled_again(tmp_path: Path) -> None:
    """A pyc whose header names other source (a damaged cache) is replaced."""
    path = _cache_path(tmp_path, "pkg/mod.py", SOURCE)
    header = importlib.util.MAGIC_NUMBER + b"\x01\x00\x00\x00" + importlib.util.source_hash(b"")
    path.parent.mkdir(parents=True)
    path.write_bytes(header + b"stale")

    pyc = BytecodeCache.open(tmp_path).bytecode(SOURCE, "pkg/mod.py", [])

    assert pyc == compile_pyc(SOURCE, "pkg/mod.py", [])
    assert path.read_bytes() == pyc


def test_same_source_under_another_member_name_is_another_entry(tmp_path: Path) -> None:
    """The member is the code's filename, which tracebacks show: it is part of the key."""
    cache = BytecodeCache.open(tmp_path)
    cache.bytecode(SOURCE, "pkg/a.py", [])
    pyc = cache.bytecode(SOURCE, "pkg/b.py", [])

    assert pyc is not None
    assert marshal.loads(pyc[16:]).co_filename == "pkg/b.py"
    assert _cache_path(tmp_path, "pkg/b.py", SOURCE).read_bytes() == pyc


def test_source_that_does_not_compile_is_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refuse_to_store(monkeypatch)
    warnings: list[str] = []

    assert BytecodeCache.open(tmp_path).bytecode(b"def (:\n", "bad.py", warnings) is None
    assert warnings == [
        "bad.py:1 does not compile on this Python (SyntaxError); kept as source only"
    ]


def test_without_a_root_the_cache_compiles_without_storing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _refuse_to_store(monkeypatch)

    assert BytecodeCache.open(None).bytecode(SOURCE, "pkg/mod.py", []) == compile_pyc(
        SOURCE, "pkg/mod.py", []
    )
