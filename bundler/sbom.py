"""The SBOM of an archive: a CycloneDX 1.6 JSON document of every distribution it bundles.

CycloneDX rather than SPDX 2.3: its JSON is what PEP 770 and the Python scanners (pip-audit,
syft, trivy) read first, a component carries a ``purl``, hashes and licenses directly (SPDX
needs packages, relationships and a document namespace that must be a unique URI), and its
schema is one file that the tests validate against.

The document is deterministic: the same archive gives the same bytes on every machine. It
has no wall-clock time (``metadata.timestamp`` only from ``SOURCE_DATE_EPOCH``), no path of
the build machine, and a serial number derived from its own content. It is stored in the
archive in the app's own ``.dist-info/sboms/`` (PEP 770), listed in that RECORD.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import bundler
from bundler.config import ProjectMetadata
from bundler.distribution import applies, parse_requirement
from bundler.environment import Distribution, Environment, normalise_name
from bundler.errors import SbomError
from bundler.licenses import license_of
from bundler.plan.payload import Payload, read_file
from bundler.runtime.cache import AtomicFile

__all__ = [
    "SBOM_NAME",
    "Sbom",
    "attach_sbom",
    "check_sbom_path",
    "make_sbom",
    "purl",
    "write_sbom",
]

SBOM_NAME = "bundle.cdx.json"
_SPEC_VERSION = "1.6"
# SPDX identifiers that licenses.py gives for license texts and that projects write in the
# License field: stored as an id; anything else not from License-Expression is a name.
_SPDX_IDS = frozenset(
    (
        "0BSD",
        "Apache-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "CC0-1.0",
        "GPL-2.0",
        "GPL-2.0-only",
        "GPL-2.0-or-later",
        "GPL-3.0",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "ISC",
        "LGPL-2.1",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
        "LGPL-3.0",
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
        "MIT",
        "MIT-0",
        "MPL-2.0",
        "PSF-2.0",
        "Unlicense",
        "Zlib",
    )
)


@dataclass(frozen=True)
class Sbom:
    """The document, as the bytes written to the archive and to ``--sbom FILE``."""

    data: bytes
    components: int
    member: str | None = None  # its place in the archive's payload (None: not stored)
    path: Path | None = None  # where --sbom wrote it


def make_sbom(
    app: Distribution | None,
    app_name: str,
    app_version: str,
    distributions: Iterable[Distribution],
    hashes: Mapping[str, str],
    *,
    markers: Mapping[str, str] | None = None,
    app_requires: Sequence[str] = (),
) -> Sbom:
    """The SBOM of an archive of the app ``app_name`` ``app_version`` (installed as ``app``,
    when it is) bundling ``distributions``; ``hashes`` maps a normalised name to the SHA-256
    of the file pip installed it from (none for local builds). With the target's
    ``markers``, the requirements between them (the app's are ``app_requires``) become
    the document's dependency graph."""
    application: dict[str, Any] = {
        "type": "application",
        "bom-ref": purl(app_name, app_version),
        "name": app_name,
        "version": app_version,
        "purl": purl(app_name, app_version),
    }
    if app is not None:
        application.update(_described(app))
    app_key = normalise_name(app_name)
    bundled = sorted(distributions, key=lambda d: (d.key, d.version))
    libraries = [d for d in bundled if d.key != app_key]
    components = [_component(dist, hashes.get(dist.key)) for dist in libraries]
    document: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": _SPEC_VERSION,
        "version": 1,
        "metadata": _metadata(application),
        "components": components,
    }
    if markers is not None:
        extras = app.provides_extras if app is not None else ()
        nodes = [(application["bom-ref"], tuple(app_requires), extras)]
        nodes += [(purl(d.name, d.version), d.requires, d.provides_extras) for d in libraries]
        document["dependencies"] = _dependencies(nodes, libraries, markers)
    content = _dumps(document)
    # The serial number names this content: a rebuild of the same inputs gives the same.
    serial = uuid.uuid5(uuid.NAMESPACE_URL, "sha256:" + hashlib.sha256(content).hexdigest())
    document = {"serialNumber": f"urn:uuid:{serial}", **document}
    return Sbom(_dumps(document), len(components))


def _dependencies(
    nodes: Iterable[tuple[str, Sequence[str], Sequence[str]]],
    libraries: Iterable[Distribution],
    markers: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Each node's ``dependsOn``: the bundled distributions its requirements name, where
    they apply on the target (with any of its extras, since the archive may carry them)."""
    refs = {dist.key: purl(dist.name, dist.version) for dist in libraries}
    graph = []
    for ref, requires, extras in nodes:
        named = set()
        for text in requires:
            requirement = parse_requirement(text)
            key = normalise_name(requirement.name) if requirement is not None else ""
            if requirement is not None and key in refs and applies(requirement, markers, extras):
                named.add(refs[key])
        graph.append({"ref": ref, "dependsOn": sorted(named - {ref})})
    return graph


def attach_sbom(
    payload: Payload, env: Environment, app: ProjectMetadata, hashes: Mapping[str, str]
) -> tuple[Payload, Sbom]:
    """The payload with the SBOM in the app's own ``.dist-info/sboms/`` (listed in its
    RECORD), and the SBOM; the payload is unchanged when it holds no dist-info of the app."""
    bundled = set(payload.distributions)
    dists = [d for d in env.distributions if d.dist_info.name in bundled]
    installed = next((d for d in dists if d.key == normalise_name(app.name)), None)
    requires = installed.requires if installed is not None else app.dependencies
    markers = env.interpreter.markers
    sbom = make_sbom(
        installed, app.name, app.version, dists, hashes, markers=markers, app_requires=requires
    )
    # The app's dist-info: installed by pip, or written by the build (--no-install, scripts).
    folder = next((f for f in payload.distributions if _named(f) == normalise_name(app.name)), None)
    if folder is None:
        return payload, sbom
    member = f"{folder}/sboms/{SBOM_NAME}"
    files = dict(payload.files)
    files[member] = sbom.data
    record = f"{folder}/RECORD"
    if record in files:
        old = read_file(files[record])
        ending = "\r\n" if old.endswith(b"\r\n") else "\n"
        body = old if not old or old.endswith(b"\n") else old + ending.encode()
        files[record] = body + (record_line(member, sbom.data) + ending).encode()
    return dataclasses.replace(payload, files=files), dataclasses.replace(sbom, member=member)


def _named(folder: str) -> str:
    """The normalised distribution name of a ``name-version.dist-info`` folder."""
    return normalise_name(folder.removesuffix(".dist-info").rpartition("-")[0])


def write_sbom(sbom: Sbom, path: Path) -> Sbom:
    """Write ``sbom`` to ``path`` through a temporary file beside it (never half-written);
    returns it with its path."""
    mask = os.umask(0o022)
    os.umask(mask)
    try:
        with AtomicFile(str(path), 0o666 & ~mask) as stream:
            stream.write(sbom.data)
    except OSError as exc:
        raise SbomError(f"cannot write the SBOM to {path}: {exc.strerror or exc}") from None
    return dataclasses.replace(sbom, path=path)


def check_sbom_path(path: Path) -> None:
    """Fail before the build when ``--sbom`` names a place that cannot be written."""
    if path.is_dir():
        raise SbomError(f"--sbom {path} is a directory: name the file to write")
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".bundle-sbom-"):
            pass
    except OSError as exc:
        raise SbomError(
            f"cannot write the SBOM to {path}: {exc.strerror or exc}; pass --sbom a writable path"
        ) from None


def purl(name: str, version: str) -> str:
    """The package URL of a PyPI distribution: ``pkg:pypi/name@version``, the name
    normalised as the purl spec says for PyPI (lower case, ``-`` for ``_`` and ``.``)."""
    return f"pkg:pypi/{re.sub(r'[-_.]+', '-', name).lower()}@{quote(version, safe='')}"


def record_line(member: str, data: bytes) -> str:
    """The RECORD row of a file ``member`` holding ``data`` (PEP 376: urlsafe base64)."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{member},sha256={digest},{len(data)}"


def _metadata(application: Mapping[str, Any]) -> dict[str, Any]:
    tool = {"type": "application", "name": "bundler", "version": bundler.__version__}
    metadata: dict[str, Any] = {"tools": {"components": [tool]}, "component": application}
    stamp = _timestamp()
    if stamp is not None:
        metadata = {"timestamp": stamp, **metadata}
    return metadata


def _component(dist: Distribution, sha256: str | None) -> dict[str, Any]:
    component: dict[str, Any] = {
        "type": "library",
        "bom-ref": purl(dist.name, dist.version),
        "name": dist.name,
        "version": dist.version,
    }
    component.update(_described(dist))
    if sha256:
        component["hashes"] = [{"alg": "SHA-256", "content": sha256}]
    component["purl"] = purl(dist.name, dist.version)
    return component


def _described(dist: Distribution) -> dict[str, Any]:
    """The description and license of ``dist``, from its core metadata."""
    found: dict[str, Any] = {}
    if dist.summary:
        found["description"] = dist.summary
    metadata = _core_metadata(dist.dist_info)
    text = license_of(metadata) if metadata is not None else None
    if text:
        declared = (metadata.get("License-Expression") or "").strip()
        found["licenses"] = [_license(text, expression=text == declared)]
    return found


def _license(text: str, *, expression: bool) -> dict[str, Any]:
    """An SPDX expression only from ``License-Expression`` (PEP 639 makes it one); a
    known SPDX id as an id; any other text (``BSD``, ``MIT License``) as a name."""
    if expression:
        return {"expression": text}
    if text in _SPDX_IDS:
        return {"license": {"id": text}}
    return {"license": {"name": text}}


def _core_metadata(dist_info: Path) -> Any:
    try:
        data = (dist_info / "METADATA").read_bytes()
    except OSError:
        return None
    return BytesHeaderParser().parsebytes(data)


def _timestamp() -> str | None:
    """``SOURCE_DATE_EPOCH`` as an ISO 8601 time; no wall-clock time ever goes in."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw.isdigit():
        return None  # an invalid value is reported by the archive writer
    moment = datetime.fromtimestamp(int(raw), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dumps(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
