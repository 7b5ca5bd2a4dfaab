"""The human lines of ``bundle inspect``, from the document ``--json`` prints."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bundler.progress import human_size

__all__ = ["inspect_lines"]

_IMPLEMENTATIONS = {"cp": "CPython", "pp": "PyPy"}
# Packages shown by size; the rest are summed on one line.
_PACKAGES_SHOWN = 15


def inspect_lines(document: Mapping[str, Any]) -> Iterator[str]:
    """What ``bundle inspect ARCHIVE`` prints, section by section."""
    app, archive = document["app"], document["archive"]
    size = human_size(archive["size"])
    yield f"{app['name']} {app['version']} ({archive['path']}, {size}, format {archive['format']})"
    yield from _fields(document)
    yield from _distributions(document["distributions"])
    yield from _packages(document["packages"])
    yield from _extracted(document["extracted"])


def _fields(document: Mapping[str, Any]) -> Iterator[str]:
    app, build = document["app"], document["build"]
    fields = {
        "entry point": app["entry"],
        "requires-python": f"{app['requires_python'] or 'any'}"
        + (f" (runs on {app['python_range']})" if app["python_range"] else ""),
        "resolved for": "; ".join(_target(t) for t in document["targets"]),
        "built": build["time"] + f" (SOURCE_DATE_EPOCH={build['source_date_epoch']})"
        if build["time"]
        else "no time recorded (SOURCE_DATE_EPOCH was not set)",
        "content hash": build["content_hash"],
        "built by": f"{build['tool']} on Python {build['python']}",
        "modules": ", ".join(f"{n} {kind}" for kind, n in document["modules"]["by_kind"].items()),
        "SBOM": "stored (bundle inspect --sbom prints it)" if document["sbom"] else "none",
    }
    if not document["archive"]["format_known"]:
        fields["note"] = f"archive format {document['archive']['format']}: another bundler wrote it"
    for key, value in fields.items():
        yield f"  {key:<16} {value}"


def _target(target: Mapping[str, Any]) -> str:
    """``CPython 3.11.7 (cp311, manylinux_2_28_x86_64)``, named when the archive has several."""
    implementation = _IMPLEMENTATIONS.get(str(target.get("implementation")), "Python")
    version = target.get("python_full") or target.get("python")
    tags = ", ".join(str(target[key]) for key in ("abi", "platform") if target.get(key))
    name = target.get("name")
    head = f"{name}: " if name and name != "build" else ""
    return f"{head}{implementation} {version}" + (f" ({tags})" if tags else "")


def _distributions(found: list[Mapping[str, Any]]) -> Iterator[str]:
    yield f"distributions ({len(found)}):"
    width = max((len(f"{d['name']} {d['version']}") for d in found), default=0)
    for dist in found:
        title = f"{dist['name']} {dist['version']}"
        yield f"  {title:<{width}}  {human_size(dist['size']):>9}  {dist['license'] or '-'}"


def _packages(found: list[Mapping[str, Any]]) -> Iterator[str]:
    yield "size by package (largest first):"
    width = max((len(p["name"]) for p in found[:_PACKAGES_SHOWN]), default=0)
    for package in found[:_PACKAGES_SHOWN]:
        owners = ", ".join(package["distributions"]) or "the project"
        yield f"  {package['name']:<{width}}  {human_size(package['size']):>9}  ({owners})"
    rest = found[_PACKAGES_SHOWN:]
    if rest:
        size = human_size(sum(p["size"] for p in rest))
        yield f"  ... {len(rest)} more, {size} in all (--json lists them)"


def _extracted(found: list[Mapping[str, Any]]) -> Iterator[str]:
    if not found:
        yield "extracted at run time: nothing (everything is imported from the archive)"
        return
    yield "extracted at run time:"
    for item in found:
        forced = "; forced by extract" if item["forced"] and "extract" not in item["reason"] else ""
        yield f"  {item['package']}: {item['reason']}{forced} ({human_size(item['size'] or 0)})"
