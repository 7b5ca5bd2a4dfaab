"""What ``bundle`` tells the user about a build and about the cache: lines of text, made
from the pipeline's records. The CLI decides where they go."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from bundler.caches.user import AppCacheEntry
from bundler.pipeline import BuildResult
from bundler.staging import Staging

__all__ = ["build_report", "cache_listing", "mib"]


def build_report(result: BuildResult, *, verbose: bool, seconds: float) -> Iterator[str]:
    """The lines that follow a successful build: warnings, what is extracted, a summary."""
    warnings = (
        *result.graph.warnings,
        *result.payload.warnings,
        *result.extraction.warnings,
        *result.archive.warnings,
    )
    for message in warnings:
        yield f"warning: {message}"
    for missing in result.graph.missing:
        if verbose or not missing.optional:
            yield f"warning: {missing.describe()}"
    if verbose:
        for module in result.graph.bundled():
            via = ", ".join(module.importers) or "-"
            yield f"  {module.kind.value:<11} {module.name}  (imported by {via})"
    if verbose and result.payload.unreached:
        unreached = ", ".join(result.payload.unreached)
        yield f"included whole, though no import reaches them: {unreached}"
    if result.payload.pruned:
        yield f"pruned (--prune: nothing imports them): {', '.join(result.payload.pruned)}"
    reasons = result.extraction.reasons
    for extracted in reasons:
        when = "at start" if extracted.at_start else "at first import"
        if verbose or not extracted.dynamic:
            yield f"extracts {when}: {extracted.describe()}"
    by_name = [extracted.name for extracted in reasons if extracted.dynamic]
    if by_name and not verbose:
        yield f"extracts if imported by name: {', '.join(by_name)} (zip-unsafe; -v says why)"
    yield from _python_lines(result, verbose=verbose)
    if result.staging is not None:
        yield _staging_line(result.staging, len(result.environment.distributions))
    archive = result.archive
    yield (
        f"wrote {archive.path} ({archive.size / 1024:.0f} KiB, {archive.modules} modules, "
        f"{len(result.payload.distributions)} distributions) in {seconds:.1f} s"
    )


def cache_listing(entries: Sequence[AppCacheEntry]) -> Iterator[str]:
    """One line per cache entry, oldest use first, then the total."""
    width = max((len(entry.app) for entry in entries), default=0)
    for entry in entries:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.last_used))
        yield (
            f"{entry.app:<{width}}  {entry.build}  {mib(entry.size):>10}  "
            f"last used {used}  {entry.path}"
        )
    total = sum(entry.size for entry in entries)
    yield f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, {mib(total)}"


def mib(size: int) -> str:
    """A size in MiB, one decimal."""
    return f"{size / 1024 / 1024:.1f} MiB"


def _python_lines(result: BuildResult, *, verbose: bool) -> Iterator[str]:
    """The Pythons the archive runs on, when anything limits them, and why (all the
    reasons with -v, else those that exclude most)."""
    pythons = result.pythons
    if not pythons.limits:
        return
    ordered = pythons.decisive()
    shown = ordered if verbose else ordered[:2]
    more = len(ordered) - len(shown)
    reasons = "; ".join(limit.reason for limit in shown)
    tail = f"; and {more} more (-v lists them)" if more else ""
    yield f"runs on Python {pythons.describe()}: {reasons}{tail}"


def _staging_line(staging: Staging, distributions: int) -> str:
    where = staging.site_dir.parent
    if staging.reused:
        return f"reused the cached staging directory (no build, no pip): {where}"
    if not staging.installed:
        return (
            f"built {staging.wheel}; its contents are unchanged, so the cached staging "
            f"directory was reused (no pip): {where}"
        )
    built = f"built {staging.wheel}, " if staging.wheel_built else ""
    plural = "" if distributions == 1 else "s"
    return (
        f"staged {distributions} distribution{plural} ({built}pip install) "
        f"in {staging.seconds:.1f} s"
    )
