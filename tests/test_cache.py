"""The runtime's private cache and extraction, exercised in-process (no archive needed)."""

from __future__ import annotations

import multiprocessing
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bundler import cachedir
from bundler.runtime import cache, extract

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown"
)


@pytest.fixture(autouse=True)
def fresh_cache_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test chooses its own root: forget the one a previous test settled on."""
    monkeypatch.setattr(cache, "_root", None)
    monkeypatch.setattr(cache, "_used", set())
    for name in ("BUNDLER_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    yield


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


# -- the root and app directories ------------------------------------------------------


def test_app_dir_is_created_private_under_the_named_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "deep" / "cache"
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    app = Path(cache.app_dir("my app/v1", "0123456789abcdef" * 4))
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
    assert cache.cache_root() == str(root)
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
        cache.app_dir("app", "0" * 64)
    assert list(target.iterdir()) == []


def test_app_directory_that_is_a_symlink_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    (root / "apps").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "apps" / f"app-{'0' * 16}").symlink_to(elsewhere)
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    with pytest.raises(cache.CacheError, match="symlink"):
        cache.app_dir("app", "0" * 64)


@needs_root
def test_cache_owned_by_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "theirs"
    root.mkdir(mode=0o700)
    os.chown(root, 65534, 65534)
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    with pytest.raises(cache.CacheError, match="belongs to another user"):
        cache.cache_root()


def test_missing_home_falls_back_to_a_private_temporary_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "gone"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    root = Path(cache.cache_root())
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
    assert cache.cache_root() == str(tmp_path / f"bundler-cache-{os.getuid()}")


def test_no_usable_root_is_one_error_naming_the_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", os.devnull)
    monkeypatch.setenv("TMPDIR", os.devnull)
    with pytest.raises(cache.CacheError) as caught:
        cache.cache_root()
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


@pytest.mark.parametrize(
    "member",
    ["../escape", "a/../../escape", "/etc/passwd", "C:/Windows/x", "c:x", "a\\..\\b", "", "a//b"],
)
def test_unsafe_member_names_are_refused(tmp_path: Path, member: str) -> None:
    with pytest.raises(cache.CacheError, match="refusing to extract unsafe member name"):
        cache.safe_member_path(str(tmp_path), member)


def test_safe_member_names_stay_inside_the_base(tmp_path: Path) -> None:
    assert cache.safe_member_path(str(tmp_path), "pkg/.libs/x.so") == str(
        tmp_path / "pkg" / ".libs" / "x.so"
    )


# -- extraction -------------------------------------------------------------------------


class FakeReader:
    """The part of ArchiveReader that extraction uses, over a dict of members."""

    def __init__(self, members: dict[str, bytes], log: Path | None = None) -> None:
        self.members = members
        self.files = {name: (0, 0, len(data), 0, 0) for name, data in members.items()}
        self.log = log

    def read(self, member: str) -> bytes:
        if self.log is not None:  # which process extracted what, for the lock test
            with open(self.log, "a") as stream:
                stream.write(f"{os.getpid()} {member}\n")
        return self.members[member]

    def path_of(self, member: str) -> str:
        return f"/archive.pyz/{member}"


class FakeImporter:
    """The part of ArchiveImporter that extraction uses."""

    def __init__(self, table: dict[str, Any], reader: FakeReader) -> None:
        self.extraction = table
        self.reader = reader
        self.name = "demo"
        self.content_hash = "ab" * 32
        self.modules: dict[str, tuple[Any, ...]] = {}


UNIT_MEMBERS = {f"pkg/lib{n}.so": os.urandom(256 * 1024) for n in range(24)}


def _extractor(log: Path | None = None, members: dict[str, bytes] | None = None) -> Any:
    members = UNIT_MEMBERS if members is None else members
    table = {"units": {"pkg": (tuple(members), (), None)}, "modules": {}}
    return extract.Extractor(FakeImporter(table, FakeReader(members, log)))  # type: ignore[arg-type]


def _extract_and_verify(queue: Any, log: Path | None) -> None:
    """In a child process: extract the unit, then check every file is whole."""
    try:
        extractor = _extractor(log)
        extractor.ensure("pkg")
        site = Path(extractor.site())
        for member, data in UNIT_MEMBERS.items():
            assert (site / member).read_bytes() == data, member
        queue.put("ok")
    except BaseException as exc:  # reported to the parent, which asserts
        queue.put(repr(exc))


def _run_in_parallel(count: int, log: Path | None = None) -> list[str]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [
        context.Process(target=_extract_and_verify, args=(queue, log)) for _ in range(count)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    return results


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_parallel_extraction_is_safe_without_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock only saves work: atomic renames alone keep 16 racing extractors correct."""
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(extract._ExclusiveLock, "__enter__", lambda self: self)
    assert _run_in_parallel(16) == ["ok"] * 16
    leftovers = [p for p in (tmp_path / "cache").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.skipif(sys.platform == "win32", reason="fork")
def test_with_the_lock_each_file_is_extracted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    log = tmp_path / "reads.log"
    assert _run_in_parallel(16, log) == ["ok"] * 16
    reads = log.read_text().splitlines()
    assert sorted(line.split()[1] for line in reads) == sorted(UNIT_MEMBERS)
    assert len({line.split()[0] for line in reads}) == 1  # one process did it all


def test_second_extractor_reuses_the_completed_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    log = tmp_path / "reads.log"
    _extractor(log).ensure("pkg")
    assert len(log.read_text().splitlines()) == len(UNIT_MEMBERS)
    _extractor(log).ensure("pkg")  # a later start: the marker says it is done
    assert len(log.read_text().splitlines()) == len(UNIT_MEMBERS)
    marker = Path(cache.cache_root()) / "apps" / f"demo-{'ab' * 8}" / "site.done" / "pkg"
    assert marker.is_file()


def test_unit_with_an_escaping_member_writes_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    extractor = _extractor(members={"pkg/../../../outside.txt": b"x"})
    with pytest.raises(cache.CacheError, match="unsafe member name"):
        extractor.ensure("pkg")
    assert [p.name for p in tmp_path.iterdir()] == ["cache"]
    assert not any(p.name == "outside.txt" for p in tmp_path.rglob("*"))


# -- compatibility --------------------------------------------------------------------------


def _native_extractor(member: str, native: tuple[Any, ...] | None) -> Any:
    table = {
        "units": {"pkg": ((member,), (), "demo" if native else None)},
        "modules": {"pkg._ext": "pkg"},
        "native": {"demo": native} if native else {},
    }
    return extract.Extractor(FakeImporter(table, FakeReader({member: b""})))  # type: ignore[arg-type]


RUNNING = extract.running_platform()
HERE_SUFFIX = __import__("_imp").extension_suffixes()[0]


def test_extension_for_this_python_is_compatible() -> None:
    extractor = _native_extractor(f"pkg/_ext{HERE_SUFFIX}", ("demo 1.0", "here", (RUNNING,), None))
    assert extractor.incompatibility("pkg._ext", f"pkg/_ext{HERE_SUFFIX}", "pkg") is None


def test_extension_of_another_python_names_the_distribution_and_its_target() -> None:
    member = "pkg/_ext.cpython-39-x86_64-linux-gnu.so"
    native = ("demo 1.0", "CPython 3.9 on linux x86_64 (cp39-cp39-linux_x86_64)", (), None)
    problem = _native_extractor(member, native).incompatibility("pkg._ext", member, "pkg")
    assert problem is not None
    assert problem.startswith(
        "demo 1.0 contains native code built for CPython 3.9 on linux x86_64 "
        f"(cp39-cp39-linux_x86_64), which {extract.describe_running()} ({sys.executable}) "
        "cannot load"
    )


def test_stable_abi_extension_needs_its_oldest_python() -> None:
    member = "pkg/_ext.abi3.so"
    newer = (sys.version_info[0], sys.version_info[1] + 1)
    native = ("demo 1.0", "CPython 3.99+", (RUNNING,), newer)
    extractor = _native_extractor(member, native)
    assert extractor.incompatibility("pkg._ext", member, "pkg") is not None
    older = ("demo 1.0", "CPython 3.8+", (RUNNING,), (3, 8))
    assert _native_extractor(member, older).incompatibility("pkg._ext", member, "pkg") is None


def test_generic_suffix_is_checked_against_the_wheel_platform() -> None:
    member = "pkg/_ext.abi3.so"
    elsewhere = ("darwin" if RUNNING[0] != "darwin" else "linux", RUNNING[1], "")
    native = ("demo 1.0", "CPython 3.8+ on darwin", (elsewhere,), (3, 8))
    assert _native_extractor(member, native).incompatibility("pkg._ext", member, "pkg")
    any_libc = (RUNNING[0], RUNNING[1], "")  # linux_x86_64: either libc
    native = ("demo 1.0", "CPython 3.8+", (any_libc,), (3, 8))
    assert _native_extractor(member, native).incompatibility("pkg._ext", member, "pkg") is None


def test_package_whose_init_is_compiled_has_the_right_suffix() -> None:
    member = f"pkg/__init__{HERE_SUFFIX}"
    extractor = _native_extractor(member, None)
    assert extractor.incompatibility("pkg", member, "pkg") is None


# -- bundle cache's listing ----------------------------------------------------------------


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


def test_extension_without_wheel_metadata_is_described_by_its_suffix() -> None:
    member = "pkg/_ext.cpython-39-x86_64-linux-gnu.so"
    problem = _native_extractor(member, None).incompatibility("pkg._ext", member, "pkg")
    assert problem is not None
    assert problem.startswith(
        "pkg._ext contains native code built for CPython 3.9 (x86_64-linux-gnu), which "
    )
