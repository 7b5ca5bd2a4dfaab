"""What pip left in a staging directory, made fit for an archive, and checked against what
the project needs.

pip records, for a distribution installed from a local file or directory, a
``direct_url.json`` naming it: the project's wheel in the build cache, a path dependency's
checkout. Those are paths of this machine and this build (the cache and temporary
directories), and RECORD keeps the file's hash, so two builds of the same sources would
differ. The file is removed and its RECORD row dropped; the paths it named are returned,
since they are inputs that the cache entry depends on.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from packaging.requirements import Requirement

from bundler.distribution import find_distributions
from bundler.errors import LockError
from bundler.runtime.metadata import normalise_name

__all__ = ["check_locked", "tidy_installed"]

_DIRECT_URL = "direct_url.json"


def tidy_installed(site: Path) -> list[Path]:
    """Remove the ``direct_url.json`` of every distribution pip installed from a local path
    (and its RECORD row); return those paths."""
    local: list[Path] = []
    for dist_info in sorted(site.glob("*.dist-info")):
        direct = dist_info / _DIRECT_URL
        try:
            url = str(json.loads(direct.read_text(encoding="utf-8")).get("url", ""))
        except (OSError, ValueError, AttributeError):
            continue
        if not url.startswith("file:"):
            continue  # an index or VCS URL names nothing of this machine
        local.append(Path(url2pathname(unquote(urlparse(url).path))))
        direct.unlink()
        _drop_record_row(dist_info, f"{dist_info.name}/{_DIRECT_URL}")
    return local


def check_locked(site: Path, needed: Sequence[tuple[Requirement, str]], lock: str) -> None:
    """Raise LockError for the first requirement (with who needs it) that what ``lock``
    installed into ``site`` does not satisfy: with hashes required, nothing outside the
    lock may be resolved."""
    installed = {dist.key: dist for dist in find_distributions([site])}
    for requirement, who in needed:
        dist = installed.get(normalise_name(requirement.name))
        if dist is not None and requirement.specifier.contains(dist.version, prereleases=True):
            continue
        found = f" (it pins {dist.version})" if dist is not None else ""
        raise LockError(
            f"{lock} does not provide {requirement}, which {who} requires{found}: add it to "
            "the lock with its hashes, or build without the lock"
        )


def _drop_record_row(dist_info: Path, member: str) -> None:
    record = dist_info / "RECORD"
    try:
        data = record.read_bytes()
    except OSError:
        return
    kept = []
    for line in data.splitlines(keepends=True):  # pip ends rows with \r\n: kept as they are
        row = next(csv.reader(io.StringIO(line.decode("utf-8", "surrogateescape"))), [])
        if not row or row[0] != member:
            kept.append(line)
    record.write_bytes(b"".join(kept))
