"""Entry points of the environment's distributions that the bundled code may load."""

from __future__ import annotations

from collections.abc import Iterable

from bundler.environment import Environment, normalise_name
from bundler.resolve.graph import Module

__all__ = ["plugin_groups", "plugin_roots"]


def plugin_roots(env: Environment, modules: Iterable[Module]) -> dict[str, str]:
    """Modules named by entry points that the bundled code may load at run time (see
    ``plugin_groups``) -> the distribution that declares it."""
    return {module: dist for module, (dist, _) in plugin_groups(env, modules).items()}


def plugin_groups(env: Environment, modules: Iterable[Module]) -> dict[str, tuple[str, str]]:
    """Modules named by entry points that the bundled code may load at run time.

    An entry point group is followed only when its consumer is bundled: the group's first
    dotted part (``tallyho`` in ``tallyho.counters``, ``pytest`` in ``pytest11``) must name
    a bundled top-level module or distribution. Console and GUI scripts are left out: only
    the chosen entry point runs. Groups are read from every distribution in the environment,
    as ``importlib.metadata`` would at run time: the included ones and their plugins, be they
    dependents (flake8-bugbear for flake8) or dependencies (mccabe for flake8). Returns
    module name -> (the distribution that declares it, the group).
    """
    bundled = [m for m in modules if m.kind.bundled]
    included = {d.key: d for m in bundled if m.path and (d := env.owner_of(m.path))}
    consumers = set(included) | {normalise_name(m.name.partition(".")[0]) for m in bundled}
    plugins = [dist for dist in env.distributions if dist.key not in included]
    roots: dict[str, tuple[str, str]] = {}
    for dist in [*included.values(), *plugins]:
        for group, items in sorted(dist.entry_points.items()):
            # "flake8.extension" names flake8; "pytest11" names pytest.
            head = group.partition(".")[0]
            named = {normalise_name(head), normalise_name(head.rstrip("0123456789"))}
            if group in ("console_scripts", "gui_scripts") or not named & consumers:
                continue
            for value in items.values():
                module = value.split(":")[0].split("[")[0].strip()
                if module:
                    roots.setdefault(module, (dist.name, group))
    return roots
