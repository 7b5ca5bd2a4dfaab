"""One layout of a staging directory, whichever installer filled it.

pip and uv install the same files from the same wheels, but each leaves its own traces:
its name in ``INSTALLER``, ``REQUESTED`` on different distributions, uv's
``uv_cache.json`` (its ``.lock`` stays in the prefix, ``bundler.staging.uv``), launchers
of the console scripts written from each installer's own template (with this machine's
interpreter in their first line), and RECORD rows in its own order. An archive is made
from the staging directory, so these would make two archives of the same wheels differ.
Here they go: the launchers (an archive runs entry points itself; a wheel's own scripts
stay), ``REQUESTED`` and uv's files; ``INSTALLER`` says ``bundler``, which installs the
distributions into the archive (as the project's own dist-info does); RECORD keeps the
rows of the files that remain, sorted, with true hashes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
from pathlib import Path

from bundler.distribution import find_distributions

__all__ = ["INSTALLER_NAME", "canonical_layout"]

INSTALLER_NAME = "bundler"
# Files an installer writes about itself or its run, not about the distribution.
_TRACES = frozenset({"REQUESTED", "uv_cache.json"})
# What a console script's launcher is called on each kind of system.
_LAUNCHER_FORMS = ("{}", "{}.exe", "{}-script.py", "{}-script.pyw")
_SCRIPTS = ("bin", "Scripts")  # where installers put scripts, beside the packages


def canonical_layout(site: Path) -> None:
    """Remove the installer's traces from the distributions in ``site`` and rewrite their
    INSTALLER and RECORD as described above."""
    for dist in find_distributions([site]):
        launchers = {form.format(name) for name in dist.scripts for form in _LAUNCHER_FORMS}
        _rewrite(site, dist.dist_info, launchers)
    for name in _SCRIPTS:
        scripts = site / name
        if scripts.is_dir() and not any(scripts.iterdir()):
            scripts.rmdir()


def _rewrite(site: Path, dist_info: Path, launchers: set[str]) -> None:
    record = dist_info / "RECORD"
    try:
        rows = list(csv.reader(io.StringIO(record.read_text(encoding="utf-8"))))
    except (OSError, UnicodeDecodeError):
        return
    own = {f"{dist_info.name}/{name}" for name in (*_TRACES, "INSTALLER", "RECORD")}
    kept: list[list[str]] = []
    for row in rows:
        if not row or row[0] in own:
            continue
        parts = [part for part in row[0].split("/") if part != ".."]
        if row[0].startswith("../") and parts[0] in _SCRIPTS and parts[-1] in launchers:
            _remove(site.joinpath(*parts))
            continue
        kept.append(row)
    for name in _TRACES:
        _remove(dist_info / name)
    installer = f"{INSTALLER_NAME}\n".encode()
    _replace(dist_info / "INSTALLER", installer)
    kept.append([f"{dist_info.name}/INSTALLER", _record_hash(installer), str(len(installer))])
    kept.append([f"{dist_info.name}/RECORD", "", ""])
    text = io.StringIO()
    kept.sort(key=lambda row: row[0])
    csv.writer(text, lineterminator="\n").writerows(kept)
    _replace(record, text.getvalue().encode("utf-8"))


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` as a new file: an installer may have hard-linked the old one to its
    own cache, which must not change."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _remove(path: Path) -> None:
    if path.is_file() or path.is_symlink():
        path.unlink()
