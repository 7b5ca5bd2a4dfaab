"""Build cache entries: filled once under a lock, renamed into place, reused."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest

from bundler.caches.build import MARKER, cached_entry

# ---------------------------------------------------------------- cache entries


def _filler(calls: list[Path], text: str = "payload") -> Any:
    def fill(directory: Path) -> dict[str, str]:
        calls.append(directory)
        (directory / "site").mkdir()
        (directory / "site" / "file.txt").write_text(text)
        return {"what": text}

    return fill


def test_entry_is_filled_once_then_reused(tmp_path: Path) -> None:
    calls: list[Path] = []
    with cached_entry(tmp_path, "k1", _filler(calls)) as first:
        assert (first.reused, first.info["what"]) == (False, "payload")
    with cached_entry(tmp_path, "k1", _filler(calls)) as second:
        assert second.reused
        assert (second.path / "site" / "file.txt").read_text() == "payload"
    assert len(calls) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1", "k1.lock"]


def test_refresh_replaces_the_entry(tmp_path: Path) -> None:
    calls: list[Path] = []
    with cached_entry(tmp_path, "k1", _filler(calls, "old")):
        pass
    with cached_entry(tmp_path, "k1", _filler(calls, "new"), refresh=True) as entry:
        assert not entry.reused
        assert (entry.path / "site" / "file.txt").read_text() == "new"
    assert len(calls) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1", "k1.lock"]


def test_entry_without_marker_is_refilled(tmp_path: Path) -> None:
    """What a build killed before the rename, or a damaged cache, leaves behind."""
    half = tmp_path / "k1" / "site"
    half.mkdir(parents=True)
    (half / "partial.py").write_text("x = ")
    stale = tmp_path / ".k1.tmp-dead"
    stale.mkdir()
    calls: list[Path] = []
    with cached_entry(tmp_path, "k1", _filler(calls)) as entry:
        assert entry.repaired and not entry.reused
        assert sorted(p.name for p in (entry.path / "site").iterdir()) == ["file.txt"]
    assert not stale.exists()
    assert json.loads((tmp_path / "k1" / MARKER).read_text())["what"] == "payload"


def test_failed_fill_leaves_nothing(tmp_path: Path) -> None:
    def fail(directory: Path) -> dict[str, str]:
        (directory / "half-written").write_text("...")
        raise RuntimeError("pip died")

    with pytest.raises(RuntimeError), cached_entry(tmp_path, "k1", fail):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1.lock"]


def _fill_slowly(area: str, log: str) -> None:
    def fill(directory: Path) -> dict[str, str]:
        with open(log, "a") as stream:
            stream.write("filled\n")
        time.sleep(0.5)
        (directory / "site").mkdir()
        return {}

    with cached_entry(Path(area), "shared", fill) as entry:
        assert (entry.path / "site").is_dir()


def test_concurrent_builds_fill_an_entry_once(tmp_path: Path) -> None:
    log = tmp_path / "log"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_fill_slowly, args=(str(tmp_path / "area"), str(log)))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert log.read_text() == "filled\n"


def test_in_place_entry_is_filled_where_it_stays(tmp_path: Path) -> None:
    calls: list[Path] = []
    with cached_entry(tmp_path, "k1", _filler(calls), in_place=True) as entry:
        assert calls == [tmp_path / "k1"] and not entry.reused
    with cached_entry(tmp_path, "k1", _filler(calls), in_place=True) as again:
        assert again.reused
    with pytest.raises(RuntimeError), cached_entry(tmp_path, "k2", _failing, in_place=True):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1", "k1.lock", "k2.lock"]


def _failing(directory: Path) -> dict[str, str]:
    (directory / "half").write_text("x")
    raise RuntimeError("boom")


def test_an_entry_whose_inputs_changed_is_filled_again(tmp_path: Path) -> None:
    calls: list[Path] = []
    with cached_entry(tmp_path, "k1", _filler(calls, "one")):
        pass
    with cached_entry(tmp_path, "k1", _filler(calls, "two"), valid=lambda _: False) as entry:
        assert (entry.reused, entry.repaired, entry.info["what"]) == (False, False, "two")
    with cached_entry(tmp_path, "k1", _filler(calls, "three"), valid=lambda _: True) as entry:
        assert (entry.reused, entry.info["what"]) == (True, "two")
    assert len(calls) == 2
