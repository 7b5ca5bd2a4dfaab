"""``bundle inspect``: what it prints for each question asked of an archive."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, TextIO

from bundler.errors import AbsentError, OutputError
from bundler.inspection.facts import inspect_document
from bundler.inspection.reading import read_archive
from bundler.inspection.show import inspect_lines
from bundler.inspection.why import explain, why_document

__all__ = ["NO_SBOM", "run_inspect", "write_report"]

NO_SBOM = "this archive holds no SBOM (an older bundler built it); rebuild it to store one"


def run_inspect(
    archive: Path, out: TextIO, *, why: str | None = None, sbom: bool = False, as_json: bool = False
) -> int:
    """Print what ``archive`` holds (or the chain behind ``why``, or its SBOM) on ``out``;
    returns the exit status. Errors are BundleErrors, one line each."""
    view = read_archive(archive)
    if sbom:
        if view.sbom is None:
            raise AbsentError(NO_SBOM)
        out.write(view.sbom.decode("utf-8", "replace"))
        return 0
    if why is None:
        document = inspect_document(view)
        lines = list(inspect_lines(document))
    else:
        chain = explain(view, why)
        document = {**inspect_document(view), "why": why_document(chain)}
        lines = [f"{why} is in {view.path.name}:"] + [f"  {link.describe()}" for link in chain]
    if as_json:
        out.write(_json(document))
    else:
        out.write("".join(f"{line}\n" for line in lines))
    return 0


def write_report(archive: Path, report: Path) -> None:
    """Write what ``bundle inspect --json`` says of ``archive`` to ``report`` (``bundle
    build --report``), whole or not at all."""
    text = _json(inspect_document(read_archive(archive)))
    temporary = report.with_name(f".{report.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, report)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise OutputError(f"cannot write the report {report}: {exc.strerror or exc}") from None


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
