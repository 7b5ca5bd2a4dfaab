"""The index the runtime reads: its records in the contract's field order, its chunks, and
the byte offsets of the payload's members."""

from __future__ import annotations

import importlib.util
import io
import marshal
import zipfile
import zlib
from pathlib import Path

from bundler.archive.index import (
    MARSHAL_VERSION,
    ArchiveInfo,
    build_index,
    index_chunks,
    member_records,
    pack_index,
)
from bundler.plan.extraction import ExtractionPlan
from bundler.plan.payload import Payload, PayloadModule
from bundler.runtime import (
    DEFLATED,
    EXTENSION,
    FILE_SIZE,
    FORMAT_VERSION,
    MODULE_BYTECODE,
    MODULE_KIND,
    MODULE_PACKAGE,
    MODULE_SOURCE,
    NAMESPACE,
    SOURCE,
    file_record,
)
from tests.archive.conftest import INFO

SO = ".cpython-311-x86_64-linux-gnu.so"
PAYLOAD = Payload(
    files={},
    modules=(
        PayloadModule("app", "app/__init__.py", True, SOURCE),
        PayloadModule("app.fast", f"app/fast{SO}", False, EXTENSION),
        PayloadModule("app.main", "app/main.py", False, SOURCE),
        PayloadModule("ns", None, True, NAMESPACE),
    ),
    distributions=("app-1.0.dist-info", "dep-2.0.dist-info"),
)
BYTECODE = {
    "app/__init__.py": "app/__pycache__/__init__.cpython-311.pyc",
    "app/main.py": "app/__pycache__/main.cpython-311.pyc",
}
EXTRACT = ExtractionPlan().index_table({})


# -- the index ---------------------------------------------------------------------------------


def test_module_records_hold_their_fields_in_the_contracts_order() -> None:
    _, modules = build_index(PAYLOAD, BYTECODE, INFO, "f" * 64, EXTRACT)

    assert modules == {
        "app": ("app/__init__.py", "app/__pycache__/__init__.cpython-311.pyc", True, SOURCE),
        "app.fast": (f"app/fast{SO}", None, False, EXTENSION),
        "app.main": ("app/main.py", "app/__pycache__/main.cpython-311.pyc", False, SOURCE),
        "ns": (None, None, True, NAMESPACE),
    }
    record = modules["app.main"]
    assert record[MODULE_SOURCE] == "app/main.py"
    assert record[MODULE_BYTECODE] == "app/__pycache__/main.cpython-311.pyc"
    assert record[MODULE_PACKAGE] is False
    assert record[MODULE_KIND] == SOURCE


def test_index_holds_the_format_version_the_app_and_its_entry() -> None:
    index, _ = build_index(PAYLOAD, BYTECODE, INFO, "f" * 64, EXTRACT)

    assert index == {
        "format": FORMAT_VERSION,
        "name": "app",
        "version": "1.0",
        "entry": ("app.main", "main"),
        "requires_python": ">=3.9",
        "pythons": ((">=3.10", "dep 2.0 requires Python >=3.10"),),
        "python_range": ">=3.10",
        "inherit_path": False,
        "hash": "f" * 64,
        "magic": importlib.util.MAGIC_NUMBER,
        "dists": ("app-1.0.dist-info", "dep-2.0.dist-info"),
        "chunks": {},
        "packs": (),
        "extract": EXTRACT,
        "targets": (),
    }


def test_entry_without_a_function_runs_the_module() -> None:
    info = ArchiveInfo("app", "1.0", "app", None, None, "#!python", True, False)
    index, _ = build_index(PAYLOAD, {}, info, "0" * 64, EXTRACT)

    assert index["entry"] == ("app", None)
    assert index["inherit_path"] is True
    assert info.entry == "app"
    assert INFO.entry == "app.main:main"


def test_packed_index_is_marshal_format_2() -> None:
    index, _ = build_index(PAYLOAD, BYTECODE, INFO, "f" * 64, EXTRACT)

    assert MARSHAL_VERSION == 2
    assert pack_index(index) == marshal.dumps(dict(index), 2)


# -- chunks ------------------------------------------------------------------------------------


def test_chunks_group_modules_by_package_and_files_by_directory() -> None:
    """Bytecode in __pycache__ joins its source's chunk: one chunk serves an import."""
    modules = {
        "app": ("app/__init__.py", None, True, SOURCE),
        "app.main": ("app/main.py", None, False, SOURCE),
        "app.sub.leaf": ("app/sub/leaf.py", None, False, SOURCE),
        "top": ("top.py", None, False, SOURCE),
    }
    files = {
        "__pycache__/top.cpython-311.pyc": file_record(0, 1, 1, 0, 1),
        "app/__init__.py": file_record(10, 2, 2, 0, 2),
        "app/__pycache__/__init__.cpython-311.pyc": file_record(20, 3, 3, 0, 3),
        "app/data/table.csv": file_record(30, 4, 4, 8, 4),
        "app/main.py": file_record(40, 5, 5, 8, 5),
        "top.py": file_record(50, 6, 6, 0, 6),
    }
    expected = {
        "": (
            {"app": modules["app"], "top": modules["top"]},
            {
                "__pycache__/top.cpython-311.pyc": files["__pycache__/top.cpython-311.pyc"],
                "top.py": files["top.py"],
            },
        ),
        "app": (
            {"app.main": modules["app.main"]},
            {
                "app/__init__.py": files["app/__init__.py"],
                "app/__pycache__/__init__.cpython-311.pyc": files[
                    "app/__pycache__/__init__.cpython-311.pyc"
                ],
                "app/main.py": files["app/main.py"],
            },
        ),
        "app/data": ({}, {"app/data/table.csv": files["app/data/table.csv"]}),
        "app/sub": ({"app.sub.leaf": modules["app.sub.leaf"]}, {}),
    }

    chunks = index_chunks(modules, files)

    assert list(chunks) == ["", "app", "app/data", "app/sub"]
    assert {key: marshal.loads(blob) for key, blob in chunks.items()} == expected
    for key, blob in chunks.items():
        assert blob == marshal.dumps(expected[key], 2), key


def test_chunk_bytes_do_not_depend_on_which_strings_are_one_object() -> None:
    """marshal 3+ writes a back-reference to an object it meets twice: equal records whose
    strings happen to be shared, or not, would give different bytes."""
    shared = "".join(["app/", "main.py"])
    other = "".join(["app/", "main.py"])
    record = file_record(0, 1, 1, 0, 1)

    one = index_chunks({"app.main": (shared, None, False, SOURCE)}, {shared: record})
    two = index_chunks({"app.main": (shared, None, False, SOURCE)}, {other: record})

    assert one == two


# -- member offsets ----------------------------------------------------------------------------


def test_member_records_point_at_the_data_inside_the_archive_file(tmp_path: Path) -> None:
    """The payload zip is stored inside an outer zip after a shebang, as the writer does."""
    contents = {
        "app/__init__.py": b"",
        "app/main.py": b"print('hello')\n" * 50,
        "app/raw.bin": bytes(range(256)),
    }
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        for name, data in contents.items():
            entry = zipfile.ZipInfo(name)
            entry.compress_type = zipfile.ZIP_STORED if name.endswith(".bin") else DEFLATED
            entry.extra = b"\xfe\xca\x04\x00" + b"pad!"  # an extra field in the local header
            archive.writestr(entry, data)
    output = tmp_path / "app.pyz"
    with output.open("wb") as stream:
        stream.write(b"#!/usr/bin/env python3\n")
        with zipfile.ZipFile(stream, "w") as outer:
            outer.writestr(zipfile.ZipInfo(".bundle/payload.zip"), inner.getvalue())
    whole = output.read_bytes()
    start = whole.index(inner.getvalue())

    records = member_records(inner, start)

    assert sorted(records) == sorted(contents)
    for name, data in contents.items():
        offset, compressed, size, method, crc = records[name]
        raw = whole[offset : offset + compressed]
        stored = method != DEFLATED
        assert (raw if stored else zlib.decompress(raw, -15)) == data, name
        assert size == len(data) == records[name][FILE_SIZE]
        assert crc == zlib.crc32(data)
    assert records["app/raw.bin"][3] == zipfile.ZIP_STORED
    assert records["app/main.py"][3] == DEFLATED
    assert records["app/main.py"][1] < len(contents["app/main.py"])
