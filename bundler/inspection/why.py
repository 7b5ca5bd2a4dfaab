"""``bundle inspect ARCHIVE --why MODULE``: the chain of imports from the entry point that
brought a module in, with the file and line of each, or the rule that did."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from bundler.errors import AbsentError
from bundler.inspection.facts import distribution_of
from bundler.inspection.reading import ArchiveView, name_version
from bundler.runtime.metadata import normalise_name

__all__ = ["Link", "explain", "why_document"]

_EXTRA = re.compile(r"extra\s*==\s*[\"']([^\"']+)")
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


@dataclass(frozen=True)
class Link:
    """One module of the chain, and how the one before it brought it in."""

    module: str
    rule: str  # import, string, entry point, include, entry point group, distribution
    file: str | None = None  # the member of the module that imports it
    line: int = 0
    detail: str = ""

    def describe(self) -> str:
        """The line ``--why`` prints for this link."""
        where = f"{self.file}:{self.line}" if self.file else ""
        said = {
            "import": f"imported at {where}",
            "string": f"named by the dotted string at {where}",
            "entry point": f"the package of the entry point {self.detail}"
            if self.detail
            else "the entry point",
            "include": "given to --include",
            "entry point group": f"an entry point in group {self.detail}",
            "distribution": self.detail,
        }
        return f"{self.module}: {said.get(self.rule, self.rule)}"


def explain(view: ArchiveView, module: str) -> list[Link]:
    """The chain that brought ``module`` in, root first; AbsentError when it is not in."""
    modules: Mapping[str, Any] = view.manifest.get("modules", {})
    why: Mapping[str, list[Any]] = view.manifest.get("resolution", {}).get("why", {})
    if module not in modules:
        raise AbsentError(_absent(view, module))
    if "resolution" not in view.manifest:
        tool = view.manifest.get("build", {}).get("tool") or "an older bundler"
        raise AbsentError(
            f"{view.path.name} was built by {tool}, which did not record why modules are in; "
            "rebuild it with this bundler to ask --why"
        )
    if module not in why:
        return [_whole_distribution(view, module)]
    entry = str(view.manifest.get("entry", "")).partition(":")[0]
    chain: list[Link] = []
    current: str | None = module
    while current is not None and all(link.module != current for link in chain):
        rule, importer, line, detail = why.get(current, ["import", "", 0, ""])
        file = modules.get(importer, {}).get("member") if importer else None
        if rule == "entry point" and entry.startswith(f"{current}."):
            detail = entry  # reached as the package of the entry module
        chain.append(Link(current, rule, file, line, detail))
        current = importer if rule in ("import", "string") and importer else None
    return chain[::-1]


def why_document(chain: list[Link]) -> dict[str, Any]:
    """The ``why`` field of ``inspect --json --why``."""
    return {
        "module": chain[-1].module,
        "chain": [
            {"module": k.module, "rule": k.rule, "file": k.file, "line": k.line, "detail": k.detail}
            for k in chain
        ],
    }


def _absent(view: ArchiveView, module: str) -> str:
    missing = view.manifest.get("resolution", {}).get("missing", [])
    miss = next((m for m in missing if m[0] == module), None)
    if miss is not None:
        return (
            f"'{module}' is not in {view.path.name}: {miss[1]} imports it at line {miss[2]}, "
            "but the build did not find it"
        )
    if module.partition(".")[0] in _STDLIB:
        return f"'{module}' is not in {view.path.name}: it is part of the standard library"
    return f"'{module}' is not in {view.path.name}; bundle inspect lists what is"


def _whole_distribution(view: ArchiveView, module: str) -> Link:
    """A module no import reached: its distribution went in whole; say which and why."""
    member = view.manifest["modules"][module].get("member") or ""
    owner = distribution_of(view).get(member)
    if owner is None:
        return Link(module, "distribution", detail="in the archive, no import reached it")
    metadata = view.metadata.get(owner)
    name = (metadata.get("Name") if metadata else None) or name_version(owner)[0]
    requirers = _requirers(view, normalise_name(name))
    app = normalise_name(str(view.manifest.get("app", {}).get("name", "")))
    if app in requirers:
        because = f"a declared dependency of {view.manifest['app']['name']}"
    elif requirers:
        because = f"required by {', '.join(sorted(requirers))}"
    elif normalise_name(name) == app:
        because = "the app's own distribution"
    else:
        because = "installed for the build (--with, -r or an extra)"
    detail = f"no import reaches it; its distribution {name} goes in whole ({because})"
    return Link(module, "distribution", detail=detail)


def _requirers(view: ArchiveView, wanted: str) -> set[str]:
    """The distributions whose Requires-Dist names ``wanted`` (``name[extra]`` when only
    an extra of theirs does), normalised."""
    found = set()
    for dist, metadata in view.metadata.items():
        for text in metadata.get_all("Requires-Dist") or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if normalise_name(requirement.name) != wanted:
                continue
            extra = _EXTRA.search(str(requirement.marker or ""))
            owner = normalise_name(name_version(dist)[0])
            found.add(f"{owner}[{extra.group(1)}]" if extra else owner)
    return found
