"""The manifest: the index's facts as sorted JSON, for people and tools."""

from __future__ import annotations

import json
import sys

import bundler
from bundler.archive.manifest import manifest_document
from bundler.plan.extraction import ExtractionPlan, ExtractReason, ExtractUnit
from bundler.plan.payload import Payload, PayloadModule
from bundler.resolve import ModuleKind
from bundler.runtime import EXTENSION, FORMAT_VERSION, NAMESPACE, SOURCE
from tests.archive.conftest import INFO

SO = ".cpython-311-x86_64-linux-gnu.so"
PAYLOAD = Payload(
    files={},
    modules=(
        PayloadModule("app", "app/__init__.py", True, SOURCE, ModuleKind.PROJECT),
        PayloadModule("dep", "dep/__init__.py", True, SOURCE, ModuleKind.THIRD_PARTY),
        PayloadModule("dep.fast", f"dep/fast{SO}", False, EXTENSION, ModuleKind.EXTENSION),
        PayloadModule("ns", None, True, NAMESPACE, ModuleKind.NAMESPACE),
    ),
    distributions=("app-1.0.dist-info", "dep-2.0.dist-info"),
)
EXTRACTION = ExtractionPlan(
    units={"dep": ExtractUnit("dep", (f"dep/fast{SO}",), (), "dep", 2048)},
    modules={"dep.fast": "dep"},
    reasons=(ExtractReason("dep 2.0", "native code: 1 extension module", 2048),),
)


def _document(extraction: ExtractionPlan = EXTRACTION) -> bytes:
    return manifest_document(PAYLOAD, INFO, "c" * 64, 17, extraction)


def test_manifest_is_json_with_the_facts_of_the_build() -> None:
    assert json.loads(_document()) == {
        "format": FORMAT_VERSION,
        "app": {"name": "app", "version": "1.0"},
        "entry": "app.main:main",
        "requires_python": ">=3.9",
        "python": {
            "range": ">=3.10",
            "limits": [{"specifier": ">=3.10", "reason": "dep 2.0 requires Python >=3.10"}],
        },
        "settings": {
            "extract": ["dep.templates"],
            "zip_safe": ["other"],
            "prune": False,
            "check_skip": [],
        },
        "build": {
            "tool": f"bundler {bundler.__version__}",
            "python": ".".join(map(str, sys.version_info[:3])),
            "cache_tag": sys.implementation.cache_tag,
            "content_hash": "c" * 64,
        },
        "distributions": ["app-1.0.dist-info", "dep-2.0.dist-info"],
        "files": 17,
        "modules": {
            "app": {"member": "app/__init__.py", "package": True, "kind": "project"},
            "dep": {"member": "dep/__init__.py", "package": True, "kind": "third-party"},
            "dep.fast": {"member": f"dep/fast{SO}", "package": False, "kind": "extension"},
            "ns": {"member": None, "package": True, "kind": "namespace"},
        },
        "extract": [
            {"package": "dep 2.0", "reason": "native code: 1 extension module", "size": 2048}
        ],
        "units": {
            "dep": {
                "distribution": "dep",
                "needs": [],
                "size": 2048,
                "members": [f"dep/fast{SO}"],
            }
        },
        "native": [],
        "resolution": {},
    }


def test_manifest_keys_are_sorted_so_equal_builds_write_equal_bytes() -> None:
    document = _document()

    assert document == (json.dumps(json.loads(document), indent=2, sort_keys=True) + "\n").encode()
    assert document == _document()


def test_manifest_without_extraction_has_empty_tables() -> None:
    document = json.loads(_document(ExtractionPlan()))

    assert (document["extract"], document["units"], document["native"]) == ([], {}, [])
