"""``bundle build --dry-run``'s lines, from a plan."""

from __future__ import annotations

from pathlib import Path

from bundler.archive import ArchiveInfo
from bundler.dryrun import dry_run_lines
from bundler.entrypoint import EntryPoint
from bundler.pipeline import Plan
from bundler.plan.extraction import ExtractionPlan, ExtractReason
from bundler.plan.payload import Payload
from bundler.plan.pythons import PythonRange
from bundler.resolve import Graph, MissingImport
from bundler.sbom import Sbom


def test_lines_say_what_would_be_bundled_extracted_and_pruned() -> None:
    payload = Payload(
        files={"app/__init__.py": b"x" * 2048, "dep/__init__.py": b""},
        modules=(),
        distributions=("app-1.0.dist-info", "dep-2.0.dist-info"),
        pruned=("unused 0.1",),
        unreached=("dep 2.0",),
        warnings=("a payload warning",),
    )
    info = ArchiveInfo(
        "app", "1.0", "app.cli", "main", ">=3.9", "#!/usr/bin/env python3", False, True
    )
    graph = Graph(
        EntryPoint("app.cli", "main"), {}, (MissingImport("fastjson", "dep", 3, True),), ("w",)
    )
    extraction = ExtractionPlan(reasons=(ExtractReason("dep 2.0", "native code: 1 module", 4096),))
    plan = Plan(
        EntryPoint("app.cli", "main"),
        None,
        graph,
        payload,
        extraction,  # type: ignore[arg-type]
        PythonRange(),
        info,
        None,
        (),
        Sbom(b"{}", 0),
    )
    assert list(dry_run_lines(plan, Path("out/app.pyz"))) == [
        "would write out/app.pyz: app 1.0, entry app.cli:main, 0 modules reached, 2 files "
        "(2 KiB before compression)",
        "would bundle 2 distributions:",
        "  app-1.0",
        "  dep-2.0",
        "  of which no import reaches (included whole): dep 2.0",
        "would extract at run time:",
        "  dep 2.0 (native code: 1 module; 4 KiB)",
        "would prune (--prune): unused 0.1",
        f"would run on: {PythonRange().describe()}",
        "warning: w",
        "warning: a payload warning",
        "warning: optional import 'fastjson' not found (imported by dep, line 3)",
    ]
