"""The manifest: the facts of the index, for people and tools (``.bundle/manifest.json``)."""

from __future__ import annotations

import json
import sys

import bundler
from bundler.archive.index import ArchiveInfo
from bundler.plan.extraction import ExtractionPlan
from bundler.plan.payload import Payload
from bundler.runtime import FORMAT_VERSION

__all__ = ["manifest_document"]


def manifest_document(
    payload: Payload,
    info: ArchiveInfo,
    content_hash: str,
    files: int,
    extraction: ExtractionPlan,
) -> bytes:
    """The manifest's bytes: JSON, keys sorted, so equal builds write equal bytes."""
    document = {
        "format": FORMAT_VERSION,
        "app": {"name": info.name, "version": info.version},
        "entry": info.entry,
        "requires_python": info.requires_python,
        "python": {
            "range": info.python_range,
            "limits": [{"specifier": spec, "reason": why} for spec, why in info.pythons],
        },
        "settings": {
            "extract": list(info.extract),
            "zip_safe": list(info.zip_safe),
            "prune": info.prune,
            "check_skip": list(info.check_skip),
        },
        "build": {
            "tool": f"bundler {bundler.__version__}",
            "python": ".".join(map(str, tuple(sys.version_info[:3]))),
            "cache_tag": sys.implementation.cache_tag,
            "content_hash": content_hash,
        },
        "distributions": list(payload.distributions),
        "files": files,
        "modules": {
            entry.name: {
                "member": entry.member,
                "package": entry.is_package,
                "kind": entry.origin.value,
            }
            for entry in payload.modules
        },
        **extraction.manifest_table(),
        "resolution": dict(info.resolution),
    }
    if info.targets:
        document["targets"] = [target.document() for target in info.targets]
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
