"""``bundle cache``'s view of the per-user cache: listing and clearing entries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bundler.caches import user as cachedir

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown"
)


def _entry(root: Path, name: str, size: int = 10) -> Path:
    path = root / "apps" / name
    (path / "site").mkdir(parents=True)
    (path / "site" / "f").write_bytes(b"x" * size)
    return path


def test_listing_shows_entries_of_the_expected_shape_only(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    ours = _entry(root, f"demo-{'1' * 16}", size=1000)
    _entry(root, "not-ours")
    elsewhere = _entry(tmp_path / "other", f"x-{'2' * 16}")
    (root / "apps" / f"linked-{'3' * 16}").symlink_to(elsewhere)
    entries = cachedir.list_entries([root])
    assert [(e.app, e.build, e.path, e.size) for e in entries] == [("demo", "1" * 16, ours, 1000)]


def test_clearing_removes_our_entries_and_never_follows_links(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    ours = _entry(root, f"demo-{'1' * 16}")
    elsewhere = _entry(tmp_path / "other", f"x-{'2' * 16}")
    link = root / "apps" / f"linked-{'3' * 16}"
    link.symlink_to(elsewhere)
    removed = cachedir.clear_entries(roots=[root])
    assert [entry.path for entry in removed] == [ours]
    assert not ours.exists()
    assert link.is_symlink() and (elsewhere / "site" / "f").is_file()


def test_clearing_keeps_entries_used_recently(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    old = _entry(root, f"old-{'1' * 16}")
    new = _entry(root, f"new-{'2' * 16}")
    month_ago = old.stat().st_mtime - 30 * 24 * 3600
    os.utime(old, (month_ago, month_ago))
    removed = cachedir.clear_entries(older_than_days=7, roots=[root])
    assert [entry.path for entry in removed] == [old]
    assert new.is_dir()


@needs_root
def test_entries_of_another_user_are_neither_listed_nor_removed(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    theirs = _entry(root, f"theirs-{'1' * 16}")
    os.chown(theirs, 65534, 65534)
    assert cachedir.list_entries([root]) == []
    assert cachedir.clear_entries(roots=[root]) == []
    assert theirs.is_dir()


def test_clearing_never_leaves_the_cache_through_a_symlinked_apps(tmp_path: Path) -> None:
    """Finding 3 of issue 10: an ``apps`` symlink had its target's contents removed."""
    root = tmp_path / "cache"
    root.mkdir()
    victim = tmp_path / "victim"
    precious = _entry(victim.parent / "victim-root", f"precious-{'4' * 16}")
    (root / "apps").symlink_to(precious.parent)
    assert cachedir.list_entries([root]) == []
    assert cachedir.clear_entries(roots=[root]) == []
    assert (precious / "site" / "f").is_file()


def test_clearing_removes_links_inside_an_entry_not_their_targets(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    ours = _entry(root, f"demo-{'1' * 16}")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("x")
    (ours / "site" / "escape").symlink_to(outside)
    assert [entry.path for entry in cachedir.clear_entries(roots=[root])] == [ours]
    assert sorted(p.name for p in (root / "apps").iterdir()) == []
    assert (outside / "keep").read_text() == "x"
