"""The runtime's per-user cache: where its root is, private directories, atomic writes,
locks and safe member names, exercised in-process."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bundler.runtime import cache

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown"
)


@pytest.fixture(autouse=True)
def fresh_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test chooses its own root."""
    for name in ("BUNDLER_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


# -- the root and app directories ------------------------------------------------------


def test_app_dir_is_created_private_under_the_named_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "deep" / "cache"
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    app = Path(cache.UserCache().app_dir("my app/v1", "0123456789abcdef" * 4))
    assert app == root / "apps" / "my_app_v1-0123456789abcdef"
    assert [_mode(p) for p in (root, root / "apps", app)] == [0o700] * 3
    assert (root / "CACHEDIR.TAG").read_bytes().startswith(b"Signature: 8a477f597d28d17")


def test_open_cache_directory_of_ours_is_tightened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    assert cache.UserCache().root() == str(root)
    assert _mode(root) == 0o700


def test_named_cache_that_is_a_symlink_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    monkeypatch.setenv("BUNDLER_CACHE", str(link))
    with pytest.raises(cache.CacheError, match="is a symlink; refusing to follow it"):
        cache.UserCache().app_dir("app", "0" * 64)
    assert list(target.iterdir()) == []


def test_app_directory_that_is_a_symlink_is_replaced_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    (root / "apps").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep").write_text("theirs")
    (root / "apps" / f"app-{'0' * 16}").symlink_to(elsewhere)
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    app = Path(cache.UserCache().app_dir("app", "0" * 64))
    assert (app.is_symlink(), app.is_dir(), _mode(app)) == (False, True, 0o700)
    assert [p.name for p in elsewhere.iterdir()] == ["keep"]
    assert sorted(p.name for p in (root / "apps").iterdir()) == [app.name]


@needs_root
def test_cache_owned_by_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "theirs"
    root.mkdir(mode=0o700)
    os.chown(root, 65534, 65534)
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    with pytest.raises(cache.CacheError, match="belongs to another user"):
        cache.UserCache().root()


def test_missing_home_falls_back_to_a_private_temporary_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "gone"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    root = Path(cache.UserCache().root())
    assert root == tmp_path / f"bundler-cache-{os.getuid()}"
    assert _mode(root) == 0o700
    assert not (tmp_path / "gone").exists()  # a home is never created


def test_unusable_home_falls_back_to_a_private_temporary_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".cache").write_text("a file where the cache directory would be")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert cache.UserCache().root() == str(tmp_path / f"bundler-cache-{os.getuid()}")


def test_read_only_home_with_an_existing_cache_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 8 of issue 10: an existing ~/.cache/bundler on a read-only home was chosen,
    and every extraction failed. (A read-only mount needs privileges: access() stands in.)"""
    home = tmp_path / "home"
    existing = home / ".cache" / "bundler"
    existing.mkdir(parents=True, mode=0o700)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    real_access = os.access
    read_only = str(existing)
    monkeypatch.setattr(
        os, "access", lambda path, mode: path != read_only and real_access(path, mode)
    )
    assert cache.UserCache().root() == str(tmp_path / f"bundler-cache-{os.getuid()}")


def test_no_usable_root_is_one_error_naming_the_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", os.devnull)
    monkeypatch.setenv("TMPDIR", os.devnull)
    with pytest.raises(cache.CacheError) as caught:
        cache.UserCache().root()
    message = str(caught.value)
    assert message.startswith("no usable cache directory (cannot use ")
    assert message.endswith("set BUNDLER_CACHE to a writable directory of yours")
    assert "\n" not in message


# -- files ------------------------------------------------------------------------------


def test_write_atomic_replaces_the_whole_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.bin"
    cache.write_atomic(str(target), b"first")
    cache.write_atomic(str(target), b"second", 0o700, sync=False)
    assert target.read_bytes() == b"second"
    assert _mode(target) == 0o700
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]
    assert _mode(tmp_path / "a") == _mode(tmp_path / "a" / "b") == 0o700
