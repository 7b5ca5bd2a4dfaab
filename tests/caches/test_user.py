"""``bundle cache``'s view of bundler's caches: every area listed with sizes and last use,
pruned and cleared without ever leaving the cache (issue 10, item 3)."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

from bundler.caches import user as cachedir
from bundler.caches.build import MARKER, cached_entry

DAY = 24 * 60 * 60
KEY = "0123456789abcdef" * 2

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown"
)


def _entry(root: Path, name: str, size: int = 10, area: str = "apps") -> Path:
    path = root / area / name
    (path / "site").mkdir(parents=True)
    (path / "site" / "f").write_bytes(b"x" * size)
    return path


def _age(path: Path, days: float) -> None:
    when = path.stat().st_mtime - days * DAY
    os.utime(path, (when, when))


def test_listing_shows_entries_of_the_expected_shape_only(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    ours = _entry(root, f"demo-{'1' * 16}", size=1000)
    _entry(root, "not-ours")
    elsewhere = _entry(tmp_path / "other", f"x-{'2' * 16}")
    (root / "apps" / f"linked-{'3' * 16}").symlink_to(elsewhere)
    entries = cachedir.list_entries([root])
    assert [(e.area, e.label, e.path, e.size) for e in entries] == [("apps", "demo", ours, 1000)]


def test_every_area_is_listed_with_what_its_entries_are(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    _entry(root, f"demo-{'1' * 16}", size=3)
    for area, facts in (
        ("wheels", {"wheel": "demo-1.0-py3-none-any.whl"}),
        ("dependencies", {"wheel": "demo-1.0-py3-none-any.whl", "requirements": ["click>=8"]}),
    ):
        entry = _entry(root, KEY, size=5, area=area)
        (entry / MARKER).write_text(json.dumps(facts))
        (root / area / f"{KEY}.lock").write_text("")
    _age(_entry(root, f".{KEY}.tmp-x1y2", size=7, area="dependencies"), 1)
    pyc = root / "bytecode" / "a70d0d0a" / "ab" / "abcdef.pyc"
    pyc.parent.mkdir(parents=True)
    pyc.write_bytes(b"p" * 11)
    entries = cachedir.list_entries([root])
    assert [(e.area, e.label) for e in entries] == [
        ("apps", "demo"),
        ("wheels", "demo-1.0-py3-none-any.whl"),
        ("dependencies", "left by an interrupted build"),
        ("dependencies", "demo-1.0-py3-none-any.whl, click>=8"),
        ("bytecode", "magic a70d0d0a"),
    ]
    markers = [
        len((root / area / KEY / MARKER).read_bytes()) for area in ("wheels", "dependencies")
    ]
    assert [e.size for e in entries] == [3, 5 + markers[0], 7, 5 + markers[1], 11]


def test_bytecode_last_use_is_its_newest_file(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    old = root / "bytecode" / "a70d0d0a" / "ab" / "old.pyc"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"")
    os.utime(old, (1_000_000, 1_000_000))
    for directory in (old.parent, old.parent.parent):
        os.utime(directory, (1_000_000, 1_000_000))
    (entry,) = cachedir.list_entries([root])
    assert entry.last_used == 1_000_000
    (old.parent / "new.pyc").write_bytes(b"")
    (entry,) = cachedir.list_entries([root])
    assert entry.last_used > 1_000_000


def test_clearing_removes_our_entries_and_never_follows_links(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    ours = _entry(root, f"demo-{'1' * 16}")
    elsewhere = _entry(tmp_path / "other", f"x-{'2' * 16}")
    link = root / "apps" / f"linked-{'3' * 16}"
    link.symlink_to(elsewhere)
    (ours / "site" / "escape").symlink_to(elsewhere)
    removal = cachedir.remove_entries(roots=[root])
    assert [entry.path for entry in removal.removed] == [ours]
    assert not ours.exists()
    assert link.is_symlink() and (elsewhere / "site" / "f").is_file()


@pytest.mark.parametrize("linked", ["apps", "root"])
def test_a_symlinked_area_or_root_is_never_entered(tmp_path: Path, linked: str) -> None:
    """Issue 10 item 3: an ``apps`` symlink to another directory had its contents removed."""
    victim = tmp_path / "victim"
    precious = _entry(victim, f"precious-{'4' * 16}")
    root = tmp_path / "cache"
    if linked == "apps":
        root.mkdir()
        (root / "apps").symlink_to(victim / "apps")
    else:
        root.symlink_to(victim)
    assert cachedir.list_entries([root]) == []
    assert cachedir.remove_entries(roots=[root]).removed == ()
    assert (precious / "site" / "f").read_bytes() == b"x" * 10


def test_pruning_keeps_entries_used_recently(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    old = _entry(root, f"old-{'1' * 16}")
    new = _entry(root, f"new-{'2' * 16}")
    stale_wheel = _entry(root, KEY, area="wheels")
    _age(old, 30)
    _age(stale_wheel, 30)
    removal = cachedir.remove_entries(older_than_days=7, roots=[root])
    assert [entry.path for entry in removal.removed] == [old, stale_wheel]
    assert removal.size == 20
    assert new.is_dir() and not (root / "wheels" / f"{KEY}.lock").exists()


def test_an_entry_a_running_build_uses_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    area = root / "dependencies"
    area.mkdir(parents=True)

    def fill(directory: Path) -> dict[str, str]:
        (directory / "site").mkdir()
        return {"wheel": "demo.whl"}

    with cached_entry(area, KEY, fill) as entry:  # holds the key's lock, shared
        removal = cachedir.remove_entries(roots=[root])
        assert ([e.path for e in removal.busy], removal.removed) == ([entry.path], ())
        assert entry.path.is_dir()
    removal = cachedir.remove_entries(roots=[root])
    assert [e.path for e in removal.removed] == [entry.path]
    assert sorted(os.listdir(area)) == []


def test_a_reused_build_entry_records_its_use(tmp_path: Path) -> None:
    area = tmp_path / "cache" / "wheels"
    with cached_entry(area, KEY, lambda d: {"wheel": "w.whl"}) as entry:
        _age(entry.path, 30)
    with cached_entry(area, KEY, lambda d: {"wheel": "w.whl"}) as again:
        assert again.reused
    (listed,) = cachedir.list_entries([tmp_path / "cache"])
    assert listed.age_days() < 1
    assert (
        (tmp_path / "cache" / "CACHEDIR.TAG")
        .read_bytes()
        .startswith(b"Signature: 8a477f597d28d172789f06886806bc55\n")
    )


def test_remove_tree_removes_links_not_their_targets(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep").write_text("keep")
    tree = tmp_path / "tree"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "file").write_text("x")
    (tree / "a" / "link").symlink_to(target)
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        cachedir.remove_tree(fd, "tree")
    finally:
        os.close(fd)
    assert not tree.exists() and (target / "keep").read_text() == "keep"


def test_locations_put_the_build_cache_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(tmp_path / "build"))
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "run"))
    assert cachedir.cache_locations() == [tmp_path / "build", tmp_path / "run"]
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(tmp_path / "run"))
    assert cachedir.cache_locations() == [tmp_path / "run"]


@needs_root
def test_entries_of_another_user_are_neither_listed_nor_removed(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    theirs = _entry(root, f"theirs-{'1' * 16}")
    os.chown(theirs, 65534, 65534)
    assert cachedir.list_entries([root]) == []
    assert cachedir.remove_entries(roots=[root]).removed == ()
    assert theirs.is_dir()


@needs_root
def test_an_area_of_another_user_is_not_entered(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    entry = _entry(root, f"mine-{'1' * 16}")
    os.chown(root / "apps", 65534, 65534)
    assert cachedir.remove_entries(roots=[root]).removed == ()
    assert entry.is_dir()


def test_lock_is_really_exclusive_while_removing(tmp_path: Path) -> None:
    """The prune takes the key's lock without waiting: a held exclusive lock means busy."""
    root = tmp_path / "cache"
    entry = _entry(root, KEY, area="wheels")
    fd = os.open(root / "wheels" / f"{KEY}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert [e.path for e in cachedir.remove_entries(roots=[root]).busy] == [entry]
    finally:
        os.close(fd)
    assert entry.is_dir()
