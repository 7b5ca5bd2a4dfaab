"""What ``bundle`` tells the user about a build and about the caches: lines of text, made
from the pipeline's records. The CLI decides where they go; lines that start with
``warning: `` are warnings."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from bundler.buildtargets import target_name
from bundler.caches.user import CacheEntry, Removal
from bundler.misses import MissGroup, group_misses
from bundler.pipeline import BuildResult
from bundler.progress import human_size
from bundler.resolve import MissingImport
from bundler.staging import Staging

__all__ = [
    "build_report",
    "cache_listing",
    "file_sha256",
    "human_size",
    "plural",
    "removal_lines",
]

# Names of missing modules shown on a distribution's line before "and N more".
_NAMED = 6
# Required misses of one distribution shown one per line; more are counted on one line.
_LISTED = 3
SILENCE_HINT = (
    "hint: to silence a miss the app never needs, add it to ignore-missing in [tool.bundle] "
    "(or pass --ignore-missing MODULE); -v lists where each import is"
)


def build_report(
    result: BuildResult, *, verbose: bool, seconds: float, sha256: str
) -> Iterator[str]:
    """The lines that follow a successful build: warnings, what is missing (grouped by
    distribution), what is left out or extracted and why, the Pythons it runs on, and a
    summary with the archive's hash."""
    warnings = (
        *result.graph.warnings,
        *result.payload.warnings,
        *result.extraction.warnings,
        *result.archive.warnings,
    )
    for message in warnings:
        yield f"warning: {message}"
    yield from _misses(result, verbose)
    if verbose:
        for module in result.graph.bundled():
            via = ", ".join(module.importers) or "-"
            yield f"  {module.kind.value:<11} {module.name}  (imported by {via})"
    yield from _scope_lines(result, verbose=verbose)
    yield from _extraction_lines(result, verbose=verbose)
    yield from _python_lines(result, verbose=verbose)
    if result.staging is not None:
        yield _staging_line(result.staging, len(result.environment.distributions))
    archive = result.archive
    counts = (
        f"{human_size(archive.size)}, {plural(archive.modules, 'module')}, "
        f"{plural(len(result.payload.distributions), 'distribution')}, sha256 {sha256[:16]}"
    )
    yield f"wrote {archive.path} ({counts}) in {seconds:.1f} s"


def _scope_lines(result: BuildResult, *, verbose: bool) -> Iterator[str]:
    """Distributions that went in though nothing imports them (-v), and those --prune left out."""
    if verbose and result.payload.unreached:
        unreached = ", ".join(result.payload.unreached)
        yield f"included whole, though no import reaches them: {unreached}"
    if result.payload.pruned:
        yield f"pruned (--prune: nothing imports them): {', '.join(result.payload.pruned)}"


def _extraction_lines(result: BuildResult, *, verbose: bool) -> Iterator[str]:
    reasons = result.extraction.reasons
    for extracted in reasons:
        when = "at start" if extracted.at_start else "at first import"
        if verbose or not extracted.dynamic:
            yield f"extracts {when}: {extracted.describe()}"
    by_name = [extracted.name for extracted in reasons if extracted.dynamic]
    if by_name and not verbose:
        yield f"extracts if imported by name: {', '.join(by_name)} (zip-unsafe; -v says why)"


def cache_listing(entries: Sequence[CacheEntry]) -> Iterator[str]:
    """One line per cache entry (area, what it is, size, last use, path), then the total."""
    width = max((len(entry.label) for entry in entries), default=0)
    for entry in entries:
        yield (
            f"{entry.area:<8}  {entry.label:<{width}}  {human_size(entry.size):>10}  "
            f"last used {_date(entry.last_used)}  {entry.path}"
        )
    total = sum(entry.size for entry in entries)
    yield f"{plural(len(entries), 'entry', 'entries')}, {human_size(total)} ({total:,} bytes)"


def removal_lines(removal: Removal, *, verbose: bool) -> Iterator[str]:
    """What a prune or clear removed (each entry with ``verbose``), what it kept in use."""
    if verbose:
        for entry in removal.removed:
            yield f"removed {entry.path} ({human_size(entry.size)})"
    for entry in removal.busy:
        yield f"kept {entry.path}: a running build is using it"
    count = plural(len(removal.removed), "cache entry", "cache entries")
    yield f"removed {count}, {human_size(removal.size)} ({removal.size:,} bytes)"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, as ``sha256sum`` prints it."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 module``, ``2 modules``."""
    return f"{count} {singular if count == 1 else many or singular + 's'}"


def _misses(result: BuildResult, verbose: bool) -> Iterator[str]:
    graph, env = result.graph, result.environment
    required = group_misses(graph, env, optional=False)
    optional = group_misses(graph, env, optional=True)
    for group in required:
        if verbose or len(group.misses) <= _LISTED:
            yield from (f"warning: {_owner(group)}{_one(miss, group)}" for miss in group.misses)
        else:
            yield f"warning: {_owner(group)}{_counted(group, 'import', '(-v lists where)')}"
    for group in optional:
        if verbose:
            yield from (f"{_owner(group)}{_one(miss, group)}" for miss in group.misses)
        else:
            yield f"{_owner(group)}{_counted(group, 'optional import', '(the code runs without)')}"
    if required or optional:
        yield SILENCE_HINT


def _owner(group: MissGroup) -> str:
    return f"{group.owner}: " if group.owner else ""


def _one(miss: MissingImport, group: MissGroup) -> str:
    extra = group.extra_for(miss.name)
    return miss.describe() + (f"; the extra {extra} provides it" if extra else "")


def _counted(group: MissGroup, what: str, note: str) -> str:
    names = []
    for miss in group.misses[:_NAMED]:
        extra = group.extra_for(miss.name)
        names.append(f"{miss.name} (from {extra})" if extra else miss.name)
    more = len(group.misses) - _NAMED
    listed = ", ".join(names) + (f" and {more} more" if more > 0 else "")
    return f"{plural(len(group.misses), what)} not found {note}: {listed}"


def _date(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _python_lines(result: BuildResult, *, verbose: bool) -> Iterator[str]:
    """The Pythons the archive runs on, when anything limits them, and why (all the
    reasons with -v, else those that exclude most)."""
    if result.targets:
        yield _targets_line(result)
        return
    pythons = result.pythons
    if not pythons.limits:
        return
    ordered = pythons.decisive()
    shown = ordered if verbose else ordered[:2]
    more = len(ordered) - len(shown)
    reasons = "; ".join(limit.reason for limit in shown)
    tail = f"; and {more} more (-v lists them)" if more else ""
    yield f"runs on Python {pythons.describe()}: {reasons}{tail}"


def _targets_line(result: BuildResult) -> str:
    """The targets of an archive built for several: each chosen at start by the Python
    and platform it runs on."""
    names = [target_name(build.interpreter) for build in result.targets]
    return f"holds {len(names)} targets, one chosen at start: {', '.join(names)}"


def _staging_line(staging: Staging, distributions: int) -> str:
    where = staging.site_dir.parent
    if staging.reused:
        return f"reused the cached staging directory (no build, no {staging.installer}): {where}"
    if not staging.installed:
        return (
            f"built {staging.wheel}; its contents are unchanged, so the cached staging "
            f"directory was reused (no {staging.installer}): {where}"
        )
    built = f"built {staging.wheel}, " if staging.wheel_built else ""
    return (
        f"staged {plural(distributions, 'distribution')} ({built}{staging.installer} install) "
        f"in {staging.seconds:.1f} s"
    )
