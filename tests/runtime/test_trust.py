"""The cache's trust model: private directories checked top-down, removal that never
follows a symlink, sweeping what a killed process left, stamps of written files."""

from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path

import pytest

from bundler.runtime import trust

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown"
)


def _mode(path: Path) -> int:
    return path.lstat().st_mode & 0o777


def test_private_tree_creates_missing_directories_private(tmp_path: Path) -> None:
    verified: set[str] = set()
    made = trust.private_tree(str(tmp_path), ("a", "b"), verified, fix=False)
    assert made == str(tmp_path / "a" / "b")
    assert [_mode(tmp_path / "a"), _mode(tmp_path / "a" / "b")] == [0o700, 0o700]
    assert verified == {str(tmp_path / "a"), made}


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("theirs")
    return outside


def test_symlinked_directory_is_untrusted_without_fix(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "site").symlink_to(_outside(tmp_path))
    with pytest.raises(trust.Untrusted, match="site is not a private directory of ours"):
        trust.private_tree(str(tmp_path / "base"), ("site",), set(), fix=False)


def test_symlinked_directory_is_replaced_never_followed(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    base = tmp_path / "base"
    base.mkdir()
    (base / "site").symlink_to(outside)
    (base / "open").mkdir()
    (base / "open").chmod(0o777)
    (base / "open" / "planted.py").write_text("evil")
    for name in ("site", "open"):
        trust.private_tree(str(base), (name,), set(), fix=True)
        assert ((base / name).is_symlink(), _mode(base / name)) == (False, 0o700)
        assert list((base / name).iterdir()) == []
    assert [p.name for p in outside.iterdir()] == ["keep"]
    assert sorted(p.name for p in base.iterdir()) == ["open", "site"]  # trash removed


@needs_root
def test_directory_of_another_user_is_replaced(tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "theirs").mkdir(parents=True)
    os.chown(base / "theirs", 65534, 65534)
    trust.private_tree(str(base), ("theirs",), set(), fix=True)
    assert (base / "theirs").stat().st_uid == os.getuid()


def test_discard_removes_a_tree_without_following_its_symlinks(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "link").symlink_to(outside)
    (tree / "file").write_text("x")
    trust.discard(str(tree), str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside"]
    assert [p.name for p in outside.iterdir()] == ["keep"]


def test_sweep_removes_temporaries_and_trash_only(tmp_path: Path) -> None:
    for name in (".lib.so.123.abcd.tmp", "keep.tmp", ".hidden", "lib.so"):
        (tmp_path / name).write_text("x")
    (tmp_path / ".trash-1-ab" / "inner").mkdir(parents=True)
    trust.sweep(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden", "keep.tmp", "lib.so"]


def test_stamp_changes_with_a_same_size_edit_even_with_the_old_mtime(tmp_path: Path) -> None:
    path = tmp_path / "lib.so"
    path.write_bytes(b"a" * 100)
    before = path.stat()
    with open(path, "r+b") as stream:
        stream.write(b"b")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert after.st_size == before.st_size
    assert trust.stamp(after) != trust.stamp(before)


@pytest.mark.parametrize(
    "member",
    ["../escape", "a/../../escape", "/etc/passwd", "C:/Windows/x", "c:x", "a\\..\\b", "", "a//b"],
)
def test_unsafe_member_names_are_refused(tmp_path: Path, member: str) -> None:
    with pytest.raises(trust.UnsafeName, match="refusing to extract unsafe member name"):
        trust.safe_member_path(str(tmp_path), member)


def test_safe_member_names_stay_inside_the_base(tmp_path: Path) -> None:
    assert trust.safe_member_path(str(tmp_path), "pkg/.libs/x.so") == str(
        tmp_path / "pkg" / ".libs" / "x.so"
    )


# -- what a completion marker written without fsync can rely on ------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux boot id")
def test_boot_id_is_the_kernels_for_this_boot_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trust, "_boot", [])
    with open("/proc/sys/kernel/random/boot_id") as stream:
        assert trust.boot_id() == stream.read().strip()
    monkeypatch.setattr(trust, "_BOOT_ID", "/nonexistent")
    assert trust.boot_id() is not None  # kept from the first read


def test_without_a_boot_id_there_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trust, "_boot", [])
    monkeypatch.setattr(trust, "_BOOT_ID", "/nonexistent")
    assert trust.boot_id() is None


def test_same_bytes_compares_size_and_crc_without_following_symlinks(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    path = tmp_path / "lib.so"
    path.write_bytes(data)
    assert trust.same_bytes(str(path), len(data), zlib.crc32(data))
    assert not trust.same_bytes(str(path), len(data), zlib.crc32(data) ^ 1)
    assert not trust.same_bytes(str(path), len(data) + 1, zlib.crc32(data))
    (tmp_path / "link.so").symlink_to(path)
    assert not trust.same_bytes(str(tmp_path / "link.so"), len(data), zlib.crc32(data))
    assert not trust.same_bytes(str(tmp_path / "missing.so"), 0, 0)


@pytest.mark.parametrize(
    ("member", "target"),
    [
        ("uv-0.13.9.data/scripts/uv", "bin/uv"),
        ("tool-1.0.data/scripts/sub/x", "bin/sub/x"),
        ("tool-1.0.data/data/share/x", "tool-1.0.data/data/share/x"),
        ("pkg/scripts/x.py", "pkg/scripts/x.py"),
        ("pkg/__init__.py", "pkg/__init__.py"),
    ],
)
def test_a_wheels_scripts_go_to_bin_and_other_members_to_their_path(
    member: str, target: str
) -> None:
    assert trust.destination(member) == target
