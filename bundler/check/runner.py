"""Run ``bundle check``: import every module of the archive in a fresh process of each
interpreter (probe.py), and with arguments run the app under the audit hook (audit.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import bundler.check.audit as audit
import bundler.check.probe as probe
from bundler.check.outcome import Finding, classify_failure, other_platform_modules
from bundler.check.pythons import Python
from bundler.inspection.facts import distribution_of
from bundler.inspection.reading import ArchiveView
from bundler.resolve.stdlib_versions import AVAILABILITY

__all__ = ["PythonRun", "import_order", "run_app", "run_imports"]

# Seconds one interpreter may take to import every module, or the app to run.
TIMEOUT = 600
_PROBE = Path(probe.__file__).read_text(encoding="utf-8")
_AUDIT = Path(audit.__file__).read_text(encoding="utf-8")
# Modules that change the import system of the whole process when imported.
_PROCESS_HOOKS = {
    "_distutils_hack": "setuptools' start-up hook: importing it replaces distutils process-wide"
}
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


@dataclass(frozen=True)
class PythonRun:
    """What one interpreter found: modules imported, and each finding."""

    python: Python
    imported: int
    findings: tuple[Finding, ...]


def import_order(view: ArchiveView, skip: Iterable[str]) -> tuple[list[str], list[Finding]]:
    """The modules to import, in name order, and those skipped: check-skip and --skip;
    ``__main__`` modules, which run a program when imported (the entry module is kept);
    names no import statement can spell (pip's ``__pip-runner__``: a script); and
    setuptools' start-up hook, which would replace distutils for every later import."""
    entry = str(view.manifest.get("entry", "")).partition(":")[0]
    patterns = tuple(skip)
    wanted, skipped = [], []
    for name in sorted(view.manifest.get("modules", {})):
        last = name.rpartition(".")[2]
        if any(name == p or name.startswith(p + ".") for p in patterns):
            skipped.append(Finding(name, "skipped", "named by check-skip or --skip"))
        elif last == "__main__" and name != entry:
            skipped.append(Finding(name, "skipped", "a __main__ module runs its program"))
        elif not all(part.isidentifier() for part in name.split(".")):
            skipped.append(Finding(name, "skipped", "not a name import can spell: a script"))
        elif name.partition(".")[0] in _PROCESS_HOOKS:
            skipped.append(Finding(name, "skipped", _PROCESS_HOOKS[name.partition(".")[0]]))
        else:
            wanted.append(name)
    return wanted, skipped


def run_imports(view: ArchiveView, python: Python, modules: Sequence[str]) -> PythonRun:
    """Import ``modules`` from the archive with ``python``; a crash or a hang at one module
    is that module's failure, and the others are imported in a new process."""
    findings: list[Finding] = []
    imported = 0
    remaining = list(modules)
    bundled = view.manifest.get("modules", {})
    owners = _owners(view)
    while remaining:
        records, stopped = _probe(view.path, python, remaining)
        done: set[str] = set()
        for record in records:
            if record[0] == "start":
                continue
            done.add(record[1])
            if record[0] == "ok":
                imported += 1
            else:
                findings.append(classify_failure(record[1], record[2:], bundled, owners))
        started = [r[1] for r in records if r[0] == "start"]
        cut = started[-1] if started and started[-1] not in done else None
        if cut is None:
            if stopped and not done:  # the archive would not start at all
                findings.append(Finding("<archive>", "failure", stopped))
            break
        findings.append(Finding(cut, "failure" if "timed" not in stopped else "timeout", stopped))
        remaining = remaining[remaining.index(cut) + 1 :]
    return PythonRun(python, imported, tuple(findings))


def _owners(view: ArchiveView) -> dict[str, Message]:
    """Each bundled module -> the metadata of the distribution that holds it."""
    dist_of = distribution_of(view)
    owners = {}
    for name, record in view.manifest.get("modules", {}).items():
        dist = dist_of.get(record.get("member") or "")
        if dist is not None and dist in view.metadata:
            owners[name] = view.metadata[dist]
    return owners


def _probe(archive: Path, python: Python, modules: Sequence[str]) -> tuple[list[list[str]], str]:
    """The child's reports, and why it stopped early ("" when it did not)."""
    command = [python.path, "-I", "-c", _PROBE, str(archive.absolute())]
    try:
        done = subprocess.run(
            command,
            input=json.dumps(list(modules)),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        stdout, stderr, status = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        stderr, status = "", None
    records = [json.loads(line) for line in stdout.splitlines() if line.startswith("[")]
    if status is None:
        return records, f"timed out after {TIMEOUT} s while importing it"
    if status == 0:
        return records, ""
    last = (stderr.strip().splitlines() or [f"exit status {status}"])[-1]
    how = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
    return records, f"the interpreter stopped ({how}): {last}"


def run_app(view: ArchiveView, python: Python, args: Sequence[str]) -> list[Finding]:
    """Run the app with ``args`` under the audit hook; what it did inside the archive's
    path, the imports that failed (but those the build knew to be optional or of another
    Python or platform), and a non-zero exit."""
    with tempfile.TemporaryDirectory(prefix="bundle-check-") as scratch:
        report = Path(scratch, "report")
        report.touch()
        command = [python.path, "-I", "-c", _AUDIT, str(report), str(view.path.absolute())]
        try:
            done = subprocess.run(
                [*command, *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
                env=os.environ.copy(),
            )
        except subprocess.TimeoutExpired:
            return [Finding("<app>", "timeout", f"the app ran longer than {TIMEOUT} s")]
        lines = report.read_text(encoding="utf-8").splitlines()
    findings = list(_audit_findings(view, (json.loads(line) for line in lines)))
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        findings.append(Finding("<app>", "exit", f"exited with status {done.returncode}: {last}"))
    return findings


def _audit_findings(view: ArchiveView, records: Iterable[list[str]]) -> Iterator[Finding]:
    bundled = view.manifest.get("modules", {})
    tops = {name.partition(".")[0] for name in bundled}
    missing = view.manifest.get("resolution", {}).get("missing", [])
    optional = {m[0] for m in missing if m[3]}
    ignored = _STDLIB | set(AVAILABILITY) | other_platform_modules()
    seen = set()
    for record in records:
        if record[0] == "file":
            event, path, member, line = record[1:]
            reason = (
                f"{event} of {path} inside the archive's path: a zip-unsafe use the build "
                "missed (extract it with --extract, or read it through importlib.resources)"
            )
            finding = Finding(_module_of(member), "file", reason, member, int(line))
        else:
            name, member, line = record[1:]
            top = name.partition(".")[0]
            if name in optional or top in tops or top in ignored:
                continue
            reason = f"import of '{name}' failed while the app ran"
            finding = Finding(_module_of(member), "import", reason, member, int(line))
        if finding not in seen:
            seen.add(finding)
            yield finding


def _module_of(member: str) -> str:
    stem = member[: -len(".py")] if member.endswith(".py") else member
    parts = stem.split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
