"""What ``bundle inspect --json`` prints (schema ``docs/schema/inspect-1.json``), and what
``bundle build --report`` writes: the facts of an archive, gathered from its manifest and
its payload."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from bundler.documents import document_head
from bundler.inspection.reading import ArchiveView, name_version
from bundler.licenses import license_of
from bundler.runtime import FORMAT_VERSION

__all__ = ["distribution_of", "inspect_document"]

# Payload directories that hold no package: metadata, scripts, data beside sys.prefix.
_METADATA_SUFFIXES = (".dist-info", ".data", ".egg-info")


def inspect_document(view: ArchiveView) -> dict[str, Any]:
    """The facts of ``view``'s archive, for machines (``--json``) and for ``show``."""
    manifest = view.manifest
    app = manifest.get("app", {})
    build = manifest.get("build", {})
    python = manifest.get("python", {})
    return {
        **document_head("inspect", ok=True),
        "archive": {
            "path": str(view.path.absolute()),
            "size": view.size,
            "format": view.format,
            "format_known": view.format == FORMAT_VERSION,
        },
        "app": {
            "name": app.get("name"),
            "version": app.get("version"),
            "entry": manifest.get("entry"),
            "requires_python": manifest.get("requires_python"),
            "python_range": python.get("range"),
        },
        "targets": _targets(manifest),
        "build": {
            "tool": build.get("tool"),
            "python": build.get("python"),
            "cache_tag": build.get("cache_tag"),
            "content_hash": build.get("content_hash"),
            "source_date_epoch": view.built_at,
            "time": None
            if view.built_at is None
            else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(view.built_at)),
        },
        "distributions": _distributions(view),
        "packages": _packages(view),
        "modules": _module_counts(manifest),
        "extracted": _extracted(manifest),
        "missing_imports": [
            {"module": name, "importer": importer, "line": line, "optional": optional}
            for name, importer, line, optional in manifest.get("resolution", {}).get("missing", [])
        ],
        "sbom": view.sbom is not None,
    }


def distribution_of(view: ArchiveView) -> dict[str, str]:
    """Payload member -> the dist-info directory whose RECORD lists it (or lists the
    source of bytecode the build stored in ``__pycache__``)."""
    owners = {member: dist for dist, files in view.records.items() for member in files}
    for member in view.files:
        directory, _, name = f"/{member}".rpartition("/__pycache__/")
        if name.endswith(".pyc") and member not in owners:
            source = f"{directory}/{name.split('.')[0]}.py".lstrip("/")
            if source in owners:
                owners[member] = owners[source]
    return owners


def _targets(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The environments the dependencies were resolved for: the manifest's ``targets``
    (archives for several targets), else the build's own interpreter."""
    targets = manifest.get("targets")
    if isinstance(targets, list) and targets:
        return [dict(target) for target in targets if isinstance(target, dict)]
    build = manifest.get("build", {})
    tag = str(build.get("cache_tag") or "")
    implementation, _, version = tag.partition("-")
    short = {"cpython": "cp", "pypy": "pp"}.get(implementation, implementation)
    full = str(build.get("python") or "")
    return [
        {
            "name": "build",
            "python": ".".join(full.split(".")[:2]) or None,
            "python_full": full or None,
            "implementation": short or None,
            "abi": f"{short}{version}" if short and version else None,
            "platform": None,
            "distributions": [name_version(d)[0] for d in manifest.get("distributions", [])],
        }
    ]


def _distributions(view: ArchiveView) -> list[dict[str, Any]]:
    found = []
    members: dict[str, list[str]] = defaultdict(list)
    for member, owner in distribution_of(view).items():
        if member in view.files:
            members[owner].append(member)
    for dist in view.manifest.get("distributions", []):
        version = name_version(dist)[1]
        metadata = view.metadata.get(dist)
        files = members[dist]
        found.append(
            {
                "name": _display_name(view, dist),
                "version": (metadata.get("Version") if metadata else None) or version,
                "license": license_of(metadata) if metadata is not None else None,
                "size": sum(view.files[m] for m in files),
                "files": len(files),
                "requires": list(metadata.get_all("Requires-Dist") or []) if metadata else [],
            }
        )
    return found


def _display_name(view: ArchiveView, dist_info: str) -> str:
    """The distribution's name as its metadata spells it (``nsplug-core``)."""
    metadata = view.metadata.get(dist_info)
    return (metadata.get("Name") if metadata else None) or name_version(dist_info)[0]


def _packages(view: ArchiveView) -> list[dict[str, Any]]:
    """Size by top-level package (or module), largest first, with the distribution that
    owns it; metadata directories count in their distribution's size only."""
    sizes: dict[str, int] = defaultdict(int)
    owners: dict[str, set[str]] = defaultdict(set)
    owner_of = distribution_of(view)
    for member, size in view.files.items():
        parts = member.split("/")
        top = parts[0]
        if len(parts) == 1 or parts[:1] == ["__pycache__"]:
            # six.py, __pycache__/six.cpython-311.pyc, _cffi.cpython-311-x86_64-linux-gnu.so
            top = parts[-1].split(".")[0]
        elif top.endswith(_METADATA_SUFFIXES):
            continue
        sizes[top] += size
        if member in owner_of:
            owners[top].add(_display_name(view, owner_of[member]))
    ranked = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))
    return [
        {"name": name, "size": size, "distributions": sorted(owners[name])} for name, size in ranked
    ]


def _module_counts(manifest: Mapping[str, Any]) -> dict[str, Any]:
    kinds: dict[str, int] = defaultdict(int)
    for record in manifest.get("modules", {}).values():
        kinds[str(record.get("kind", "unknown"))] += 1
    return {"total": sum(kinds.values()), "by_kind": dict(sorted(kinds.items()))}


def _extracted(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the runtime extracts, and why: native code, zip-unsafe code (file:line), or
    the build's --extract (``forced``)."""
    forced = set(manifest.get("settings", {}).get("extract", []))
    return [
        {
            "package": item.get("package"),
            "reason": item.get("reason"),
            "size": item.get("size"),
            "forced": item.get("package") in forced,
        }
        for item in manifest.get("extract", [])
    ]
