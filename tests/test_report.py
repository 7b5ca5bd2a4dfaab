"""The lines ``bundle`` prints after a build and for ``bundle cache``, made from records."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bundler.archive import ArchiveResult
from bundler.caches.user import AppCacheEntry
from bundler.entrypoint import EntryPoint
from bundler.environment import Distribution, Environment
from bundler.pipeline import BuildResult
from bundler.plan.extraction import ExtractionPlan, ExtractReason
from bundler.plan.payload import Payload
from bundler.plan.pythons import PythonLimit, PythonRange
from bundler.report import build_report, cache_listing, mib
from bundler.resolve import Graph, MissingImport, Module, ModuleKind
from bundler.staging import Staging
from tests.helpers.environments import fake_interpreter

MiB = 1024 * 1024
STAGED = Path("/cache/staging/0123abcd/site")


def _result(
    *,
    staging: Staging | None = None,
    distributions: int = 2,
    missing: tuple[MissingImport, ...] = (),
    reasons: tuple[ExtractReason, ...] = (),
    warnings: tuple[str, ...] = (),
) -> BuildResult:
    """A build of ``demo.cli:main``: demo, demo.cli and inkwell bundled, json not."""
    dists = tuple(
        Distribution(f"dist{i}", "1.0", Path(f"/site/dist{i}-1.0.dist-info"), Path("/site"))
        for i in range(distributions)
    )
    env = Environment(fake_interpreter(), (Path("/site"),), dists, {})
    modules = {
        "demo": Module("demo", ModuleKind.PROJECT, Path("/p/demo/__init__.py"), True),
        "demo.cli": Module(
            "demo.cli", ModuleKind.PROJECT, Path("/p/demo/cli.py"), False, (), ("<entry point>",)
        ),
        "inkwell": Module(
            "inkwell",
            ModuleKind.THIRD_PARTY,
            Path("/site/inkwell/__init__.py"),
            True,
            (),
            ("demo.cli", "demo"),
        ),
        "json": Module("json", ModuleKind.STDLIB, None, False, (), ("demo.cli",)),
    }
    entry = EntryPoint("demo.cli", "main")
    graph = Graph(entry, modules, missing, warnings=("graph warning",) if warnings else ())
    payload = Payload(files={}, modules=(), distributions=("demo-1.0.dist-info",))
    archive = ArchiveResult(
        Path("app.pyz"), 200 * 1024, 7, "hash", ("archive warning",) if warnings else ()
    )
    extraction = ExtractionPlan(
        reasons=reasons, warnings=("extraction warning",) if warnings else ()
    )
    return BuildResult(entry, env, graph, payload, archive, staging, extraction)


def _staging(*, wheel_built: bool, installed: bool, wheel: str | None = "demo-1.0.whl") -> Staging:
    return Staging(STAGED, "demo", wheel, wheel_built, installed, seconds=2.54)


SUMMARY = "wrote app.pyz (200 KiB, 7 modules, 1 distributions) in 1.2 s"
OPTIONAL = MissingImport("fastjson", "demo.cli", 3, optional=True)
REQUIRED = MissingImport("yaml", "demo", 1, optional=False)
NUMPY = ExtractReason("numpy 2.0", "native code: 19 extension modules", 41 * MiB + MiB // 2)
BABEL = ExtractReason("babel", "zip-unsafe: babel/core.py:110 open()", 300 * 1024, dynamic=True)
JINJA = ExtractReason("jinja2", "zip-unsafe: jinja2/loaders.py:9 open()", 2 * MiB, dynamic=True)


# ---------------------------------------------------------------- after a build


def test_plain_build_reports_only_the_summary() -> None:
    assert list(build_report(_result(), verbose=False, seconds=1.23)) == [SUMMARY]


def test_warnings_come_first_in_stage_order() -> None:
    lines = list(build_report(_result(warnings=("yes",)), verbose=False, seconds=1.23))
    assert lines == [
        "warning: graph warning",
        "warning: extraction warning",
        "warning: archive warning",
        SUMMARY,
    ]


def test_optional_misses_are_reported_only_when_verbose() -> None:
    result = _result(missing=(OPTIONAL, REQUIRED))
    assert list(build_report(result, verbose=False, seconds=1.23)) == [
        "warning: import 'yaml' not found (imported by demo, line 1)",
        SUMMARY,
    ]
    assert list(build_report(result, verbose=True, seconds=1.23))[:2] == [
        "warning: optional import 'fastjson' not found (imported by demo.cli, line 3)",
        "warning: import 'yaml' not found (imported by demo, line 1)",
    ]


def test_verbose_lists_each_bundled_module_with_its_importers() -> None:
    assert list(build_report(_result(), verbose=True, seconds=1.23)) == [
        "  project     demo  (imported by -)",
        "  project     demo.cli  (imported by <entry point>)",
        "  third-party inkwell  (imported by demo.cli, demo)",
        SUMMARY,
    ]


def test_dynamic_extractions_are_collapsed_into_one_line() -> None:
    result = _result(reasons=(NUMPY, BABEL, JINJA))
    assert list(build_report(result, verbose=False, seconds=1.23)) == [
        "extracts at first import: numpy 2.0 (native code: 19 extension modules; 41.5 MiB)",
        "extracts if imported by name: babel, jinja2 (zip-unsafe; -v says why)",
        SUMMARY,
    ]


def test_verbose_gives_every_extraction_its_reason() -> None:
    lines = list(build_report(_result(reasons=(NUMPY, BABEL, JINJA)), verbose=True, seconds=1.23))
    assert [line for line in lines if line.startswith("extracts")] == [
        "extracts at first import: numpy 2.0 (native code: 19 extension modules; 41.5 MiB)",
        "extracts at first import: babel (zip-unsafe: babel/core.py:110 open(); 300 KiB)",
        "extracts at first import: jinja2 (zip-unsafe: jinja2/loaders.py:9 open(); 2.0 MiB)",
    ]


@pytest.mark.parametrize(
    ("staging", "distributions", "line"),
    [
        (
            _staging(wheel_built=False, installed=False),
            2,
            "reused the cached staging directory (no build, no pip): /cache/staging/0123abcd",
        ),
        (
            _staging(wheel_built=True, installed=False),
            2,
            "built demo-1.0.whl; its contents are unchanged, so the cached staging "
            "directory was reused (no pip): /cache/staging/0123abcd",
        ),
        (
            _staging(wheel_built=True, installed=True),
            3,
            "staged 3 distributions (built demo-1.0.whl, pip install) in 2.5 s",
        ),
        (
            _staging(wheel_built=False, installed=True),
            1,
            "staged 1 distribution (pip install) in 2.5 s",
        ),
        (
            _staging(wheel_built=False, installed=True, wheel=None),
            2,
            "staged 2 distributions (pip install) in 2.5 s",
        ),
    ],
    ids=["reused", "unchanged-wheel", "built-and-installed", "installed-one", "no-project"],
)
def test_staging_line_says_what_ran(staging: Staging, distributions: int, line: str) -> None:
    result = _result(staging=staging, distributions=distributions)
    assert list(build_report(result, verbose=False, seconds=1.23)) == [line, SUMMARY]


# ---------------------------------------------------------------- the cache


@pytest.fixture
def utc() -> Iterator[None]:
    """Local time is UTC for the test (the listing prints local times)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


def _entry(app: str, build: str, size: int, last_used: float) -> AppCacheEntry:
    return AppCacheEntry(Path(f"/cache/apps/{app}-{build}"), app, build, size, last_used)


@pytest.mark.usefixtures("utc")
def test_cache_listing_aligns_entries_and_adds_a_total() -> None:
    entries = [
        _entry("notekeeper", "0123456789abcdef", 3 * MiB, 1_700_000_000),
        _entry("wc", "fedcba9876543210", MiB // 2, 1_700_086_400),
    ]
    assert list(cache_listing(entries)) == [
        "notekeeper  0123456789abcdef     3.0 MiB  last used 2023-11-14 22:13  "
        "/cache/apps/notekeeper-0123456789abcdef",
        "wc          fedcba9876543210     0.5 MiB  last used 2023-11-15 22:13  "
        "/cache/apps/wc-fedcba9876543210",
        "2 entries, 3.5 MiB",
    ]


@pytest.mark.usefixtures("utc")
def test_cache_listing_of_one_entry_says_entry() -> None:
    entries = [_entry("wc", "fedcba9876543210", 0, 0)]
    assert list(cache_listing(entries))[-1] == "1 entry, 0.0 MiB"


def test_cache_listing_of_no_entries_is_just_the_total() -> None:
    assert list(cache_listing([])) == ["0 entries, 0.0 MiB"]


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0.0 MiB"),
        (52_428, "0.0 MiB"),
        (52_429, "0.1 MiB"),
        (MiB, "1.0 MiB"),
        (5 * 1024**3, "5120.0 MiB"),
    ],
)
def test_mib_has_one_decimal(size: int, text: str) -> None:
    assert mib(size) == text


# ---------------------------------------------------------------- distributions and Pythons


def test_pruned_distributions_are_listed_and_payload_warnings_shown() -> None:
    result = _result()
    payload = Payload(
        files={},
        modules=(),
        distributions=("demo-1.0.dist-info",),
        pruned=("dotdep 1.0", "extra 2.1"),
        unreached=("plugin 3.0",),
        warnings=("skipped /p/demo/loop: a symlink that loops",),
    )
    lines = list(build_report(replace(result, payload=payload), verbose=False, seconds=1.2))
    assert lines == [
        "warning: skipped /p/demo/loop: a symlink that loops",
        "pruned (--prune: nothing imports them): dotdep 1.0, extra 2.1",
        SUMMARY,
    ]
    verbose = list(build_report(replace(result, payload=payload), verbose=True, seconds=1.2))
    assert "included whole, though no import reaches them: plugin 3.0" in verbose


def test_python_range_line_names_the_decisive_limits_first() -> None:
    limits = (
        PythonLimit(">=3.10", "click 8.5.1 requires Python >=3.10"),
        PythonLimit(">=3.11", "platformdirs 4.14.9 requires Python >=3.11"),
        PythonLimit(">=3.9", "other 1.0 requires Python >=3.9"),
        PythonLimit(">=3.11", 'black needs tomli where python_version < "3.11"'),
    )
    pythons = PythonRange(limits, tuple(range(11, 31)))
    result = replace(_result(), pythons=pythons)
    assert list(build_report(result, verbose=False, seconds=1.2)) == [
        "runs on Python >=3.11: platformdirs 4.14.9 requires Python >=3.11; black needs tomli "
        'where python_version < "3.11"; and 2 more (-v lists them)',
        SUMMARY,
    ]
    verbose = list(build_report(result, verbose=True, seconds=1.2))
    assert verbose[-2].endswith(
        "click 8.5.1 requires Python >=3.10; other 1.0 requires Python >=3.9"
    )


def test_data_files_are_extracted_at_start() -> None:
    reason = ExtractReason("share/tool", "data files beside the environment", 1024, at_start=True)
    lines = list(build_report(_result(reasons=(reason,)), verbose=False, seconds=1.2))
    assert lines[0] == "extracts at start: share/tool (data files beside the environment; 1 KiB)"
