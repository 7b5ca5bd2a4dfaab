"""The table of standard-library modules some Pythons lack, and the build's warning."""

from __future__ import annotations

from bundler.entrypoint import EntryPoint
from bundler.resolve.graph import Graph, ImportSite
from bundler.resolve.stdlib_versions import AVAILABILITY, find_gaps, is_versioned, stdlib_warnings


def test_the_table_holds_the_documented_facts() -> None:
    assert AVAILABILITY["tomllib"] == (11, None)
    assert {n for n, (_, gone) in AVAILABILITY.items() if gone == 12} == {
        "distutils",
        "imp",
        "asynchat",
        "asyncore",
        "smtpd",
    }
    assert {"cgi", "telnetlib", "nntplib", "audioop", "crypt"} <= {
        n for n, (_, gone) in AVAILABILITY.items() if gone == 13
    }
    assert is_versioned("distutils.core") and not is_versioned("json")


def test_gaps_follow_requires_python() -> None:
    sites = [("tomllib", "app.cfg", 3), ("asyncore", "app.net", 9)]
    assert [(g.module, g.minors) for g in find_gaps(sites, ">=3.9")] == [
        ("tomllib", (9, 10)),
        ("asyncore", (12, 13, 14)),
    ]
    assert list(find_gaps(sites, ">=3.11,<3.12")) == []
    assert [g.minors for g in find_gaps(sites, ">=3.10.2,<3.13")] == [(10,), (12,)]
    assert [g.module for g in find_gaps(sites, "not a specifier")] == ["tomllib", "asyncore"]


def test_the_warning_names_module_importer_line_and_versions() -> None:
    graph = Graph(
        EntryPoint("app.cli", "main"),
        {},
        versioned_stdlib=(ImportSite("tomllib", "app.cli", 2), ImportSite("imp", "app.old", 5)),
    )
    guard = (
        "guard the import (try/except ImportError, or a sys.version_info test) or narrow "
        "requires-python"
    )
    assert stdlib_warnings(graph, ">=3.10,<3.13") == (
        "'tomllib' (imported by app.cli, line 2) does not exist on Python 3.10 (added in 3.11), "
        f"which requires-python allows; {guard}",
        "'imp' (imported by app.old, line 5) does not exist on Python 3.12 (removed in 3.12), "
        f"which requires-python allows; {guard}",
    )
