"""The lines ``bundle`` prints after a build and for ``bundle cache``, made from records."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bundler.archive import ArchiveResult
from bundler.caches.user import CacheEntry, Removal
from bundler.entrypoint import EntryPoint
from bundler.environment import Distribution, Environment, staged_environment
from bundler.pipeline import BuildResult
from bundler.plan.extraction import ExtractionPlan, ExtractReason
from bundler.plan.payload import Payload
from bundler.plan.pythons import PythonLimit, PythonRange
from bundler.progress import human_size
from bundler.report import SILENCE_HINT, build_report, cache_listing, plural, removal_lines
from bundler.resolve import Graph, MissingImport, Module, ModuleKind
from bundler.staging import Staging
from tests.helpers.environments import fake_interpreter, install_distribution

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


SHA = "0123456789abcdef" * 4
SUMMARY = "wrote app.pyz (200 KiB, 7 modules, 1 distribution, sha256 0123456789abcdef) in 1.2 s"
OPTIONAL = MissingImport("fastjson", "demo.cli", 3, optional=True)
REQUIRED = MissingImport("yaml", "demo", 1, optional=False)
NUMPY = ExtractReason("numpy 2.0", "native code: 19 extension modules", 41 * MiB + MiB // 2)
BABEL = ExtractReason("babel", "zip-unsafe: babel/core.py:110 open()", 300 * 1024, dynamic=True)
JINJA = ExtractReason("jinja2", "zip-unsafe: jinja2/loaders.py:9 open()", 2 * MiB, dynamic=True)


# ---------------------------------------------------------------- after a build


def test_plain_build_reports_only_the_summary() -> None:
    assert list(build_report(_result(), verbose=False, seconds=1.23, sha256=SHA)) == [SUMMARY]


def test_warnings_come_first_in_stage_order() -> None:
    lines = list(build_report(_result(warnings=("yes",)), verbose=False, seconds=1.23, sha256=SHA))
    assert lines == [
        "warning: graph warning",
        "warning: extraction warning",
        "warning: archive warning",
        SUMMARY,
    ]


def test_misses_of_code_without_a_distribution_are_counted_optional_ones_apart() -> None:
    result = _result(missing=(OPTIONAL, REQUIRED))
    assert list(build_report(result, verbose=False, seconds=1.23, sha256=SHA)) == [
        "warning: import 'yaml' not found (imported by demo, line 1)",
        "1 optional import not found (the code runs without): fastjson",
        SILENCE_HINT,
        SUMMARY,
    ]
    assert list(build_report(result, verbose=True, seconds=1.23, sha256=SHA))[:3] == [
        "warning: import 'yaml' not found (imported by demo, line 1)",
        "optional import 'fastjson' not found (imported by demo.cli, line 3)",
        SILENCE_HINT,
    ]


def _with_distribution(tmp_path: Path, missing: tuple[MissingImport, ...]) -> BuildResult:
    """A build whose module ``httpie.core`` belongs to the installed httpie 3.2, which
    declares extras for socks and brotli."""
    site = tmp_path / "site"
    install_distribution(
        site,
        "httpie",
        {"httpie/__init__.py": "", "httpie/core.py": ""},
        version="3.2",
        requires=['PySocks>=1.5; extra == "socks"', "Brotli; extra == 'brotli'", "requests"],
    )
    env = staged_environment(fake_interpreter(), site)
    core = Module("httpie.core", ModuleKind.THIRD_PARTY, site / "httpie/core.py", False)
    graph = Graph(EntryPoint("httpie.core", "main"), {"httpie.core": core}, missing)
    base = _result()
    return dataclasses.replace(base, environment=env, graph=graph)


def test_optional_misses_of_a_distribution_are_one_line_naming_the_extras(tmp_path: Path) -> None:
    names = ["socks", "brotli", "zstandard", "a1", "a2", "a3", "a4"]
    missing = tuple(MissingImport(name, "httpie.core", 3, optional=True) for name in names)
    lines = list(
        build_report(_with_distribution(tmp_path, missing), verbose=False, seconds=1.23, sha256=SHA)
    )
    assert lines == [
        "httpie 3.2: 7 optional imports not found (the code runs without): socks (from "
        "httpie[socks]), brotli (from httpie[brotli]), zstandard, a1, a2, a3 and 1 more",
        SILENCE_HINT,
        SUMMARY,
    ]


def test_required_misses_of_a_distribution_are_counted_and_listed_with_v(tmp_path: Path) -> None:
    missing = (
        MissingImport("socks", "httpie.core", 3, optional=False),
        MissingImport("zstandard", "httpie.core", 9, optional=False),
        MissingImport("a1", "httpie.core", 10, optional=False),
        MissingImport("a2", "httpie.core", 11, optional=False),
    )
    result = _with_distribution(tmp_path, missing)
    assert next(iter(build_report(result, verbose=False, seconds=1.23, sha256=SHA))) == (
        "warning: httpie 3.2: 4 imports not found (-v lists where): socks (from httpie[socks]), "
        "zstandard, a1, a2"
    )
    verbose = list(build_report(result, verbose=True, seconds=1.23, sha256=SHA))
    assert [line.startswith("warning: httpie 3.2: import '") for line in verbose[:5]] == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert list(build_report(result, verbose=True, seconds=1.23, sha256=SHA))[:2] == [
        "warning: httpie 3.2: import 'socks' not found (imported by httpie.core, line 3); "
        "the extra httpie[socks] provides it",
        "warning: httpie 3.2: import 'zstandard' not found (imported by httpie.core, line 9)",
    ]


def test_verbose_lists_each_bundled_module_with_its_importers() -> None:
    assert list(build_report(_result(), verbose=True, seconds=1.23, sha256=SHA)) == [
        "  project     demo  (imported by -)",
        "  project     demo.cli  (imported by <entry point>)",
        "  third-party inkwell  (imported by demo.cli, demo)",
        SUMMARY,
    ]


def test_dynamic_extractions_are_collapsed_into_one_line() -> None:
    result = _result(reasons=(NUMPY, BABEL, JINJA))
    assert list(build_report(result, verbose=False, seconds=1.23, sha256=SHA)) == [
        "extracts at first import: numpy 2.0 (native code: 19 extension modules; 41.5 MiB)",
        "extracts if imported by name: babel, jinja2 (zip-unsafe; -v says why)",
        SUMMARY,
    ]


def test_verbose_gives_every_extraction_its_reason() -> None:
    lines = list(
        build_report(_result(reasons=(NUMPY, BABEL, JINJA)), verbose=True, seconds=1.23, sha256=SHA)
    )
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
    assert list(build_report(result, verbose=False, seconds=1.23, sha256=SHA)) == [line, SUMMARY]


# ---------------------------------------------------------------- the cache


@pytest.fixture
def utc() -> Iterator[None]:
    """Local time is UTC for the test (the listing prints local times)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


def _entry(area: str, name: str, label: str, size: int, last_used: float) -> CacheEntry:
    return CacheEntry(Path("/cache"), area, name, label, size, last_used)


@pytest.mark.usefixtures("utc")
def test_cache_listing_aligns_entries_and_adds_a_total() -> None:
    entries = [
        _entry("apps", "notekeeper-0123456789abcdef", "notekeeper", 3 * MiB, 1_700_000_000),
        _entry("wheels", "f" * 32, "wc-1.0-py3-none-any.whl", MiB // 2, 1_700_086_400),
    ]
    assert list(cache_listing(entries)) == [
        "apps      notekeeper                  3.0 MiB  last used 2023-11-14 22:13  "
        "/cache/apps/notekeeper-0123456789abcdef",
        f"wheels    wc-1.0-py3-none-any.whl     512 KiB  last used 2023-11-15 22:13  "
        f"/cache/wheels/{'f' * 32}",
        "2 entries, 3.5 MiB (3,670,016 bytes)",
    ]


@pytest.mark.usefixtures("utc")
def test_cache_listing_of_one_entry_says_entry() -> None:
    entries = [_entry("bytecode", "0d0d0a0d", "magic 0d0d0a0d", 0, 0)]
    assert list(cache_listing(entries))[-1] == "1 entry, 0 B (0 bytes)"


def test_cache_listing_of_no_entries_is_just_the_total() -> None:
    assert list(cache_listing([])) == ["0 entries, 0 B (0 bytes)"]


def test_removal_says_what_it_removed_in_bytes_and_what_it_kept() -> None:
    gone = _entry("staging", "a" * 32, "demo.whl", 1536, 0)
    kept = _entry("wheels", "b" * 32, "demo.whl", 10, 0)
    removal = Removal((gone,), (kept,))
    assert list(removal_lines(removal, verbose=False)) == [
        f"kept /cache/wheels/{'b' * 32}: a running build is using it",
        "removed 1 cache entry, 2 KiB (1,536 bytes)",
    ]
    assert next(iter(removal_lines(removal, verbose=True))) == (
        f"removed /cache/staging/{'a' * 32} (2 KiB)"
    )
    assert list(removal_lines(Removal((), ()), verbose=False)) == [
        "removed 0 cache entries, 0 B (0 bytes)"
    ]


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "2 KiB"), (MiB, "1.0 MiB"), (5 * 1024**3, "5.0 GiB")],
)
def test_human_size_picks_the_unit(size: int, text: str) -> None:
    assert human_size(size) == text


def test_plural_agrees_with_the_count() -> None:
    assert [plural(1, "module"), plural(2, "module"), plural(0, "entry", "entries")] == [
        "1 module",
        "2 modules",
        "0 entries",
    ]


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
    lines = list(
        build_report(replace(result, payload=payload), verbose=False, seconds=1.23, sha256=SHA)
    )
    assert lines == [
        "warning: skipped /p/demo/loop: a symlink that loops",
        "pruned (--prune: nothing imports them): dotdep 1.0, extra 2.1",
        SUMMARY,
    ]
    verbose = list(
        build_report(replace(result, payload=payload), verbose=True, seconds=1.23, sha256=SHA)
    )
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
    assert list(build_report(result, verbose=False, seconds=1.23, sha256=SHA)) == [
        "runs on Python >=3.11: platformdirs 4.14.9 requires Python >=3.11; black needs tomli "
        'where python_version < "3.11"; and 2 more (-v lists them)',
        SUMMARY,
    ]
    verbose = list(build_report(result, verbose=True, seconds=1.23, sha256=SHA))
    assert verbose[-2].endswith(
        "click 8.5.1 requires Python >=3.10; other 1.0 requires Python >=3.9"
    )


def test_data_files_are_extracted_at_start() -> None:
    reason = ExtractReason("share/tool", "data files beside the environment", 1024, at_start=True)
    lines = list(build_report(_result(reasons=(reason,)), verbose=False, seconds=1.23, sha256=SHA))
    assert lines[0] == "extracts at start: share/tool (data files beside the environment; 1 KiB)"
