"""Which distributions go into the archive, and the files of each.

Correct by default: every distribution pip installed for the target goes in whole
(``Scope.ALL``), because code can import a module through a string the resolver cannot
read, a plugin registry or a checker it never reached. Without an install (``--no-install``)
the environment holds much more than the app, so the distributions the resolver reached go
in with their declared dependencies, recursively, markers evaluated for the target
(``Scope.DECLARED``). ``--prune`` keeps only the distributions the resolver reached
(``Scope.REACHED``) and says what it drops.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bundler.environment import Distribution, Environment, normalise_name
from bundler.plan.markers import declared_requirements, marker_environment, requirement_applies
from bundler.runtime import PREFIX_UNIT

__all__ = ["Scope", "Selection", "distribution_files", "select_distributions"]

_SKIP_FILES = frozenset({"direct_url.json"})


class Scope(str, enum.Enum):
    """Which distributions of the environment go into the archive."""

    ALL = "all"  # every distribution installed for the target (a staging directory)
    DECLARED = "declared"  # those reached and what they declare, recursively
    REACHED = "reached"  # only those the resolver reached (--prune)


@dataclass(frozen=True)
class Selection:
    """The distributions to include, those ``--prune`` dropped, and what to tell the user."""

    included: tuple[Distribution, ...]
    pruned: tuple[Distribution, ...] = ()
    warnings: tuple[str, ...] = ()


def select_distributions(
    reached: Iterable[Distribution],
    env: Environment,
    scope: Scope,
    requires: Sequence[str] = (),
) -> Selection:
    """The distributions of ``env`` that ``scope`` keeps, given those the resolver
    ``reached`` (the owners of reached modules, the project's own among them) and, for
    a project that is not installed, the requirements it declares (``requires``)."""
    found = {dist.key: dist for dist in reached}
    if env.project and (project := env.distribution(env.project)) is not None:
        found.setdefault(project.key, project)
    if scope is Scope.ALL:
        return Selection(_sorted(env.distributions))
    if scope is Scope.REACHED:
        pruned = [dist for dist in env.distributions if dist.key not in found]
        return Selection(_sorted(found.values()), _sorted(pruned))
    root = Distribution(
        "the project", "", Path("project.dist-info"), Path("."), requires=tuple(requires)
    )
    closure, warnings = _declared_closure([root, *found.values()], env)
    return Selection(_sorted(d for d in closure if d is not root), (), tuple(warnings))


def distribution_files(dist: Distribution) -> Iterator[tuple[str, Path]]:
    """(member, file) of every file ``dist`` installed, but its dist-info and bytecode.

    Modules and package data keep their paths. Scripts (a wheel's ``*.data/scripts``,
    which pip puts in ``bin/``) go under ``<name>-<version>.data/scripts/``, and data
    files (``*.data/data``: ``share/``...) under ``.prefix/``, which the runtime makes
    ``sys.prefix``, as a virtualenv's root holds them; no import can reach either.
    """
    names = set(dist.files)
    for name in sorted(names):
        parts = name.split("/")
        if "__pycache__" in parts or parts[0] == dist.dist_info.name or os.path.isabs(name):
            continue
        if name.endswith(".pyc") and name[:-1] in names:
            continue
        found = _outside(dist, parts) if parts[0] == ".." else (name, dist.site_dir / name)
        if found is None or ".." in found[0].split("/") or parts[-1] in _SKIP_FILES:
            continue
        if found[1].is_file():
            yield found


def _outside(dist: Distribution, parts: list[str]) -> tuple[str, Path] | None:
    """(member, file) of a file RECORD lists outside the site directory, relative to the
    install prefix: ``../../bin/x`` from a ``pip --target`` directory (pip's temporary
    home scheme: the files were then moved into the target), ``../../../share/x`` from a
    virtualenv's site-packages."""
    ups = next((i for i, part in enumerate(parts) if part != ".."), len(parts))
    rest = parts[ups:]
    if not rest or len(rest) < 2:
        return None
    if rest[0] in ("bin", "Scripts"):
        stem = dist.dist_info.name[: -len(".dist-info")]
        member = f"{stem}.data/scripts/{'/'.join(rest[1:])}"
    else:
        member = PREFIX_UNIT + "/".join(rest)
    parents = dist.site_dir.parents
    bases = [parents[ups - 1]] if ups <= len(parents) else []
    for base in (*bases, dist.site_dir):
        if base.joinpath(*rest).is_file():
            return member, base.joinpath(*rest)
    return None


def _declared_closure(
    reached: Iterable[Distribution], env: Environment
) -> tuple[list[Distribution], list[str]]:
    """``reached`` and every distribution they require, with the extras asked for (a
    warning for each requirement the environment lacks)."""
    environment = marker_environment(env.interpreter)
    roots = list(reached)
    extras: dict[str, set[str]] = {dist.key: set() for dist in roots}
    queue = [(dist, frozenset[str]()) for dist in roots]
    included = {dist.key: dist for dist in roots}
    warnings: list[str] = []
    while queue:
        dist, asked = queue.pop()
        for declared in declared_requirements(dist):
            if not requirement_applies(declared, environment, asked):
                continue
            wanted = env.distribution(declared.requirement.name)
            if wanted is None:
                who = f"{dist.name} {dist.version}".strip()
                warnings.append(
                    f"{who} requires {declared.text!r}, which is not installed in the "
                    "environment; the app may fail where it needs it"
                )
                continue
            new = set(declared.requirement.extras) - extras.setdefault(wanted.key, set())
            if wanted.key in included and not new:
                continue
            extras[wanted.key] |= new
            included[wanted.key] = wanted
            queue.append((wanted, frozenset(extras[wanted.key])))
    return list(included.values()), warnings


def _sorted(dists: Iterable[Distribution]) -> tuple[Distribution, ...]:
    return tuple(sorted(dists, key=lambda dist: normalise_name(dist.name)))
