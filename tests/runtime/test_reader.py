"""Reading the archive (runtime/reader.py): members by offset, the index in chunks loaded
only when asked about, and damaged archives reported in one line."""

from __future__ import annotations

import marshal
import shutil
import sys
import types
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bundler.archive.bytecode import bytecode_member
from bundler.runtime import DEFLATED, PAYLOAD_MEMBER, ArchiveDamaged, file_record, reader
from bundler.runtime.reader import Archive, LazyTable, member_chunk, module_chunk
from tests.runtime.conftest import DEMO_CHUNKS, DEMO_FILES, BuiltArchive

WORDS = "demo/data/words.txt"


def _loaded(archive: Archive) -> set[str]:
    """The chunks read so far."""
    return DEMO_CHUNKS - set(archive._pending)


def _one_line(message: str, path: Path) -> str:
    """``message`` with the archive's path written as ``ARCHIVE``, after checking it is
    one line."""
    assert "\n" not in message
    return message.replace(str(path), "ARCHIVE")


# -- members ------------------------------------------------------------------------------


def test_every_payload_member_reads_back_as_written(archive: Archive) -> None:
    assert {member: archive.read(member) for member in DEMO_FILES} == DEMO_FILES


def test_file_records_match_the_payload_zip(demo_archive: BuiltArchive, archive: Archive) -> None:
    with zipfile.ZipFile(demo_archive.path) as outer:
        info = zipfile.ZipFile(outer.open(PAYLOAD_MEMBER)).getinfo(WORDS)
    offset = archive.files[WORDS][0]
    assert archive.files[WORDS] == file_record(
        offset, info.compress_size, info.file_size, DEFLATED, info.CRC
    )
    raw = demo_archive.path.read_bytes()[offset : offset + info.compress_size]
    assert zlib.decompress(raw, -15) == DEMO_FILES[WORDS]


def test_build_time_bytecode_is_a_member(archive: Archive) -> None:
    pyc = archive.read(bytecode_member("demo/cli.py"))
    code = marshal.loads(pyc[16:])
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    assert namespace["main"]() == "hello"


def test_missing_member_is_file_not_found_with_its_path(archive: Archive) -> None:
    with pytest.raises(FileNotFoundError) as raised:
        archive.read("demo/absent.txt")
    assert raised.value.filename == f"{archive.path}/demo/absent.txt"


def test_directory_is_not_a_member(archive: Archive) -> None:
    with pytest.raises(FileNotFoundError):
        archive.read("demo/data")


def test_path_of_joins_the_member_to_the_archive_path(archive: Archive) -> None:
    assert archive.path_of("demo/cli.py") == f"{archive.path}/demo/cli.py"
    assert archive.path_of(None) == archive.path
    assert archive.path_of("") == archive.path


def test_member_of_is_the_inverse_of_path_of(archive: Archive) -> None:
    assert archive.member_of(archive.path_of("demo/data/words.txt")) == "demo/data/words.txt"


@pytest.mark.parametrize("suffix", ["", "x/demo/cli.py", ".bak/demo/cli.py"])
def test_member_of_paths_outside_the_archive_is_none(archive: Archive, suffix: str) -> None:
    assert archive.member_of(archive.path + suffix) is None
    assert archive.member_of("/elsewhere/demo/cli.py") is None


# -- the index, chunk by chunk ---------------------------------------------------------------


def test_index_has_a_chunk_per_directory_with_modules_or_files(
    demo_archive: BuiltArchive,
) -> None:
    assert set(demo_archive.index["chunks"]) == DEMO_CHUNKS


def test_a_fresh_archive_has_loaded_no_chunk(archive: Archive) -> None:
    assert _loaded(archive) == set()


def test_module_lookup_loads_only_its_parent_package_chunk(archive: Archive) -> None:
    assert archive.modules["demo.sub.deep"] == (
        "demo/sub/deep.py",
        bytecode_member("demo/sub/deep.py"),
        False,
        0,
    )
    assert _loaded(archive) == {"demo/sub"}


def test_member_lookup_loads_only_its_directory_chunk(archive: Archive) -> None:
    assert WORDS in archive.files
    assert _loaded(archive) == {"demo/data"}


def test_bytecode_lives_in_the_chunk_of_its_source(archive: Archive) -> None:
    assert bytecode_member("demo/cli.py") in archive.files
    assert _loaded(archive) == {"demo"}


def test_lookup_in_a_directory_without_chunk_loads_nothing(archive: Archive) -> None:
    assert archive.modules.get("elsewhere.module") is None
    assert "elsewhere/file.txt" not in archive.files
    assert _loaded(archive) == set()


def test_is_dir_reads_no_chunk(archive: Archive) -> None:
    found = {d: archive.is_dir(d) for d in ["", "demo", "demo/data", "nsroot", "demo/cli.py", "x"]}
    assert found == {
        "": True,
        "demo": True,
        "demo/data": True,
        "nsroot": True,
        "demo/cli.py": False,
        "x": False,
    }
    assert _loaded(archive) == set()


def test_directory_holding_only_directories_is_a_directory(archive: Archive) -> None:
    """``demo/assets`` has no file of its own, so no chunk: only ``demo/assets/icons``."""
    assert archive.is_dir("demo/assets")
    assert archive.children("demo/assets") == {"icons"}
    assert _loaded(archive) == set()


def test_children_load_only_the_directory_asked_about(archive: Archive) -> None:
    assert archive.children("demo/sub") == {"__init__.py", "deep.py", "__pycache__"}
    assert _loaded(archive) == {"demo/sub"}


def test_children_of_the_root(archive: Archive) -> None:
    assert archive.children("") == {
        "top.py",
        "__pycache__",
        "demo",
        "nsroot",
        "demo-1.0.dist-info",
        "Other.Dist-2.5.dist-info",
    }
    assert _loaded(archive) == {""}


def test_pycache_is_a_directory_like_any_other(archive: Archive) -> None:
    tag = sys.implementation.cache_tag
    assert archive.is_dir("demo/__pycache__")
    assert archive.children("demo/__pycache__") == {f"__init__.{tag}.pyc", f"cli.{tag}.pyc"}


def test_modules_in_lists_a_package_from_one_chunk(archive: Archive) -> None:
    assert sorted(archive.modules_in("demo")) == ["demo.cli", "demo.sub"]
    assert _loaded(archive) == {"demo"}


def test_modules_in_the_root_are_the_top_level_modules(archive: Archive) -> None:
    assert sorted(archive.modules_in("")) == ["demo", "nsroot", "top"]
    assert archive.modules_in("")["nsroot"] == (None, None, True, 1)


def test_modules_in_a_directory_without_modules_is_empty(archive: Archive) -> None:
    assert archive.modules_in("demo/data") == {}
    assert archive.modules_in("no/such/dir") == {}


# -- LazyTable -------------------------------------------------------------------------------


class _Recorder:
    """A LazyTable over ``data`` whose loads are recorded, and add ``extra`` when asked."""

    def __init__(self, data: dict[str, Any], extra: dict[str, Any]) -> None:
        self.calls: list[str] = []
        self.data = data

        def load_for(key: str) -> None:
            self.calls.append(key)
            if key in extra:
                data[key] = extra[key]

        def load_all() -> None:
            self.calls.append("*")
            data.update(extra)

        self.table = LazyTable(data, load_for, load_all)


def test_lazy_table_asks_to_load_only_missing_keys() -> None:
    recorder = _Recorder({"here": 1}, {"later": 2})
    assert recorder.table["here"] == 1
    assert recorder.table["later"] == 2
    assert recorder.table["later"] == 2
    assert recorder.calls == ["later"]


def test_lazy_table_missing_key_is_key_error_after_one_load() -> None:
    recorder = _Recorder({}, {})
    with pytest.raises(KeyError):
        recorder.table["absent"]
    assert recorder.table.get("absent", "default") == "default"
    assert recorder.calls == ["absent", "absent"]


def test_lazy_table_contains_ignores_keys_that_are_not_strings() -> None:
    recorder = _Recorder({}, {})
    assert 42 not in recorder.table
    assert recorder.calls == []


def test_lazy_table_iteration_and_length_load_everything() -> None:
    recorder = _Recorder({"a": 1}, {"b": 2})
    assert len(recorder.table) == 2
    assert sorted(recorder.table) == ["a", "b"]
    assert dict(recorder.table.items()) == {"a": 1, "b": 2}
    assert recorder.calls[0] == "*"
    assert set(recorder.calls) == {"*"}


def test_lazy_table_is_read_only(archive: Archive) -> None:
    with pytest.raises(TypeError):
        archive.modules["demo"] = None  # type: ignore[index]


def test_iterating_the_modules_loads_every_chunk(archive: Archive) -> None:
    assert sorted(archive.modules) == [
        "demo",
        "demo.cli",
        "demo.sub",
        "demo.sub.deep",
        "nsroot",
        "nsroot.part",
        "top",
    ]
    assert _loaded(archive) == DEMO_CHUNKS


# -- damage ---------------------------------------------------------------------------------


def _copy(built: BuiltArchive, directory: Path) -> BuiltArchive:
    path = directory / "copy.pyz"
    shutil.copyfile(built.path, path)
    return BuiltArchive(path, {**built.index, "chunks": dict(built.index["chunks"])})


def _with_chunk_blob(built: BuiltArchive, directory: Path, key: str, blob: bytes) -> BuiltArchive:
    """A copy whose chunk ``key`` is ``blob``, appended to the end of the file."""
    copy = _copy(built, directory)
    with open(copy.path, "ab") as stream:
        offset = stream.tell()
        stream.write(blob)
    copy.index["chunks"][key] = (offset, len(blob), zlib.crc32(blob))
    return copy


def _with_records(
    built: BuiltArchive, directory: Path, key: str, change: Callable[[dict[str, Any]], None]
) -> BuiltArchive:
    """A copy whose chunk ``key`` has its file records changed by ``change``."""
    offset, size, _crc = built.index["chunks"][key]
    modules, files = marshal.loads(built.path.read_bytes()[offset : offset + size])
    change(files)
    return _with_chunk_blob(built, directory, key, marshal.dumps((modules, files)))


def _set_record(member: str, **fields: int) -> Callable[[dict[str, Any]], None]:
    names = ("offset", "compressed", "size", "method", "crc")

    def change(files: dict[str, Any]) -> None:
        record = dict(zip(names, files[member]))
        record.update(fields)
        files[member] = tuple(record[name] for name in names)

    return change


def _checksum_message(member: str) -> str:
    return f"ARCHIVE is corrupt ({member} does not match its checksum); rebuild or re-download it"


TRUNCATED = "ARCHIVE is truncated; rebuild or re-download it"


def test_truncated_archive_is_reported_as_damaged(
    demo_archive: BuiltArchive, tmp_path: Path
) -> None:
    """Cut inside the payload: the index chunks, written after it, are gone too."""
    copy = _copy(demo_archive, tmp_path)
    with open(copy.path, "r+b") as stream:
        stream.truncate(demo_archive.open().files[WORDS][0] + 1)
    archive = copy.open()
    with pytest.raises(ArchiveDamaged) as raised:
        archive.read(WORDS)
    message = "ARCHIVE is corrupt (index of 'demo/data'); rebuild or re-download it"
    assert _one_line(str(raised.value), copy.path) == message


def test_file_shortened_after_opening_is_reported_as_truncated(
    demo_archive: BuiltArchive, tmp_path: Path
) -> None:
    copy = _copy(demo_archive, tmp_path)
    archive = copy.open()
    offset = archive.files[WORDS][0]  # the chunk is read while the file is whole
    with open(copy.path, "r+b") as stream:
        stream.truncate(offset + 1)
    with pytest.raises(ArchiveDamaged) as raised:
        archive.read(WORDS)
    assert _one_line(str(raised.value), copy.path) == TRUNCATED


def test_flipped_byte_in_a_deflated_member_is_reported_as_damaged(
    demo_archive: BuiltArchive, tmp_path: Path
) -> None:
    copy = _copy(demo_archive, tmp_path)
    offset, compressed = copy.open().files[WORDS][:2]
    data = bytearray(copy.path.read_bytes())
    data[offset + compressed // 2] ^= 0xFF
    copy.path.write_bytes(bytes(data))
    archive = copy.open()
    with pytest.raises(ArchiveDamaged) as raised:
        archive.read(WORDS)
    assert _one_line(str(raised.value), copy.path) == _checksum_message(WORDS)
    assert archive.read("demo/cli.py") == DEMO_FILES["demo/cli.py"]


def test_member_whose_crc_does_not_match_is_reported_as_damaged(
    demo_archive: BuiltArchive, tmp_path: Path
) -> None:
    crc = demo_archive.open().files[WORDS][4]
    copy = _with_records(demo_archive, tmp_path, "demo/data", _set_record(WORDS, crc=crc ^ 1))
    with pytest.raises(ArchiveDamaged) as raised:
        copy.open().read(WORDS)
    assert _one_line(str(raised.value), copy.path) == _checksum_message(WORDS)


class _CountingInflater:
    """A zlib decompressor that counts the bytes it outputs."""

    def __init__(self, wbits: int, counts: list[int]) -> None:
        self._inner = zlib.decompressobj(wbits)
        self._counts = counts

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        out = self._inner.decompress(data, max_length)
        self._counts.append(len(out))
        return out

    @property
    def eof(self) -> bool:
        return self._inner.eof

    @property
    def unconsumed_tail(self) -> bytes:
        return self._inner.unconsumed_tail


def test_member_declaring_a_smaller_size_is_not_inflated_whole(
    demo_archive: BuiltArchive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = "demo/data/zeros.bin"  # 1 MiB of zeros, about 1 KiB deflated
    copy = _with_records(demo_archive, tmp_path, "demo/data", _set_record(member, size=16))
    counts: list[int] = []
    counting = types.SimpleNamespace(
        decompressobj=lambda wbits: _CountingInflater(wbits, counts),
        crc32=zlib.crc32,
        error=zlib.error,
    )
    monkeypatch.setattr(reader, "zlib", counting)
    with pytest.raises(ArchiveDamaged) as raised:
        copy.open().read(member)
    assert _one_line(str(raised.value), copy.path) == _checksum_message(member)
    assert sum(counts) == 16


def test_member_declaring_a_larger_size_is_reported_as_damaged(
    demo_archive: BuiltArchive, tmp_path: Path
) -> None:
    size = len(DEMO_FILES[WORDS]) + 1
    copy = _with_records(demo_archive, tmp_path, "demo/data", _set_record(WORDS, size=size))
    with pytest.raises(ArchiveDamaged) as raised:
        copy.open().read(WORDS)
    assert _one_line(str(raised.value), copy.path) == _checksum_message(WORDS)


@pytest.mark.parametrize("offset", [-1, 1 << 40])
def test_member_offset_outside_the_file_is_reported_as_truncated(
    demo_archive: BuiltArchive, tmp_path: Path, offset: int
) -> None:
    copy = _with_records(demo_archive, tmp_path, "demo/data", _set_record(WORDS, offset=offset))
    with pytest.raises(ArchiveDamaged) as raised:
        copy.open().read(WORDS)
    assert _one_line(str(raised.value), copy.path) == TRUNCATED


def test_negative_compressed_size_is_reported_as_truncated(
    demo_archive: BuiltArchive, tmp_path: Path
) -> None:
    copy = _with_records(demo_archive, tmp_path, "demo/data", _set_record(WORDS, compressed=-5))
    with pytest.raises(ArchiveDamaged) as raised:
        copy.open().read(WORDS)
    assert _one_line(str(raised.value), copy.path) == TRUNCATED


@pytest.mark.parametrize("where", [(-1, 10, 0), (1 << 40, 10, 0), (0, -1, 0), (0, 10)])
def test_chunk_outside_the_file_is_reported_as_damaged(
    demo_archive: BuiltArchive, tmp_path: Path, where: tuple[int, ...]
) -> None:
    copy = _copy(demo_archive, tmp_path)
    copy.index["chunks"]["demo"] = where
    with pytest.raises(ArchiveDamaged) as raised:
        copy.open().modules.get("demo.cli")
    message = "ARCHIVE is corrupt (index of 'demo'); rebuild or re-download it"
    assert _one_line(str(raised.value), copy.path) == message


@pytest.mark.parametrize("blob", [b"\xff not marshal", marshal.dumps(42), marshal.dumps((1,))])
def test_chunk_that_is_not_an_index_chunk_is_reported_as_damaged(
    demo_archive: BuiltArchive, tmp_path: Path, blob: bytes
) -> None:
    copy = _with_chunk_blob(demo_archive, tmp_path, "demo", blob)
    with pytest.raises(ArchiveDamaged) as raised:
        copy.open().children("demo")
    message = "ARCHIVE is corrupt (index of 'demo'); rebuild or re-download it"
    assert _one_line(str(raised.value), copy.path) == message


def test_damaged_chunk_is_reported_at_every_lookup(
    demo_archive: BuiltArchive, tmp_path: Path
) -> None:
    copy = _copy(demo_archive, tmp_path)
    copy.index["chunks"]["demo"] = (-1, 10, 0)
    archive = copy.open()
    with pytest.raises(ArchiveDamaged):
        archive.modules.get("demo.cli")
    with pytest.raises(ArchiveDamaged):
        archive.modules.get("demo.cli")


@pytest.mark.parametrize(
    ("member", "chunk"),
    [
        ("top.py", ""),
        ("a/b/c.py", "a/b"),
        ("a/b/data/x.txt", "a/b/data"),
        ("a/__pycache__/c.cpython-311.pyc", "a"),
        ("__pycache__/top.cpython-311.pyc", ""),
        ("a/my__pycache__/x.pyc", "a/my__pycache__"),
    ],
)
def test_member_chunk_is_the_directory_with_bytecode_joining_its_source(
    member: str, chunk: str
) -> None:
    assert member_chunk(member) == chunk


@pytest.mark.parametrize(("name", "chunk"), [("top", ""), ("a.b", "a"), ("a.b.c", "a/b")])
def test_module_chunk_is_the_parent_package_directory(name: str, chunk: str) -> None:
    assert module_chunk(name) == chunk


def test_one_chunk_serves_a_modules_import() -> None:
    """Its record, its source's file record and its bytecode's file record."""
    source = "pkg/sub/mod.py"
    keys = {
        module_chunk("pkg.sub.mod"),
        member_chunk(source),
        member_chunk(bytecode_member(source)),
    }
    assert keys == {"pkg/sub"}
