"""``bundle check``: choose the interpreters, import everything on each, run the app if
asked, and say what was found: one line per problem, exit 0 when there is none."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from bundler.check.outcome import Finding
from bundler.check.pythons import choose_pythons
from bundler.check.runner import PythonRun, import_order, run_app, run_imports
from bundler.documents import document_head
from bundler.inspection.reading import read_archive

__all__ = ["check_lines", "run_check"]


def run_check(
    archive: Path,
    out: TextIO,
    *,
    pythons: Sequence[str] = (),
    skip: Sequence[str] = (),
    app_args: Sequence[str] | None = None,
    as_json: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> int:
    """Check ``archive``; print the findings on ``out``; 1 if any is a problem, else 0."""
    view = read_archive(archive)
    manifest = view.manifest
    limits = [limit.get("specifier", "") for limit in manifest.get("python", {}).get("limits", [])]
    targets = manifest.get("targets") or []
    minors = [str(t.get("python")) for t in targets] if len(targets) > 1 else []
    chosen = choose_pythons(pythons, [manifest.get("requires_python") or "", *limits], minors)
    configured = manifest.get("settings", {}).get("check_skip", [])
    modules, skipped = import_order(view, [*configured, *skip])
    runs = []
    for python in chosen:
        progress(f"importing {len(modules)} modules with {python.describe()} ({python.path})")
        run = run_imports(view, python, modules)
        if app_args is not None:
            progress(f"running the app with {python.describe()} under the audit hook")
            run = PythonRun(
                run.python, run.imported, (*run.findings, *run_app(view, python, app_args))
            )
        runs.append(run)
    groups = _grouped(runs)
    problems = sum(1 for finding in groups if finding.problem)
    if as_json:
        document = _document(archive, runs, groups, skipped, len(modules))
        out.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    else:
        out.writelines(f"{line}\n" for line in check_lines(runs, groups, skipped, len(modules)))
    return 1 if problems else 0


def check_lines(
    runs: Sequence[PythonRun],
    groups: dict[Finding, list[str]],
    skipped: Sequence[Finding],
    total: int,
) -> Iterator[str]:
    """The human report: each Python's count, what is listed but fine, one line per problem."""
    everyone = len(runs)
    for run in runs:
        python = f"{run.python.describe()} ({run.python.path})"
        yield f"{python}: {run.imported} of {total} modules imported"
    for finding in skipped:
        yield f"skipped: {finding.describe()}"
    for finding, versions in groups.items():
        on = (
            "every Python checked" if len(versions) == everyone else "Python " + ", ".join(versions)
        )
        label = "problem" if finding.problem else _LABELS.get(finding.kind, finding.kind)
        yield f"{label}: {finding.describe()} (on {on})"
    problems = sum(1 for finding in groups if finding.problem)
    yield f"{problems} problem{'s' * (problems != 1)}" if problems else "no problems"


_LABELS = {
    "extra": "needs an extra",
    "platform": "another platform",
    "integration": "integration",
    "unavailable": "unavailable here",
}


def _grouped(runs: Sequence[PythonRun]) -> dict[Finding, list[str]]:
    """Each finding once (the same module failing at the same place on several Pythons is
    one, with the first wording), with the versions it was found on; problems last."""
    first: dict[tuple[str, str, str | None, int], Finding] = {}
    groups: dict[Finding, list[str]] = {}
    for run in runs:
        for finding in run.findings:
            key = (finding.module, finding.kind, finding.member, finding.line)
            shown = first.setdefault(key, finding)
            groups.setdefault(shown, []).append(run.python.version)
    return dict(sorted(groups.items(), key=lambda item: (item[0].problem, item[0].module)))


def _document(
    archive: Path,
    runs: Sequence[PythonRun],
    groups: dict[Finding, list[str]],
    skipped: Sequence[Finding],
    total: int,
) -> dict[str, Any]:
    problems = [finding for finding in groups if finding.problem]
    return {
        **document_head("check", ok=not problems),
        "archive": str(archive.absolute()),
        "modules": total,
        "pythons": [
            {"path": run.python.path, "version": run.python.version, "imported": run.imported}
            for run in runs
        ],
        "findings": [
            {
                "module": finding.module,
                "kind": finding.kind,
                "problem": finding.problem,
                "reason": finding.reason,
                "file": finding.member,
                "line": finding.line,
                "pythons": versions,
                "message": finding.describe(),
            }
            for finding, versions in groups.items()
        ],
        "skipped": [{"module": f.module, "reason": f.reason} for f in skipped],
        "problems": len(problems),
    }
