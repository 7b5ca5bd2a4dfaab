"""Imports the build could not find, grouped by the distribution whose code makes them,
with the extra that provides each one when the distribution's metadata says so.

A distribution's ``Requires-Dist: PySocks; extra == "socks"`` says that ``pip install
'httpie[socks]'`` brings what ``import socks`` needs, so the report can say what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from bundler.environment import Distribution, Environment, normalise_name
from bundler.resolve import Graph, MissingImport

__all__ = ["MissGroup", "group_misses", "is_ignored"]

_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class MissGroup:
    """The misses of one distribution (``owner`` None: code of no installed distribution)."""

    owner: str | None  # "httpie 3.2.4"
    misses: tuple[MissingImport, ...]
    extras: tuple[tuple[str, str], ...]  # (module, "httpie[socks]") where metadata says

    def extra_for(self, module: str) -> str | None:
        """The ``dist[extra]`` that provides ``module``, if the metadata says."""
        return dict(self.extras).get(module)


def group_misses(graph: Graph, env: Environment, *, optional: bool) -> list[MissGroup]:
    """The optional (or the required) misses of ``graph`` by distribution, in name order;
    the code of no distribution (a project that is not installed) comes first."""
    by_owner: dict[str | None, list[MissingImport]] = {}
    dists: dict[str | None, Distribution | None] = {None: None}
    for miss in graph.missing:
        if miss.optional != optional:
            continue
        module = graph.modules.get(miss.importer)
        dist = env.owner_of(module.path) if module is not None and module.path else None
        owner = f"{dist.name} {dist.version}" if dist is not None else None
        dists[owner] = dist
        by_owner.setdefault(owner, []).append(miss)
    groups = []
    for owner in sorted(by_owner, key=lambda name: (name is not None, (name or "").lower())):
        misses = tuple(by_owner[owner])
        dist = dists[owner]
        extras = _extras(dist, misses) if dist is not None else ()
        groups.append(MissGroup(owner, misses, extras))
    return groups


def is_ignored(name: str, ignored: Iterable[str]) -> bool:
    """Whether the miss ``name`` is one the configuration says to leave unreported."""
    return any(name == item or name.startswith(item + ".") for item in ignored)


def _extras(dist: Distribution, misses: Sequence[MissingImport]) -> tuple[tuple[str, str], ...]:
    provided: dict[str, str] = {}
    for line in dist.requires:
        match = _EXTRA.search(line)
        if match is None:
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        for name in _module_names(requirement.name):
            provided.setdefault(name, f"{dist.name}[{match.group(1)}]")
    found = []
    for miss in misses:
        top = normalise_name(miss.name.split(".")[0])
        if top in provided:
            found.append((miss.name, provided[top]))
    return tuple(found)


def _module_names(distribution: str) -> set[str]:
    """The module names a distribution is likely to provide, normalised: ``PyYAML`` gives
    ``yaml``, ``python-dateutil`` gives ``dateutil``, ``PySocks`` gives ``socks``."""
    name = normalise_name(distribution)
    names = {name}
    for prefix in ("py", "python_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            names.add(name[len(prefix) :])
    for suffix in ("_python", "_py"):
        if name.endswith(suffix):
            names.add(name[: -len(suffix)])
    return names
