"""What ``bundle build --dry-run`` prints: what the build would bundle, extract and prune,
from the plan of every stage but writing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from bundler.pipeline import Plan
from bundler.plan.payload import file_size
from bundler.progress import human_size

__all__ = ["dry_run_lines"]


def dry_run_lines(plan: Plan, output: object) -> Iterator[str]:
    """The lines on stdout: the archive that would be written to ``output``, then each
    distribution, extraction and pruned distribution, then the warnings."""
    info, payload = plan.info, plan.payload
    size = 0
    for source in payload.files.values():
        with contextlib.suppress(OSError):
            size += file_size(source)
    modules = sum(1 for module in plan.graph.bundled())
    yield (
        f"would write {output}: {info.name} {info.version}, entry {info.entry}, "
        f"{modules} modules reached, {len(payload.files)} files ({human_size(size)} "
        "before compression)"
    )
    yield f"would bundle {len(payload.distributions)} distributions:"
    yield from (f"  {dist.removesuffix('.dist-info')}" for dist in payload.distributions)
    if payload.unreached:
        yield f"  of which no import reaches (included whole): {', '.join(payload.unreached)}"
    reasons = plan.extraction.reasons
    yield "would extract at run time:" + ("" if reasons else " nothing")
    yield from (f"  {reason.describe()}" for reason in reasons)
    pruned = payload.pruned
    yield "would prune (--prune):" + (f" {', '.join(pruned)}" if pruned else " nothing")
    yield f"would run on: {plan.pythons.describe()}"
    warnings = (*plan.graph.warnings, *payload.warnings, *plan.extraction.warnings)
    yield from (f"warning: {message}" for message in warnings)
    for miss in plan.graph.missing:
        yield f"warning: {miss.describe()}"
