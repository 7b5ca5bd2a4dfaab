"""Unit tests of bundler.reproducible: where two archives first differ, and the conditions
of the second build (restored afterwards)."""

from __future__ import annotations

import io
import os
import tempfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from bundler import reproducible
from bundler.caches.build import BUILD_CACHE_ENV
from bundler.reproducible import first_difference
from bundler.runtime import PAYLOAD_MEMBER

STAMP = (1980, 1, 1, 0, 0, 0)


def _zip(members: Mapping[str, bytes], mode: int = 0o644) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, STAMP)
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _archive(
    path: Path, payload: Mapping[str, bytes], shebang: bytes = b"#!/usr/bin/env python3"
) -> Path:
    outer = {"__main__.py": b"run()", PAYLOAD_MEMBER: _zip(payload), ".bundle/index": b"x"}
    if payload.get("changed.index"):
        outer[".bundle/index"] = payload["changed.index"]
    path.write_bytes(shebang + b"\n" + _zip(outer))
    return path


PAYLOAD = {
    "app-1.0.dist-info/RECORD": b"app/__init__.py,sha256=a,1\n",
    "app/__init__.py": b"x = 1\n",
    "app/__pycache__/__init__.cpython-311.pyc": b"code",
}


def test_identical_archives_have_no_difference(tmp_path: Path) -> None:
    first = _archive(tmp_path / "a.pyz", PAYLOAD)
    second = _archive(tmp_path / "b.pyz", PAYLOAD)
    assert first_difference(first, second) is None


def test_a_source_that_differs_is_named_before_its_record_row_and_bytecode(tmp_path: Path) -> None:
    changed = {
        "app-1.0.dist-info/RECORD": b"app/__init__.py,sha256=b,1\n",
        "app/__init__.py": b"x = 2\n",
        "app/__pycache__/__init__.cpython-311.pyc": b"other",
    }
    first = _archive(tmp_path / "a.pyz", PAYLOAD)
    second = _archive(tmp_path / "b.pyz", changed)
    assert first_difference(first, second) == (
        "payload member app/__init__.py (contents) and 2 more members"
    )


def test_a_member_only_one_build_has_is_named_with_the_build(tmp_path: Path) -> None:
    first = _archive(tmp_path / "a.pyz", PAYLOAD)
    second = _archive(tmp_path / "b.pyz", {**PAYLOAD, "app/extra.py": b""})
    assert first_difference(first, second) == (
        "payload member app/extra.py (only in the second build)"
    )


def test_the_shebang_and_outer_members_are_named(tmp_path: Path) -> None:
    first = _archive(tmp_path / "a.pyz", PAYLOAD)
    other_line = _archive(tmp_path / "b.pyz", PAYLOAD, shebang=b"#!/usr/bin/python3.12")
    assert first_difference(first, other_line) == "the first line (the shebang)"
    other_index = _archive(tmp_path / "c.pyz", {**PAYLOAD, "changed.index": b"y"})
    # The payload differs too (it holds the marker), and is named first: it is the cause.
    assert first_difference(first, other_index) == (
        "payload member changed.index (only in the second build)"
    )


def test_a_mode_that_differs_is_named(tmp_path: Path) -> None:
    first = tmp_path / "a.pyz"
    first.write_bytes(b"#!/usr/bin/env python3\n" + _zip({"m": b"x"}))
    second = tmp_path / "b.pyz"
    second.write_bytes(b"#!/usr/bin/env python3\n" + _zip({"m": b"x"}, mode=0o600))
    assert first_difference(first, second) == "member m (external attr)"


def test_the_second_build_runs_elsewhere_and_everything_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv(BUILD_CACHE_ENV, "/somewhere")
    before = os.umask(0o022)
    seen = {}
    try:
        with reproducible._elsewhere(tmp_path):
            seen = {
                "cache": os.environ[BUILD_CACHE_ENV],
                "temp": tempfile.gettempdir(),
                "umask": os.umask(0o077),
                "offset": time.localtime().tm_gmtoff,
                "locale": os.environ["LC_ALL"],
            }
            os.umask(seen["umask"])  # type: ignore[arg-type]
        after = (os.environ[BUILD_CACHE_ENV], os.umask(0o022), os.environ.get("LC_ALL"))
    finally:
        os.umask(before)
    assert seen == {
        "cache": str(tmp_path / "cache"),
        "temp": str(tmp_path / "tmp"),
        "umask": 0o077,
        "offset": 14 * 3600,
        "locale": "C",
    }
    assert after == ("/somewhere", 0o022, None)
    assert tempfile.gettempdir() != str(tmp_path / "tmp")
