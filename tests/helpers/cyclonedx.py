"""Validate CycloneDX documents against the format's own published JSON schema (1.6),
vendored in tests/fixtures/cyclonedx with the two schemas it references."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

__all__ = ["cyclonedx_errors"]

SCHEMAS = Path(__file__).resolve().parent.parent / "fixtures" / "cyclonedx"


@cache
def _validator() -> jsonschema.Draft7Validator:
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        # bom-1.6 refers to the others by a name relative to its $id.
        resources.append((path.name, resource))
        if "$id" in contents:
            resources.append((contents["$id"], resource))
    schema = json.loads((SCHEMAS / "bom-1.6.schema.json").read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resources(resources)
    return jsonschema.Draft7Validator(
        schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def cyclonedx_errors(document: Any) -> list[str]:
    """What the schema finds wrong with ``document`` (empty: a valid CycloneDX 1.6 BOM)."""
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(document)]
