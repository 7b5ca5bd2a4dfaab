"""uv's ``[tool.uv.sources]``: where a dependency named only by its name really comes from.

A uv project writes ``dependencies = ["acme-core"]`` and, in ``[tool.uv.sources]``,
``acme-core = { workspace = true }`` or ``{ path = "../libs/core" }``. Its built wheel says
only ``Requires-Dist: acme-core``, and pip would look for that on an index. So the sources
of the project, and of the uv workspace it belongs to, turn each such requirement into a
direct one (``acme-core @ file:///.../libs/core``), for the project's requirements and,
through their own ``pyproject.toml``, for the local packages they need in turn.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import Requirement

from bundler.distribution import applies, parse_requirement
from bundler.errors import ConfigError
from bundler.runtime.metadata import normalise_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

__all__ = ["UvSources", "read_uv_sources"]


@dataclass(frozen=True)
class _Source:
    """One entry of ``[tool.uv.sources]``: its table, and the directory its paths are in."""

    spec: Mapping[str, Any]
    base: Path


@dataclass(frozen=True)
class UvSources:
    """The sources that apply to a project: its own over its workspace root's, and the
    workspace's members by name."""

    sources: Mapping[str, tuple[_Source, ...]] = field(default_factory=dict)
    members: Mapping[str, Path] = field(default_factory=dict)
    root_sources: Mapping[str, tuple[_Source, ...]] = field(default_factory=dict)

    def direct(
        self, requirements: Sequence[Requirement], markers: Mapping[str, str]
    ) -> tuple[list[str], list[Path]]:
        """``requirements`` (already chosen for the target) with each one that has a
        source made direct, plus the local packages those need in turn; and the local
        directories all of them name."""
        chosen: dict[str, str] = {}
        paths: list[Path] = []
        pending = [(requirement, self.sources) for requirement in requirements]
        while pending:
            requirement, sources = pending.pop(0)
            key = normalise_name(requirement.name)
            if key in chosen:
                continue
            found = self._locate(requirement, sources, markers)
            if found is None:
                chosen[key] = _plain(requirement)
                continue
            text, local = found
            chosen[key] = text
            if local is not None:
                paths.append(local)
                needs = _needs(local, requirement, markers)
                pending += [(need, self._sources_of(local)) for need in needs]
        return list(chosen.values()), paths

    def _locate(
        self,
        requirement: Requirement,
        sources: Mapping[str, tuple[_Source, ...]],
        markers: Mapping[str, str],
    ) -> tuple[str, Path | None] | None:
        key = normalise_name(requirement.name)
        for source in sources.get(key, ()) or self.root_sources.get(key, ()):
            if _source_applies(source.spec, markers):
                return self._resolve(requirement, source)
        return None

    def _resolve(self, requirement: Requirement, source: _Source) -> tuple[str, Path | None] | None:
        spec, name = source.spec, _named(requirement)
        if spec.get("workspace"):
            member = self.members.get(normalise_name(requirement.name))
            if member is None:
                raise ConfigError(
                    f"[tool.uv.sources] takes {requirement.name} from the workspace, but no "
                    "member of a uv workspace around the project is called that"
                )
            return f"{name} @ {member.as_uri()}", member
        if "path" in spec:
            path = Path(os.path.normpath(source.base / str(spec["path"])))
            return f"{name} @ {path.as_uri()}", path
        if "git" in spec:
            ref = next((str(spec[k]) for k in ("rev", "tag", "branch") if k in spec), "")
            url = f"git+{spec['git']}" + (f"@{ref}" if ref else "")
            sub = f"#subdirectory={spec['subdirectory']}" if "subdirectory" in spec else ""
            return f"{name} @ {url}{sub}", None
        if "url" in spec:
            return f"{name} @ {spec['url']}", None
        return None  # an index: pip reads its own index configuration

    def _sources_of(self, directory: Path) -> Mapping[str, tuple[_Source, ...]]:
        return _table_sources(_read(directory / "pyproject.toml"), directory)


def read_uv_sources(project_dir: Path) -> UvSources:
    """The uv sources that apply to the project in ``project_dir`` (none for a project
    that is not a uv project)."""
    own = _read(project_dir / "pyproject.toml")
    root = _workspace_root(project_dir)
    if root is None:
        return UvSources(_table_sources(own, project_dir))
    data = _read(root / "pyproject.toml")
    return UvSources(
        sources=_table_sources(own, project_dir),
        members=dict(_members(root, data)),
        root_sources=_table_sources(data, root),
    )


def _table_sources(data: Mapping[str, Any], base: Path) -> dict[str, tuple[_Source, ...]]:
    table = data.get("tool", {}).get("uv", {}).get("sources", {})
    found: dict[str, tuple[_Source, ...]] = {}
    for name, value in dict(table).items() if isinstance(table, dict) else ():
        entries = value if isinstance(value, list) else [value]
        found[normalise_name(name)] = tuple(
            _Source(entry, base) for entry in entries if isinstance(entry, dict)
        )
    return found


def _workspace_root(project_dir: Path) -> Path | None:
    """The nearest directory at or above the project whose ``pyproject.toml`` declares a
    uv workspace that has the project as a member."""
    here = project_dir.resolve()
    for candidate in (here, *here.parents):
        data = _read(candidate / "pyproject.toml")
        if "workspace" not in data.get("tool", {}).get("uv", {}):
            continue
        if candidate == here or here in dict(_members(candidate, data)).values():
            return candidate
    return None


def _members(root: Path, data: Mapping[str, Any]) -> Iterator[tuple[str, Path]]:
    workspace = data.get("tool", {}).get("uv", {}).get("workspace", {})
    excluded = {
        Path(p).resolve() for pattern in workspace.get("exclude", []) for p in _glob(root, pattern)
    }
    directories = [root] + [
        Path(p).resolve() for pattern in workspace.get("members", []) for p in _glob(root, pattern)
    ]
    for directory in directories:
        name = _read(directory / "pyproject.toml").get("project", {}).get("name")
        if isinstance(name, str) and directory not in excluded:
            yield normalise_name(name), directory


def _needs(
    directory: Path, requirement: Requirement, markers: Mapping[str, str]
) -> list[Requirement]:
    """What the local package in ``directory`` declares it needs, for the target."""
    project = _read(directory / "pyproject.toml").get("project", {})
    needed = []
    for text in project.get("dependencies", []) if isinstance(project, dict) else []:
        parsed = parse_requirement(str(text))
        if parsed is not None and applies(parsed, markers, tuple(requirement.extras)):
            needed.append(parsed)
    return needed


def _source_applies(spec: Mapping[str, Any], markers: Mapping[str, str]) -> bool:
    marker = spec.get("marker")
    if not isinstance(marker, str):
        return True
    try:
        return Marker(marker).evaluate({**markers, "extra": ""})
    except InvalidMarker:
        return True


def _named(requirement: Requirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}"


def _plain(requirement: Requirement) -> str:
    """The requirement without its marker (the marker was evaluated for the target)."""
    if requirement.url:
        return f"{_named(requirement)} @ {requirement.url}"
    return f"{_named(requirement)}{requirement.specifier}"


def _glob(root: Path, pattern: str) -> list[str]:
    return sorted(p for p in glob.glob(str(root / pattern)) if os.path.isdir(p))


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            data: dict[str, Any] = tomllib.load(stream)
        return data
    except (OSError, tomllib.TOMLDecodeError):
        return {}
