"""The dependency set of a build: what pip installs apart from the project, decided before
pip runs so that it can key the cache.

It is made of the project's requirements as its built wheel declares them (with the extras
asked for, markers evaluated for the target, uv sources made direct), ``--with``
requirements, and requirements files (flattened, local paths absolute). With hashes in a
requirements file, or a ``pylock.toml``, the lock alone is installed, hashes required, and
the project's and ``--with`` requirements become checks the lock must pass: pip's
``--require-hashes`` cannot accept an unpinned, unhashed ``click>=8``.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import Requirement

from bundler.config import Config, InstallOptions
from bundler.distribution import applies, parse_entry_points, parse_requirement, script_extras
from bundler.errors import ConfigError, LockError, StagingError
from bundler.runtime.metadata import normalise_name
from bundler.staging.pylock import LockedInstall, is_pylock, read_pylock
from bundler.staging.reqfiles import local_path, read_requirement_files
from bundler.staging.sources import read_uv_sources

__all__ = ["Dependencies", "WheelInfo", "plan_dependencies", "read_wheel_info"]


@dataclass(frozen=True)
class WheelInfo:
    """What the project's built wheel declares."""

    name: str
    version: str
    requires: tuple[str, ...] = ()
    provides_extras: tuple[str, ...] = ()
    scripts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dependencies:
    """What pip installs apart from the project, and what a lock must provide."""

    requirements: tuple[str, ...] = ()  # pip arguments: the project's and --with
    lines: tuple[str, ...] = ()  # the requirements files' lines, flattened
    constraints: tuple[str, ...] = ()
    require_hashes: bool = False
    locked: LockedInstall | None = None
    lock_name: str | None = None  # the file whose hashes rule, when there is one
    checked: tuple[tuple[Requirement, str], ...] = ()  # (requirement, who needs it)
    paths: tuple[Path, ...] = ()  # local paths pip reads
    extras: tuple[str, ...] = ()  # the project's extras installed
    described: str = ""

    @property
    def empty(self) -> bool:
        """Nothing to install: pip need not run."""
        return not (self.requirements or self.lines or self.locked)


@dataclass(frozen=True)
class Target:
    """The interpreter pip installs for, as this module needs it."""

    markers: Mapping[str, str]
    description: str  # "CPython 3.11.7 on linux-x86_64"
    tags: Callable[[], Sequence[str]]  # its wheel tags, best first (asked only for a lock)


def read_wheel_info(wheel: Path) -> WheelInfo:
    """Name, version, requirements, extras and scripts of a built wheel."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
            metadata = archive.read(f"{dist_info}/METADATA").decode("utf-8", "replace")
            entry_name = f"{dist_info}/entry_points.txt"
            entries = archive.read(entry_name).decode() if entry_name in names else ""
    except (OSError, zipfile.BadZipFile, StopIteration, KeyError) as exc:
        raise StagingError(
            f"the build backend wrote an unreadable wheel {wheel.name}: {exc}"
        ) from None
    headers = HeaderParser().parsestr(metadata, headersonly=True)
    groups = parse_entry_points(entries.splitlines())
    return WheelInfo(
        name=str(headers.get("Name", "")),
        version=str(headers.get("Version", "")),
        requires=tuple(headers.get_all("Requires-Dist") or ()),
        provides_extras=tuple(headers.get_all("Provides-Extra") or ()),
        scripts={**groups.get("console_scripts", {}), **groups.get("gui_scripts", {})},
    )


def plan_dependencies(
    config: Config, options: InstallOptions, wheel: WheelInfo | None, target: Target, cwd: Path
) -> Dependencies:
    """The dependency set for ``config``'s build, given the project's built ``wheel``."""
    with_requirements, self_extras = _split_self(options.requirements, config, wheel, cwd)
    extras = _extras(config, wheel, self_extras)
    project, paths = _project_requirements(config, wheel, extras, target)
    given = [_localised(text, cwd, config.project_dir) for text in with_requirements]
    paths += [path for _, path in given if path is not None]
    requested = [text for text, _ in given]
    locks = [path for path in options.requirement_files if is_pylock(path)]
    plain_files = [path for path in options.requirement_files if not is_pylock(path)]
    files = read_requirement_files(plain_files, options.constraint_files, cwd)
    described = _describe(bool(project), with_requirements, options.requirement_files)
    checked = _checks(project, "the project") + _checks(requested, "--with")
    base = Dependencies(extras=tuple(extras), described=described, checked=checked)
    if locks:
        if plain_files or options.constraint_files or len(locks) > 1:
            raise LockError(
                f"{locks[0].name} is the whole set of distributions to install: pass it alone, "
                "without other requirements or constraints files"
            )
        locked = read_pylock(locks[0], target.markers, target.tags(), target.description, extras)
        paths += list(locked.paths)
        return dataclasses.replace(base, locked=locked, lock_name=locks[0].name, paths=tuple(paths))
    paths += files.paths
    if files.hashed:
        return dataclasses.replace(
            base,
            lines=tuple(files.requirements),
            constraints=tuple(files.constraints),
            require_hashes=True,
            lock_name=", ".join(p.name for p in plain_files),
            paths=tuple(paths),
            described=f"the requirements in {', '.join(p.name for p in plain_files)}",
        )
    return dataclasses.replace(
        base,
        requirements=tuple([*project, *requested]),
        lines=tuple(files.requirements),
        constraints=tuple(files.constraints),
        checked=(),
        paths=tuple(paths),
    )


def _split_self(
    requirements: Sequence[str], config: Config, wheel: WheelInfo | None, cwd: Path
) -> tuple[list[str], list[str]]:
    """``--with`` requirements that name the project itself (``.[cli]``, ``demo[cli]``)
    ask for its extras: they cannot be installed beside the project's own wheel."""
    kept: list[str] = []
    extras: list[str] = []
    for text in requirements:
        local = local_path(text, (cwd, config.project_dir))
        if local is not None and local[0].resolve() == config.project_dir.resolve():
            extras += _bracketed(local[1])
            continue
        parsed = parse_requirement(text)
        same = wheel is not None and parsed is not None and _same(parsed.name, wheel.name)
        if same and parsed is not None and not parsed.specifier and not parsed.url:
            extras += sorted(parsed.extras)
            continue
        kept.append(text)
    return kept, extras


def _extras(config: Config, wheel: WheelInfo | None, self_extras: Sequence[str]) -> list[str]:
    """The project's extras to install: asked for, and written on the script that runs."""
    wanted = [*config.extras, *self_extras]
    if wheel is None:
        if wanted:
            raise ConfigError("--extra needs a project: there is none to take extras from")
        return []
    if config.entry is None:
        script = config.script or (next(iter(wheel.scripts)) if len(wheel.scripts) == 1 else None)
        wanted += script_extras(wheel.scripts.get(script, "")) if script else []
    known = {_extra(name) for name in wheel.provides_extras}
    for text in wheel.requires:
        known.update(_extra(name) for name in re.findall(r"extra\s*==\s*[\"']([^\"']+)", text))
    chosen: list[str] = []
    for name in wanted:
        if _extra(name) not in known:
            have = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"{wheel.name} has no extra '{name}' (its extras: {have})")
        if _extra(name) not in chosen:
            chosen.append(_extra(name))
    return chosen


def _project_requirements(
    config: Config, wheel: WheelInfo | None, extras: Sequence[str], target: Target
) -> tuple[list[str], list[Path]]:
    """The wheel's requirements that apply to the target with ``extras``, markers dropped,
    uv sources made direct; and the local paths they name."""
    if wheel is None:
        return [], []
    chosen = []
    for text in wheel.requires:
        requirement = parse_requirement(text)
        if requirement is None:
            raise StagingError(f"the project's wheel declares an invalid requirement: {text}")
        if applies(requirement, target.markers, extras):
            chosen.append(requirement)
    direct, paths = read_uv_sources(config.project_dir).direct(chosen, target.markers)
    found = []
    for text in direct:
        located = local_path(text, (config.project_dir,))
        if located is not None:
            path = located[0] if located[0].is_absolute() else config.project_dir / located[0]
            found.append(path)
    return direct, [*paths, *found]


def _localised(text: str, cwd: Path, project_dir: Path) -> tuple[str, Path | None]:
    """A ``--with`` requirement with a relative path made absolute, and that path."""
    located = local_path(text, (cwd, project_dir))
    if located is None:
        return text, None
    spec = text.split(";", 1)[0]
    if "@" in spec and not spec.lstrip().startswith(("/", ".")):
        return text, located[0]
    return f"{located[0]}{located[1]}", located[0]


def _checks(requirements: Sequence[str], who: str) -> tuple[tuple[Requirement, str], ...]:
    parsed = (parse_requirement(text) for text in requirements)
    return tuple((requirement, who) for requirement in parsed if requirement is not None)


def _describe(project: bool, requested: Sequence[str], files: Sequence[Path]) -> str:
    parts = [f"'{text}'" for text in requested] + [f"the requirements in {p.name}" for p in files]
    if project and not parts:
        return "the project's dependencies"
    if project:
        parts.insert(0, "the project's requirements")
    if len(parts) == 1:
        return f"{parts[0]} and its dependencies"
    return f"{', '.join(parts)} and their dependencies"


def _bracketed(suffix: str) -> list[str]:
    match = re.match(r"\s*\[([^\]]*)\]", suffix)
    return [name.strip() for name in match.group(1).split(",") if name.strip()] if match else []


def _same(one: str, other: str) -> bool:
    return normalise_name(one) == normalise_name(other)


def _extra(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
