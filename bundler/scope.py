"""Distributions a ``--no-install`` build bundles although the project never declared them.

Without staging, imports resolve against whatever the target environment holds: a guarded
``import IPython`` in one subcommand pulls in a whole dev environment. Each distribution of
the archive that lies outside the project's declared closure (``Environment.declared``) is
named with the import that brought it in, so the user can declare it or leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass

from bundler.environment import Distribution, Environment
from bundler.resolve import Graph

__all__ = ["Undeclared", "undeclared_distributions"]


@dataclass(frozen=True)
class Undeclared:
    """A bundled distribution outside the declared closure, the import that pulled it in,
    and the other undeclared distributions that came in through it."""

    distribution: str
    version: str
    module: str  # the first of its modules that the project's code imports
    importer: str  # who imports it ("" when it is the entry point itself)
    brings: tuple[str, ...] = ()  # undeclared distributions only it pulled in

    def describe(self) -> str:
        """One line for the build's warnings."""
        by = f"{self.importer} imports {self.module}" if self.importer else f"{self.module} runs"
        more = ""
        if self.brings:
            shown = ", ".join(self.brings[:3]) + (", ..." if len(self.brings) > 3 else "")
            plural = "s" if len(self.brings) > 1 else ""
            more = f" with {len(self.brings)} more distribution{plural} it needs ({shown})"
        return (
            f"{self.distribution} {self.version}{more} is bundled from the environment although "
            f"the project does not declare it ({by}); add it to the project's dependencies, or "
            f"--exclude {self.module.partition('.')[0]}"
        )


def undeclared_distributions(graph: Graph, env: Environment) -> tuple[Undeclared, ...]:
    """The bundled distributions outside ``env.declared`` that declared code imports, each
    with those that came in through it; none when staged."""
    if env.declared is None:
        return ()
    pulled: dict[str, tuple[Distribution, str, str, Distribution | None]] = {}
    for module in graph.bundled():
        owner = _owner(graph, env, module.name)
        if owner is None or env.is_declared(owner) or owner.key in pulled:
            continue
        importers = [(name, _owner(graph, env, name)) for name in module.importers]
        outside = [(name, by) for name, by in importers if by is None or by.key != owner.key]
        if outside or not module.importers:
            importer, by = outside[0] if outside else ("", None)
            through = by if by is not None and not env.is_declared(by) else None
            pulled[owner.key] = (owner, module.name, importer, through)
    roots: dict[str, list[str]] = {key: [] for key in pulled if _root(key, pulled) == key}
    for key in pulled:
        root = _root(key, pulled)
        if root != key and root in roots:
            roots[root].append(pulled[key][0].name)
    return tuple(
        Undeclared(dist.name, dist.version, module, importer, tuple(sorted(roots[key])))
        for key, (dist, module, importer, _) in sorted(pulled.items())
        if key in roots
    )


def _root(key: str, pulled: dict[str, tuple[Distribution, str, str, Distribution | None]]) -> str:
    """The undeclared distribution that declared code imported, which brought ``key`` in
    (``key`` itself when it was imported directly, or when the chain goes round)."""
    start, seen = key, {key}
    while True:
        through = pulled[key][3]
        if through is None or through.key not in pulled:
            return key
        if through.key in seen:
            return start
        key = through.key
        seen.add(key)


def _owner(graph: Graph, env: Environment, name: str) -> Distribution | None:
    module = graph.modules.get(name)
    if module is None or module.path is None:
        return None
    return env.owner_of(module.path)
