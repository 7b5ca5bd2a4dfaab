"""Payloads of several targets merged: equal files stored once, others side by side, and
one index per target that gives each member the bytes of its own target."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import marshal
import zipfile
from pathlib import Path

from bundler.archive import write_archive
from bundler.archive.bytecode import bytecode_member
from bundler.archive.targets import TARGET_INDEXES, TargetPart, merge_targets
from bundler.plan.extraction import ExtractionPlan
from bundler.plan.payload import Payload, PayloadModule
from bundler.runtime import INDEX_MEMBER, PAYLOAD_MEMBER, SOURCE, file_record
from tests.archive.conftest import INFO


def _part(name: str, python: tuple[int, int], files: dict[str, bytes]) -> TargetPart:
    modules = tuple(
        PayloadModule(member[:-3].replace("/", "."), member, False, SOURCE)
        for member in files
        if member.endswith(".py")
    )
    payload = Payload(files=files, modules=modules, distributions=())
    abi = f"cp{python[0]}{python[1]}"
    return TargetPart(name, "cp", python, abi, "linux_x86_64", payload, ExtractionPlan(), INFO)


A = _part("cp311-linux_x86_64", (3, 11), {"app.py": b"x = 1\n", "dep.py": b"v = 'a'\n"})
B = _part("cp312-linux_x86_64", (3, 12), {"app.py": b"x = 1\n", "dep.py": b"v = 'b'\n"})
C = _part(
    "cp313-linux_x86_64", (3, 13), {"app.py": b"x = 1\n", "dep.py": b"v = 'a'\n", "new.py": b""}
)


def test_equal_files_are_stored_once_and_others_beside_them() -> None:
    merged = merge_targets([A, B, C])
    assert merged.payload.files == {
        "app.py": b"x = 1\n",
        "dep.py": b"v = 'a'\n",
        ".targets/cp312-linux_x86_64/dep.py": b"v = 'b'\n",
        "new.py": b"",
    }
    assert merged.members == (
        {"app.py": "app.py", "dep.py": "dep.py"},
        {"app.py": "app.py", "dep.py": ".targets/cp312-linux_x86_64/dep.py"},
        {"app.py": "app.py", "dep.py": "dep.py", "new.py": "new.py"},  # a's copy, again
    )


def test_files_on_disk_are_compared_by_content(tmp_path: Path) -> None:
    one, two = tmp_path / "one.py", tmp_path / "two.py"
    one.write_bytes(b"same\n")
    two.write_bytes(b"same\n")
    left = _part("l", (3, 11), {})
    right = _part("r", (3, 12), {})
    left = _with_files(left, {"m.py": one})
    right = _with_files(right, {"m.py": two})
    assert merge_targets([left, right]).payload.files == {"m.py": one}


def _with_files(part: TargetPart, files: dict[str, Path | bytes]) -> TargetPart:
    return dataclasses.replace(part, payload=dataclasses.replace(part.payload, files=files))


def test_each_target_index_maps_members_to_its_own_bytes() -> None:
    merged = merge_targets([A, B])
    stored = merged.payload.files
    records = {name: file_record(n * 100, 1, 1, 0, n) for n, name in enumerate(sorted(stored))}
    bytecode = {"app.py": "__pycache__/app.cpython-311.pyc"}
    records[bytecode["app.py"]] = file_record(999, 1, 1, 0, 9)
    indexes = merged.indexes(records, bytecode, "c" * 64)
    assert [each.member for each in indexes] == [INDEX_MEMBER, f"{TARGET_INDEXES}{B.name}"]
    first, second = (marshal.loads(b"".join(each.blobs.values())) for each in indexes)
    assert first[1]["dep.py"] == records["dep.py"]
    assert second[1]["dep.py"] == records[".targets/cp312-linux_x86_64/dep.py"]
    assert second[1][bytecode_member("app.py")] == records[bytecode["app.py"]]
    hashes = [each.index["hash"] for each in indexes]
    assert hashes == [hashlib.sha256(f"{'c' * 64}/{p.name}".encode()).hexdigest() for p in (A, B)]
    assert indexes[0].index["targets"] == (
        (A.name, "cp", (3, 11), "cp311", "linux_x86_64", INDEX_MEMBER),
        (B.name, "cp", (3, 12), "cp312", "linux_x86_64", f"{TARGET_INDEXES}{B.name}"),
    )
    assert indexes[1].index["targets"] == ()


def test_the_archive_holds_one_index_per_target_and_shared_chunks(tmp_path: Path) -> None:
    out = tmp_path / "app.pyz"
    # Sources as files, not in packs: the payload zip then lists what is stored.
    write_archive(A.payload, dataclasses.replace(INFO, pack_sources=False), out, targets=[A, B, C])
    with zipfile.ZipFile(out) as outer:
        names = outer.namelist()
        top = marshal.loads(outer.read(INDEX_MEMBER))
        with zipfile.ZipFile(io.BytesIO(outer.read(PAYLOAD_MEMBER))) as payload:
            stored = [n for n in payload.namelist() if not n.endswith(".pyc")]
    assert f"{TARGET_INDEXES}{B.name}" in names and f"{TARGET_INDEXES}{C.name}" in names
    assert "_bundler_runtime/targets.py" in names
    assert [record[0] for record in top["targets"]] == [A.name, B.name, C.name]
    assert sorted(stored) == [".targets/cp312-linux_x86_64/dep.py", "app.py", "dep.py", "new.py"]


def test_one_target_writes_no_targets_table_and_no_chooser(tmp_path: Path) -> None:
    out = tmp_path / "app.pyz"
    write_archive(A.payload, INFO, out, targets=[A])
    with zipfile.ZipFile(out) as outer:
        assert marshal.loads(outer.read(INDEX_MEMBER))["targets"] == ()
        assert "_bundler_runtime/targets.py" not in outer.namelist()
        assert not any(name.startswith(TARGET_INDEXES) for name in outer.namelist())
