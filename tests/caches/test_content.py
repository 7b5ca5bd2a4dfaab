"""Results kept by content: keys that separate their parts, atomic files, no cache at all."""

from __future__ import annotations

from pathlib import Path

from bundler.caches.content import ContentStore, content_key


def test_key_separates_its_parts() -> None:
    assert content_key(b"ab", b"c") != content_key(b"a", b"bc")
    assert content_key(b"a", b"b") == content_key(b"a", b"b")


def test_stored_bytes_come_back_under_their_key(tmp_path: Path) -> None:
    store = ContentStore(tmp_path, ".bin")
    key = content_key(b"x")
    assert store.get(key) is None
    store.put(key, b"result")
    assert store.get(key) == b"result"
    assert (tmp_path / key[:2] / f"{key}.bin").read_bytes() == b"result"


def test_without_a_directory_nothing_is_kept(tmp_path: Path) -> None:
    store = ContentStore(None)
    store.put("ab" * 32, b"result")
    assert store.get("ab" * 32) is None


def test_an_unwritable_cache_only_means_no_result(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    store = ContentStore(blocker / "below")  # a directory under a file cannot exist
    store.put("cd" * 32, b"result")
    assert store.get("cd" * 32) is None
