"""The ``--json`` documents, checked against the schemas published in ``docs/schema``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema

import bundler
from bundler.caches.user import CacheEntry, Removal
from bundler.documents import SCHEMA_VERSION, build_document, cache_document, error_document
from bundler.errors import StagingError
from bundler.progress import StepTiming
from bundler.resolve import MissingImport
from bundler.sbom import Sbom
from bundler.staging import Staging
from tests.test_report import SHA, _result

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schema"
STEPS = (StepTiming("resolving imports from demo.cli:main", 0.25),)


def _valid(document: dict[str, Any], schema: str) -> dict[str, Any]:
    jsonschema.validate(
        json.loads(json.dumps(document)), json.loads((SCHEMAS / schema).read_text())
    )
    return document


def test_build_document_has_the_archive_counts_warnings_and_timings() -> None:
    staging = Staging(Path("/c/staging/k/site"), "demo", "demo.whl", True, True, 2.0)
    result = dataclasses.replace(
        _result(
            missing=(MissingImport("fastjson", "demo.cli", 3, optional=True),), warnings=("yes",)
        ),
        staging=staging,
    )
    result = dataclasses.replace(
        result, archive=dataclasses.replace(result.archive, content_hash="c" * 64)
    )
    document = _valid(build_document(result, sha256=SHA, seconds=1.5, steps=STEPS), "build-1.json")
    assert (document["kind"], document["schema_version"], document["ok"]) == ("build", 1, True)
    assert document["bundler"] == bundler.__version__
    assert document["archive"] == {
        "path": str(Path("app.pyz").absolute()),
        "sha256": SHA,
        "size": 200 * 1024,
        "content_hash": "c" * 64,
        "shebang": "#!/usr/bin/env python3",
    }
    assert document["counts"] == {
        "modules": 7,
        "files": 0,
        "distributions": 1,
        "missing_imports": 0,
        "optional_missing_imports": 1,
        "extracted_units": 0,
    }
    assert [w["kind"] for w in document["warnings"]] == ["build"] * 3 + ["missing-import"]
    assert document["warnings"][-1] == {
        "kind": "missing-import",
        "message": "optional import 'fastjson' not found (imported by demo.cli, line 3)",
        "distribution": None,
        "module": "fastjson",
        "importer": "demo.cli",
        "line": 3,
        "optional": True,
        "extra": None,
    }
    assert document["staging"]["reused"] is False
    assert document["timings"] == {
        "total": 1.5,
        "steps": [{"step": "resolving imports from demo.cli:main", "seconds": 0.25}],
    }


def test_error_document_carries_the_line_status_and_details() -> None:
    error = StagingError("pip could not install x", details=("ERROR: no x",))
    document = _valid(error_document(error, kind="build", seconds=0.5, steps=STEPS), "build-1.json")
    assert document["error"] == {
        "message": "pip could not install x",
        "type": "StagingError",
        "exit_status": 1,
        "details": ["ERROR: no x"],
    }


def test_cache_document_lists_and_reports_removals() -> None:
    kept = CacheEntry(Path("/c"), "apps", "demo-" + "1" * 16, "demo", 10, 1.0)
    gone = CacheEntry(Path("/c"), "wheels", "a" * 32, "demo.whl", 5, 2.0)
    listed = _valid(cache_document([Path("/c")], [kept]), "cache-1.json")
    assert listed["removed"] is None and listed["total_size"] == 10
    removed = _valid(cache_document([Path("/c")], [kept], Removal((gone,), ())), "cache-1.json")
    assert removed["removed"] == {
        "entries": [
            {
                "area": "wheels",
                "label": "demo.whl",
                "path": f"/c/wheels/{'a' * 32}",
                "size": 5,
                "last_used": 2.0,
            }
        ],
        "size": 5,
        "busy": [],
    }
    assert SCHEMA_VERSION == 1


def test_build_document_says_where_the_sbom_is() -> None:
    sbom = Sbom(b"{}", 3, member="demo-1.0.dist-info/sboms/bundle.cdx.json", path=Path("s.json"))
    base = _result()
    base = dataclasses.replace(
        base, archive=dataclasses.replace(base.archive, content_hash="c" * 64)
    )
    result = dataclasses.replace(base, sbom=sbom)
    document = _valid(build_document(result, sha256=SHA, seconds=1.0, steps=()), "build-1.json")
    assert document["sbom"] == {
        "member": "demo-1.0.dist-info/sboms/bundle.cdx.json",
        "path": str(Path("s.json").absolute()),
        "components": 3,
    }
    bare = build_document(base, sha256=SHA, seconds=1.0, steps=())
    assert _valid(bare, "build-1.json")["sbom"] is None
