"""Extraction of native code and zip-unsafe packages into the per-user cache, and the
checks that an extension can load here, exercised in-process over a fake archive."""

from __future__ import annotations

import marshal
import multiprocessing
import os
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from bundler.runtime import cache, extract, stream, trust
from bundler.runtime.platforms import describe_interpreter, detect_platform

# -- extraction -------------------------------------------------------------------------


class FakeArchive:
    """The part of reader.Archive that extraction uses, over a dict of members."""

    path = "/archive.pyz"

    def __init__(self, members: dict[str, bytes], log: Path | None = None) -> None:
        self.members = members
        self.files = {
            name: (0, 0, len(data), 0, zlib.crc32(data)) for name, data in members.items()
        }
        self.log = log

    def read(self, member: str) -> bytes:
        if self.log is not None:  # which process extracted what, for the lock test
            with open(self.log, "a") as stream:
                stream.write(f"{os.getpid()} {member}\n")
        return self.members[member]

    def blocks(self, member: str) -> Any:
        return iter((self.read(member),))

    def path_of(self, member: str) -> str:
        return f"/archive.pyz/{member}"


def _make(table: dict[str, Any], archive: FakeArchive) -> extract.Extractor:
    """An extractor of ``table`` over ``archive``, for the app "demo" in the user cache."""
    table = {"units": {}, "modules": {}, "fallbacks": {}, "native": {}, **table}
    user_cache = cache.UserCache()
    app_dir = lambda: user_cache.app_dir("demo", "ab" * 32)  # noqa: E731
    return extract.Extractor(archive, table, app_dir)  # type: ignore[arg-type]


UNIT_MEMBERS = {f"pkg/lib{n}.so": os.urandom(256 * 1024) for n in range(24)}


def _extractor(log: Path | None = None, members: dict[str, bytes] | None = None) -> Any:
    members = UNIT_MEMBERS if members is None else members
    table = {"units": {"pkg": (tuple(members), (), None)}, "modules": {}}
    return _make(table, FakeArchive(members, log))


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
    monkeypatch.setattr(cache.FileLock, "__enter__", lambda self: self)
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
    marker = Path(cache.UserCache().root()) / "apps" / f"demo-{'ab' * 8}" / "site.done" / "pkg"
    assert marker.is_file()


def test_unit_with_an_escaping_member_writes_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    extractor = _extractor(members={"pkg/../../../outside.txt": b"x"})
    with pytest.raises(trust.UnsafeName, match="unsafe member name"):
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
    return _make(table, FakeArchive({member: b""}))


RUNNING = detect_platform()
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
        f"(cp39-cp39-linux_x86_64), which {describe_interpreter(RUNNING)} ({sys.executable}) "
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


def test_extension_without_wheel_metadata_is_described_by_its_suffix() -> None:
    member = "pkg/_ext.cpython-39-x86_64-linux-gnu.so"
    problem = _native_extractor(member, None).incompatibility("pkg._ext", member, "pkg")
    assert problem is not None
    assert problem.startswith(
        "pkg._ext contains native code built for CPython 3.9 (x86_64-linux-gnu), which "
    )


# -- damage and repair ------------------------------------------------------------------

SMALL = {"pkg/lib.so": b"\x7fELF" + bytes(range(256)) * 8, "pkg/data/table.bin": b"t" * 64}


def _extracted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Any, Path]:
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    extractor = _extractor(members=SMALL)
    extractor.ensure("pkg")
    return extractor, Path(extractor.site())


def _fresh_start() -> Any:
    """What the next start of the app makes: a new extractor over the same cache."""
    extractor = _extractor(members=SMALL)
    extractor.ensure("pkg")
    return extractor


@pytest.mark.parametrize("damage", ["truncate", "same-size edit", "remove", "chmod"])
def test_damaged_file_is_extracted_again_before_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, damage: str
) -> None:
    site = _extracted(monkeypatch, tmp_path)[1]
    target = site / "pkg" / "lib.so"
    before = target.stat()
    if damage == "truncate":
        os.truncate(target, 100)
    elif damage == "same-size edit":
        with open(target, "r+b") as stream:
            stream.seek(10)
            stream.write(b"\x00\x00")
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # hide the edit
    elif damage == "remove":
        target.unlink()
    else:
        target.chmod(0o777)
    _fresh_start()
    assert target.read_bytes() == SMALL["pkg/lib.so"]
    assert target.stat().st_mode & 0o777 == 0o700


def test_intact_unit_is_not_written_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    site = _extracted(monkeypatch, tmp_path)[1]
    inode = (site / "pkg" / "lib.so").stat().st_ino
    _fresh_start()
    assert (site / "pkg" / "lib.so").stat().st_ino == inode


def test_symlinked_site_is_replaced_and_nothing_is_written_through_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = _extracted(monkeypatch, tmp_path)[1]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(site, tmp_path / "old-site")
    site.symlink_to(elsewhere)
    _fresh_start()
    assert (site.is_symlink(), list(elsewhere.iterdir())) == (False, [])
    assert (site / "pkg" / "lib.so").read_bytes() == SMALL["pkg/lib.so"]


def test_temporaries_of_a_killed_extraction_are_swept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = _extracted(monkeypatch, tmp_path)[1]
    leftover = site / "pkg" / ".lib.so.4242.deadbeef.tmp"
    leftover.write_bytes(bytes(1 << 20))
    (site / "pkg" / "lib.so").unlink()  # the killed process never finished the unit
    _fresh_start()
    assert sorted(p.name for p in (site / "pkg").iterdir()) == ["data", "lib.so"]


def _record_syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fsync (by file name) and marker written, in order, from now on."""
    events: list[str] = []
    real_fsync, real_write_atomic = os.fsync, extract.write_atomic

    def fsync(fd: int) -> None:
        events.append("fsync " + os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def write_atomic(path: str, data: bytes, mode: int = 0o600, *, sync: bool = True) -> None:
        events.append(f"marker {os.path.basename(path)} sync={sync}")
        real_write_atomic(path, data, mode, sync=sync)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(extract, "write_atomic", write_atomic)
    return events


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/fd")
def test_without_a_boot_id_every_file_is_fsynced_in_place_before_the_marker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(extract, "boot_id", lambda: None)
    events = _record_syncs(monkeypatch)
    _extracted(monkeypatch, tmp_path)
    assert events[0].startswith("fsync .CACHEDIR.TAG.")  # the cache root's tag, first
    # Each file once, by its final name (after the rename), all before the marker, which
    # needs no sync of its own: a marker lost to a power cut means extracting again.
    assert sorted(events[1:3]) == ["fsync lib.so", "fsync table.bin"]
    assert events[3:] == ["marker pkg sync=False"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/fd")
def test_with_a_boot_id_the_marker_names_the_boot_and_nothing_is_fsynced(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(extract, "boot_id", lambda: "boot-a")
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    cache.UserCache().root()  # the cache root and its tag, made before we count
    events = _record_syncs(monkeypatch)
    extractor = _extractor(members=SMALL)
    extractor.ensure("pkg")
    assert events == ["marker pkg sync=False"]
    marker = Path(extractor.site()).parent / "site.done" / "pkg"
    boot, recorded = marshal.loads(marker.read_bytes())
    assert (boot, sorted(recorded)) == ("boot-a", sorted(SMALL))


def _power_loss(site: Path) -> None:
    """What a power cut can leave of a file written but not synced: its size and times
    on disk, other bytes in it. The marker is made to match what is now there."""
    target = site / "pkg" / "lib.so"
    target.write_bytes(bytes(len(SMALL["pkg/lib.so"])))
    marker = site.parent / "site.done" / "pkg"
    boot, recorded = marshal.loads(marker.read_bytes())
    size, crc, *_stamp = recorded["pkg/lib.so"]
    recorded["pkg/lib.so"] = (size, crc, *trust.stamp(os.lstat(target)))
    marker.write_bytes(marshal.dumps((boot, recorded)))


def test_after_a_reboot_files_written_unsynced_are_checked_before_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(extract, "boot_id", lambda: "boot-a")
    site = _extracted(monkeypatch, tmp_path)[1]
    _power_loss(site)
    monkeypatch.setattr(extract, "boot_id", lambda: "boot-b")
    _fresh_start()
    assert (site / "pkg" / "lib.so").read_bytes() == SMALL["pkg/lib.so"]
    boot, _recorded = marshal.loads((site.parent / "site.done" / "pkg").read_bytes())
    assert boot == "boot-b"


def test_after_a_reboot_intact_files_are_checked_once_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(extract, "boot_id", lambda: "boot-a")
    site = _extracted(monkeypatch, tmp_path)[1]
    inode = (site / "pkg" / "lib.so").stat().st_ino
    monkeypatch.setattr(extract, "boot_id", lambda: "boot-b")
    checked: list[str] = []
    real_same_bytes = extract.same_bytes

    def same_bytes(path: str, size: int, crc: int) -> bool:
        checked.append(os.path.basename(path))
        return real_same_bytes(path, size, crc)

    monkeypatch.setattr(extract, "same_bytes", same_bytes)
    _fresh_start()
    _fresh_start()  # the marker names this boot now: no byte is read again
    assert sorted(checked) == ["lib.so", "table.bin"]
    assert (site / "pkg" / "lib.so").stat().st_ino == inode


def test_within_one_boot_the_stamp_alone_vouches_for_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The other side of the two tests above: without a reboot, what the page cache
    holds is what was written, so no byte is read at start."""
    monkeypatch.setattr(extract, "boot_id", lambda: "boot-a")
    site = _extracted(monkeypatch, tmp_path)[1]
    _power_loss(site)  # cannot happen without a reboot; here it shows what is checked
    _fresh_start()
    assert (site / "pkg" / "lib.so").read_bytes() == bytes(len(SMALL["pkg/lib.so"]))


BIG_UNIT = {f"pkg/lib{n}.so": os.urandom(1 << 20) for n in range(6)}


class _Stall(FakeArchive):
    """Says when it reaches ``member`` (a line in ``signal``), then never returns."""

    def __init__(self, members: dict[str, bytes], member: str, signal: Path) -> None:
        super().__init__(members)
        self.stall_at, self.signal = member, signal

    def read(self, member: str) -> bytes:
        if member == self.stall_at:
            self.signal.write_text("stalled")
            time.sleep(600)
        return super().read(member)


def _extract_until_killed(cache_root: Path, signal: Path, where: str) -> None:
    """In a child: extract BIG_UNIT, stalling ``where`` (a member, or "marker")."""
    os.environ["BUNDLER_CACHE"] = str(cache_root)
    table = {"units": {"pkg": (tuple(BIG_UNIT), (), None)}}
    archive = _Stall(BIG_UNIT, where, signal)
    if where == "marker":

        def stall(path: str, data: bytes, mode: int = 0o600, *, sync: bool = True) -> None:
            signal.write_text("stalled")
            time.sleep(600)

        extract.write_atomic = stall  # type: ignore[assignment]
    _make(table, archive).ensure("pkg")


@pytest.mark.skipif(sys.platform == "win32", reason="fork and SIGKILL")
@pytest.mark.parametrize("where", ["pkg/lib3.so", "marker"])
def test_extraction_killed_midway_is_never_trusted_and_redone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str
) -> None:
    """kill -9 while the files are being written (some renamed into place, one still
    temporary), or once all are written but no marker is."""
    signal = tmp_path / "signal"
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_extract_until_killed, args=(tmp_path / "cache", signal, where))
    child.start()
    deadline = time.monotonic() + 60
    while not signal.exists() and time.monotonic() < deadline and child.is_alive():
        time.sleep(0.01)
    assert signal.exists(), "the child never reached the point to kill it at"
    os.kill(child.pid, 9)  # type: ignore[arg-type]
    child.join(timeout=60)
    site = next((tmp_path / "cache" / "apps").iterdir()) / "site"
    assert not (site.parent / "site.done" / "pkg").exists()
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    log = tmp_path / "reads.log"
    table = {"units": {"pkg": (tuple(BIG_UNIT), (), None)}}
    _make(table, FakeArchive(BIG_UNIT, log)).ensure("pkg")
    assert sorted(line.split()[1] for line in log.read_text().splitlines()) == sorted(BIG_UNIT)
    for member, data in BIG_UNIT.items():
        assert (site / member).read_bytes() == data, member
    assert [p.name for p in site.rglob("*") if p.name.endswith(".tmp")] == []


def test_full_disk_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BUNDLER_CACHE", str(tmp_path / "cache"))
    extractor = _extractor(members=SMALL)

    class FullDisk(cache.AtomicFile):
        def __enter__(self) -> Any:
            stream = super().__enter__()

            def write(data: bytes) -> int:
                raise OSError(28, "No space left on device")

            stream.write = write  # type: ignore[method-assign]
            return stream

    monkeypatch.setattr(stream, "AtomicFile", FullDisk)
    with pytest.raises(extract.ExtractionError) as raised:
        extractor._ensure_or_fail("native code", "pkg", "pkg._ext")
    path = Path(extractor.site()) / "pkg" / "lib.so"
    assert str(raised.value) == (
        f"cannot extract the native code of pkg._ext: No space left on device ({path})"
    )


# -- what extracted files look like to the app ------------------------------------------


def test_first_extraction_puts_the_site_on_sys_path_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    members = {"pkg/data.txt": b"x"}
    extractor = _make({"units": {"pkg/": (tuple(members), (), None)}}, FakeArchive(members))
    extractor.ensure("pkg/")
    extractor.ensure("pkg/")
    assert sys.path.count(extractor.site()) == 1
    assert sys.path[-1] == extractor.site()


def test_data_files_beside_the_environment_become_sys_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "prefix", sys.prefix)
    monkeypatch.setattr(sys, "exec_prefix", sys.exec_prefix)
    monkeypatch.setattr(sys, "path", list(sys.path))
    members = {".prefix/share/tool/motd.txt": b"hello\n"}
    table = {"units": {".prefix/": (tuple(members), (), None)}, "modules": {}}
    extractor = _make(table, FakeArchive(members))
    full = {"fallbacks": {}, "native": {}, **table}
    app_dir = extractor._app_dir
    extract.use_data_prefix(FakeArchive(members), full, app_dir)  # type: ignore[arg-type]
    assert sys.prefix == sys.exec_prefix == os.path.join(extractor.site(), ".prefix")
    assert Path(sys.prefix, "share/tool/motd.txt").read_bytes() == b"hello\n"


def test_without_data_files_sys_prefix_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "prefix", sys.prefix)
    before = sys.prefix
    table = {"units": {}, "modules": {}, "fallbacks": {}, "native": {}}
    extract.use_data_prefix(FakeArchive({}), table, lambda: "/nonexistent")  # type: ignore[arg-type]
    assert sys.prefix == before


def test_twin_of_a_module_in_a_whole_unit_is_imported_from_the_copy() -> None:
    """black's blib2to3.pygram on a Python its compiled module was not built for."""
    members = {
        "blib/pygram.cpython-311-x86_64-linux-gnu.so": b"ELF",
        "blib/pygram.py": b"GRAMMAR = 'beside'\n",
        "blib/Grammar.txt": b"grammar",
    }
    table = {
        "units": {"blib/": (tuple(members), (), None), "nat": (("nat/x.so",), (), None)},
        "modules": {"blib.pygram": "blib/", "nat.x": "nat"},
    }
    extractor = _make(table, FakeArchive(members))
    record = ("blib/pygram.cpython-311-x86_64-linux-gnu.so", None, False, extract.EXTENSION)
    spec = extractor.twin_spec("blib.pygram", record, "blib/pygram.py")
    assert spec is not None
    assert spec.origin == os.path.join(extractor.site(), "blib", "pygram.py")
    assert Path(extractor.site(), "blib", "Grammar.txt").read_bytes() == b"grammar"
    # A twin outside a whole unit imports from the archive, as before.
    assert extractor.twin_spec("nat.x", ("nat/x.so", None, False, 2), "nat/x.py") is None
