"""Analysis results kept by content: computed once, decoded after, damaged ones redone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.caches import results as results_module
from bundler.caches.results import Results, code_version


def _counting() -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> tuple[int, ...]:
        calls.append(1)
        return (1, 2)

    return calls, compute


def test_a_result_is_computed_once_then_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(tmp_path))
    calls, compute = _counting()
    for _ in range(2):
        value = Results("scans").memo("ab" * 32, compute, list, tuple)  # type: ignore[arg-type]
    assert value == (1, 2) and len(calls) == 1
    assert [p for p in (tmp_path / "results" / "scans").rglob("*") if p.is_file()]


def test_a_damaged_result_is_computed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(tmp_path))
    calls, compute = _counting()
    Results("scans").memo("cd" * 32, compute, list, tuple)  # type: ignore[arg-type]
    (stored,) = [p for p in (tmp_path / "results").rglob("*") if p.is_file()]
    stored.write_bytes(b"{not json")
    assert Results("scans").memo("cd" * 32, compute, list, tuple) == (1, 2)  # type: ignore[arg-type]
    assert len(calls) == 2


def test_none_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(tmp_path))
    Results("scans").memo("ef" * 32, lambda: None, list, tuple)
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and "results" in p.parts]


def test_the_version_follows_the_analysing_code() -> None:
    assert code_version(results_module) == code_version(results_module)
    assert code_version(results_module) != code_version(pytest)
