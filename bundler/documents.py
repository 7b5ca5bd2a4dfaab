"""The ``--json`` documents of ``bundle build`` and ``bundle cache``.

Each document says what it is (``kind``) and which version of its schema it follows
(``schema_version``); the schemas are ``docs/schema/build-1.json``,
``docs/schema/cache-1.json``, ``docs/schema/inspect-1.json`` and
``docs/schema/check-1.json`` (those two written by ``bundler.inspection`` and
``bundler.check``). A new field keeps the version; a removed or changed field raises it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import bundler
from bundler.buildtargets import target_name
from bundler.caches.user import CacheEntry, Removal
from bundler.errors import BundleError
from bundler.misses import group_misses
from bundler.pipeline import BuildResult
from bundler.progress import StepTiming

__all__ = [
    "SCHEMA_VERSION",
    "build_document",
    "cache_document",
    "document_head",
    "error_document",
]

SCHEMA_VERSION = 1


def build_document(
    result: BuildResult, *, sha256: str, seconds: float, steps: Sequence[StepTiming]
) -> dict[str, Any]:
    """What a successful build wrote, found and took."""
    archive, graph = result.archive, result.graph
    required = [m for m in graph.missing if not m.optional]
    return {
        **document_head("build", ok=True),
        "archive": {
            "path": str(archive.path.absolute()),
            "sha256": sha256,
            "size": archive.size,
            "content_hash": archive.content_hash,
            "shebang": result.shebang,
        },
        "entry_point": str(result.entry),
        "counts": {
            "modules": archive.modules,
            "files": len(result.payload.files),
            "distributions": len(result.payload.distributions),
            "missing_imports": len(required),
            "optional_missing_imports": len(graph.missing) - len(required),
            "extracted_units": len(result.extraction.units),
        },
        "distributions": list(result.payload.distributions),
        # Several targets: their names (the manifest describes each), else empty.
        "targets": [target_name(build.interpreter) for build in result.targets],
        "warnings": _warnings(result),
        "extracted": [
            {"name": r.name, "reason": r.reason, "size": r.size, "dynamic": r.dynamic}
            for r in result.extraction.reasons
        ],
        "staging": _staging(result),
        "sbom": _sbom(result),
        "timings": _timings(seconds, steps),
    }


def _sbom(result: BuildResult) -> dict[str, Any] | None:
    """Where the SBOM is (in the archive, and the --sbom file) and how many it names."""
    if result.sbom is None:
        return None
    path = str(result.sbom.path.absolute()) if result.sbom.path is not None else None
    return {"member": result.sbom.member, "path": path, "components": result.sbom.components}


def error_document(
    error: BundleError, *, kind: str, seconds: float, steps: Sequence[StepTiming] = ()
) -> dict[str, Any]:
    """A failed command: the one-line message, its exit status and the tool's lines."""
    return {
        **document_head(kind, ok=False),
        "error": {
            "message": str(error),
            "type": type(error).__name__,
            "exit_status": error.exit_status,
            "details": list(error.details),
        },
        "timings": _timings(seconds, steps),
    }


def cache_document(
    roots: Iterable[object], entries: Sequence[CacheEntry], removal: Removal | None = None
) -> dict[str, Any]:
    """The cache entries (what is left, after a removal), and what was removed."""
    return {
        **document_head("cache", ok=True),
        "roots": [str(root) for root in roots],
        "entries": [_entry(entry) for entry in entries],
        "total_size": sum(entry.size for entry in entries),
        "removed": None
        if removal is None
        else {
            "entries": [_entry(entry) for entry in removal.removed],
            "size": removal.size,
            "busy": [_entry(entry) for entry in removal.busy],
        },
    }


def document_head(kind: str, *, ok: bool) -> dict[str, Any]:
    """The fields every document starts with: what it is, its schema version, bundler's."""
    return {
        "kind": kind,
        "schema_version": SCHEMA_VERSION,
        "bundler": bundler.__version__,
        "ok": ok,
    }


def _warnings(result: BuildResult) -> list[dict[str, Any]]:
    stages = (*result.graph.warnings, *result.extraction.warnings, *result.archive.warnings)
    found: list[dict[str, Any]] = [
        {"kind": "build", "message": text, "distribution": None, "module": None} for text in stages
    ]
    for optional in (False, True):
        for group in group_misses(result.graph, result.environment, optional=optional):
            found += [
                {
                    "kind": "missing-import",
                    "message": miss.describe(),
                    "distribution": group.owner,
                    "module": miss.name,
                    "importer": miss.importer,
                    "line": miss.line,
                    "optional": miss.optional,
                    "extra": group.extra_for(miss.name),
                }
                for miss in group.misses
            ]
    return found


def _staging(result: BuildResult) -> dict[str, Any] | None:
    staging = result.staging
    if staging is None:
        return None
    return {
        "site_dir": str(staging.site_dir),
        "site_dirs": [str(path) for path in staging.site_dirs],
        "project": staging.project,
        "wheel": staging.wheel,
        "wheel_built": staging.wheel_built,
        "installed": staging.installed,
        "dependencies_installed": staging.dependencies_installed,
        "extras": list(staging.extras),
        "installer": staging.installer,
        "reused": staging.reused,
        "seconds": staging.seconds,
    }


def _timings(seconds: float, steps: Sequence[StepTiming]) -> dict[str, Any]:
    return {
        "total": round(seconds, 3),
        "steps": [{"step": s.title, "seconds": round(s.seconds, 3)} for s in steps],
    }


def _entry(entry: CacheEntry) -> dict[str, Any]:
    return {
        "area": entry.area,
        "label": entry.label,
        "path": str(entry.path),
        "size": entry.size,
        "last_used": entry.last_used,
    }
