"""Source packs as the writer makes them: which members go in, which get bytecode, packs
that the runtime reads back, and compressed packs reused by their content."""

from __future__ import annotations

import lzma
from pathlib import Path

import pytest

from bundler.archive import packs as packs_module
from bundler.archive.index import ArchiveInfo
from bundler.archive.packs import hot_members, is_packable, pack_sources
from bundler.plan.payload import Payload, PayloadModule
from bundler.runtime import PACKED, SOURCE
from bundler.runtime.packs import Packs


def _info(**changes: object) -> ArchiveInfo:
    fields: dict[str, object] = {
        "name": "app",
        "version": "1",
        "entry_module": "app",
        "entry_function": None,
        "requires_python": None,
        "shebang": "#!/usr/bin/env python3",
        "inherit_path": False,
        "compile": True,
        **changes,
    }
    return ArchiveInfo(**fields)  # type: ignore[arg-type]


def _read_back(made: packs_module.SourcePacks, member: str) -> bytes:
    """A member as the runtime reads it: through runtime.packs, from the blobs laid out."""
    table, blob, offset = [], b"", 0
    for data, size in zip(made.blobs, made.sizes):
        table.append((offset, len(data), size))
        blob += data
        offset += len(data)

    class File:
        path = "app.pyz"

        def read_at(self, at: int, count: int) -> bytes:
            return blob[at : at + count]

    reader = Packs(File(), tuple(table))
    position, number, size, method, _crc = made.records[member]
    assert method == PACKED
    return reader.member(number, position, size)


def test_only_python_sources_up_to_one_mib_are_packed() -> None:
    assert is_packable("pkg/mod.py", 100)
    assert not is_packable("pkg/data.txt", 100)
    assert not is_packable("pkg/huge.py", (1 << 20) + 1)


def test_every_member_reads_back_and_packs_are_split(tmp_path: Path) -> None:
    sources = [(f"pkg/m{i:03}.py", (f"X = {i:02}\n" * 4000).encode()) for i in range(20)]
    made = pack_sources(sources, None)
    assert len(made.blobs) == 2  # 560,000 bytes: a pack is closed once past PACK_TARGET
    assert made.sizes == (280000, 280000)
    assert {member: _read_back(made, member) for member, _ in sources} == dict(sources)


def test_packs_are_reused_by_content_and_a_damaged_entry_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = [("a.py", b"A = 1\n" * 100)]
    first = pack_sources(sources, tmp_path)
    entries = list(tmp_path.rglob("*"))
    files = [path for path in entries if path.is_file()]
    assert len(files) == 1
    calls: list[bytes] = []
    real = lzma.compress
    monkeypatch.setattr(
        packs_module.lzma,
        "compress",
        lambda data, *a, **k: calls.append(data) or real(data, *a, **k),
    )
    assert pack_sources(sources, tmp_path) == first
    assert calls == []
    damaged = bytearray(files[0].read_bytes())
    damaged[-1] ^= 0xFF
    files[0].write_bytes(bytes(damaged))
    assert pack_sources(sources, tmp_path).blobs == first.blobs
    assert len(calls) == 1


def test_digest_follows_names_and_bytes() -> None:
    one = pack_sources([("a.py", b"A = 1\n")], None).digest
    assert pack_sources([("b.py", b"A = 1\n")], None).digest != one
    assert pack_sources([("a.py", b"A = 2\n")], None).digest != one


def _payload() -> Payload:
    modules = (
        PayloadModule("app", "app/__init__.py", True, SOURCE),
        PayloadModule("app.cli", "app/cli.py", False, SOURCE),
        PayloadModule("app.plugin", "app/plugin.py", False, SOURCE),
    )
    files: dict[str, Path | bytes] = {m.member: b"" for m in modules if m.member}
    files["app/data/template.py"] = b""
    return Payload(files=files, modules=modules, distributions=())


def test_bytecode_goes_to_the_modules_a_run_imports() -> None:
    hot = hot_members(_payload(), _info(bytecode_for=frozenset({"app", "app.cli"})))
    assert hot == {"app/__init__.py", "app/cli.py"}


def test_without_a_list_every_source_gets_bytecode_and_none_without_compile() -> None:
    assert hot_members(_payload(), _info()) == set(_payload().files)
    assert hot_members(_payload(), _info(compile=False)) == frozenset()
