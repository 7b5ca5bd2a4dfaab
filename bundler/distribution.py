"""Installed distributions, read from their ``*.dist-info`` directories, and what their
requirements mean for a target interpreter (markers, extras, the declared closure)."""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

from bundler.runtime.metadata import normalise_name

__all__ = [
    "Distribution",
    "applies",
    "find_distributions",
    "parse_requirement",
    "read_distribution",
    "required_closure",
    "script_extras",
]

# "module:attr [extra1, extra2]": the extras a console script needs (written on its entry).
_SCRIPT_EXTRAS = re.compile(r"\[([^\]]*)\]\s*$")


@dataclass(frozen=True)
class Distribution:
    """An installed distribution, read from its ``*.dist-info`` directory."""

    name: str
    version: str
    dist_info: Path
    site_dir: Path
    files: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    entry_points: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    requires_python: str | None = None
    summary: str = ""
    provides_extras: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The normalised name used to compare distributions (PEP 503)."""
        return normalise_name(self.name)

    @property
    def scripts(self) -> dict[str, str]:
        """Console and GUI scripts: name -> ``module:function``."""
        return {
            **self.entry_points.get("console_scripts", {}),
            **self.entry_points.get("gui_scripts", {}),
        }

    @property
    def extras(self) -> dict[str, tuple[str, ...]]:
        """Each extra -> the names of the distributions it adds (``cli`` -> ``click``)."""
        found: dict[str, list[str]] = {_extra_name(extra): [] for extra in self.provides_extras}
        for text in self.requires:
            requirement = parse_requirement(text)
            if requirement is None or requirement.marker is None:
                continue
            for extra in _extras_in(str(requirement.marker)):
                found.setdefault(extra, []).append(requirement.name)
        return {extra: tuple(names) for extra, names in sorted(found.items())}

    def extras_providing(self, module: str) -> tuple[str, ...]:
        """The extras that add a distribution named like the top-level ``module``: what
        to name when an import of ``module`` is missing (``click`` -> ``cli``)."""
        wanted = normalise_name(module.partition(".")[0])
        return tuple(
            extra
            for extra, names in self.extras.items()
            if any(normalise_name(name) == wanted for name in names)
        )


def find_distributions(site_path: Iterable[Path]) -> Iterator[Distribution]:
    """The distributions in ``site_path``; the first of a name on the path wins, as with
    ``importlib.metadata``."""
    seen: set[str] = set()
    for directory in site_path:
        if not directory.is_dir():
            continue
        for dist_info in sorted(directory.glob("*.dist-info")):
            dist = read_distribution(dist_info)
            if dist is not None and dist.key not in seen:
                seen.add(dist.key)
                yield dist


def read_distribution(dist_info: Path) -> Distribution | None:
    """The distribution of ``dist_info``, or None when it has no usable METADATA."""
    try:
        text = (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    headers = HeaderParser().parsestr(text, headersonly=True)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        return None
    return Distribution(
        name=name,
        version=version,
        dist_info=dist_info,
        site_dir=dist_info.parent,
        files=tuple(_read_record(dist_info)),
        requires=tuple(headers.get_all("Requires-Dist") or ()),
        entry_points=read_entry_points(dist_info / "entry_points.txt"),
        requires_python=headers.get("Requires-Python"),
        summary=headers.get("Summary") or "",
        provides_extras=tuple(headers.get_all("Provides-Extra") or ()),
    )


def read_entry_points(path: Path) -> dict[str, dict[str, str]]:
    """Parse ``entry_points.txt`` (an INI file whose keys are case-sensitive)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    return parse_entry_points(lines)


def parse_entry_points(lines: Iterable[str]) -> dict[str, dict[str, str]]:
    """The groups of entry points in the lines of an ``entry_points.txt``."""
    groups: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = groups.setdefault(line[1:-1].strip(), {})
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return groups


def script_extras(target: str) -> tuple[str, ...]:
    """The extras written on an entry point: ``pkg.cli:main [cli, color]`` -> (cli, color)."""
    match = _SCRIPT_EXTRAS.search(target)
    if match is None:
        return ()
    return tuple(name.strip() for name in match.group(1).split(",") if name.strip())


def parse_requirement(text: str) -> Requirement | None:
    """``text`` as a PEP 508 requirement, or None when it is not one."""
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def applies(
    requirement: Requirement, markers: Mapping[str, str], extras: Collection[str] = ()
) -> bool:
    """Whether ``requirement`` is needed on the interpreter whose marker environment is
    ``markers``, with ``extras`` of the distribution that declares it requested."""
    if requirement.marker is None:
        return True
    for extra in ("", *extras):
        try:
            if requirement.marker.evaluate({**markers, "extra": extra}):
                return True
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return True  # a marker we cannot judge: keep it, as pip would try to
    return False


def required_closure(
    roots: Iterable[tuple[str, tuple[str, ...]]],
    distributions: Iterable[Distribution],
    markers: Mapping[str, str],
) -> frozenset[str]:
    """Normalised names of the distributions that ``roots`` (name, extras) need, directly
    or through the requirements of the installed ``distributions``, on the interpreter
    whose marker environment is ``markers``."""
    by_key = {dist.key: dist for dist in distributions}
    needed: set[str] = set()
    pending = [(normalise_name(name), extras) for name, extras in roots]
    done: set[tuple[str, tuple[str, ...]]] = set()
    while pending:
        key, extras = pending.pop()
        if (key, extras) in done:
            continue
        done.add((key, extras))
        needed.add(key)
        dist = by_key.get(key)
        for text in dist.requires if dist else ():
            requirement = parse_requirement(text)
            if requirement is not None and applies(requirement, markers, extras):
                pending.append((normalise_name(requirement.name), tuple(requirement.extras)))
    return frozenset(needed)


def _extras_in(marker: str) -> list[str]:
    """The extras a marker names (``extra == "cli" and python_version < "3.11"`` -> cli)."""
    names = re.findall(r"""extra\s*==\s*["']([^"']+)["']""", marker)
    names += re.findall(r"""["']([^"']+)["']\s*==\s*extra""", marker)
    return [_extra_name(name) for name in names]


def _extra_name(name: str) -> str:
    """An extra's name normalised as PEP 685 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _read_record(dist_info: Path) -> list[str]:
    try:
        with (dist_info / "RECORD").open(encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))
    except OSError:
        return []
    return [row[0] for row in rows if row]
