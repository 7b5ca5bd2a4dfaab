"""PEP 751 lock files (``pylock.toml``, ``pylock.<name>.toml``) given as ``-r``.

A lock names, for each package, the exact files that may be installed and their hashes.
For the target interpreter: the lock must cover it (``environments``, ``requires-python``);
each package whose marker holds is installed from the one file that suits the target (the
most specific compatible wheel, else its sdist or archive), by URL or by path relative to
the lock, with its hash required and nothing else resolved (``--no-deps``). Packages from a
VCS or a local directory carry no hash; they are installed apart, also without
dependencies.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from bundler.errors import LockError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

__all__ = ["LockedInstall", "is_pylock", "read_pylock"]

_SUPPORTED = ("1.",)


@dataclass(frozen=True)
class LockedInstall:
    """What a lock installs for one target: hashed requirement lines, and the lines of
    packages that have no hash (VCS, directories); the local paths among them."""

    hashed: tuple[str, ...]
    unhashed: tuple[str, ...]
    paths: tuple[Path, ...]


def is_pylock(path: Path) -> bool:
    """Whether ``path`` is named as PEP 751 names lock files."""
    name = path.name
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))


def read_pylock(
    path: Path,
    markers: Mapping[str, str],
    tags: Sequence[str],
    target: str,
    extras: Collection[str],
) -> LockedInstall:
    """What the lock at ``path`` installs on the target whose marker environment is
    ``markers`` and whose supported wheel tags, best first, are ``tags``; ``target``
    describes it in messages, ``extras`` are the lock's extras to install."""
    data = _load(path)
    _check_covers(path, data, markers, target)
    environment = {
        **markers,
        "extras": frozenset(extras),
        "dependency_groups": frozenset(data.get("default-groups", [])),
    }
    hashed: list[str] = []
    unhashed: list[str] = []
    paths: list[Path] = []
    rank = {tag: number for number, tag in enumerate(tags)}
    for package in data.get("packages", []):
        if not isinstance(package, dict) or not _marker_holds(package.get("marker"), environment):
            continue
        line, local, has_hash = _line(path, package, rank, target)
        (hashed if has_hash else unhashed).append(line)
        if local is not None:
            paths.append(local)
    return LockedInstall(tuple(hashed), tuple(unhashed), tuple(paths))


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            data: dict[str, Any] = tomllib.load(stream)
    except OSError as exc:
        raise LockError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"{path} is not valid TOML: {exc}") from None
    version = str(data.get("lock-version", ""))
    if not version.startswith(_SUPPORTED):
        raise LockError(
            f"{path} has lock-version '{version}'; bundle reads PEP 751 locks of version 1.x"
        )
    return data


def _check_covers(
    path: Path, data: Mapping[str, Any], markers: Mapping[str, str], target: str
) -> None:
    environments = data.get("environments")
    if environments and not any(_marker_holds(text, markers) for text in environments):
        listed = "; ".join(str(text) for text in environments)
        raise LockError(
            f"{path.name} does not cover {target}: its environments are {listed}; lock for "
            "this target too, or build with --python naming an interpreter it covers"
        )
    requires = data.get("requires-python")
    if requires and not _python_ok(str(requires), markers):
        raise LockError(
            f"{path.name} requires Python {requires}, and the target is {target}; build with "
            "--python naming an interpreter it supports"
        )


def _line(
    lock: Path, package: Mapping[str, Any], rank: Mapping[str, int], target: str
) -> tuple[str, Path | None, bool]:
    """The requirement line of a package: ``name @ location --hash=...``."""
    name = str(package.get("name", ""))
    version = package.get("version")
    if "vcs" in package:
        vcs = package["vcs"]
        url = vcs.get("url") or _uri(lock, vcs.get("path", ""))
        sub = f"#subdirectory={vcs['subdirectory']}" if "subdirectory" in vcs else ""
        return (
            f"{name} @ {vcs.get('type', 'git')}+{url}@{vcs.get('commit-id', '')}{sub}",
            None,
            False,
        )
    if "directory" in package:
        directory = (lock.parent / str(package["directory"].get("path", ""))).resolve()
        return f"{name} @ {directory.as_uri()}", directory, False
    chosen = (
        _best_wheel(package.get("wheels", []), rank)
        or package.get("sdist")
        or package.get("archive")
    )
    if not isinstance(chosen, dict):
        tags = sorted({tag for wheel in package.get("wheels", []) for tag in _wheel_tags(wheel)})
        raise LockError(
            f"{lock.name} has no file of {name} {version or ''} for {target}"
            + (f": its wheels are tagged {', '.join(tags[:6])}" if tags else "")
            + "; lock for this target too"
        )
    local = (lock.parent / str(chosen["path"])).resolve() if "path" in chosen else None
    location = chosen.get("url") or (local.as_uri() if local else "")
    hashes = [
        f"--hash={algorithm}:{value}" for algorithm, value in dict(chosen.get("hashes", {})).items()
    ]
    if not location or not hashes:
        raise LockError(f"{lock.name}: {name} names no file with a hash (url or path, hashes)")
    return f"{name} @ {location} {' '.join(hashes)}", local, True


def _best_wheel(wheels: Any, rank: Mapping[str, int]) -> dict[str, Any] | None:
    best: tuple[int, dict[str, Any]] | None = None
    for wheel in wheels if isinstance(wheels, list) else []:
        scores = [rank[tag] for tag in _wheel_tags(wheel) if tag in rank]
        if scores and (best is None or min(scores) < best[0]):
            best = (min(scores), wheel)
    return best[1] if best else None


def _wheel_tags(wheel: Mapping[str, Any]) -> Iterator[str]:
    filename = str(
        wheel.get("name") or urlparse(str(wheel.get("url") or wheel.get("path", ""))).path
    )
    try:
        _, _, _, tags = parse_wheel_filename(filename.rsplit("/", 1)[-1])
    except InvalidWheelFilename:
        return
    yield from (str(tag) for tag in tags)


def _marker_holds(text: Any, environment: Mapping[str, Any]) -> bool:
    if not text:
        return True
    try:
        marker = Marker(str(text))
    except InvalidMarker:
        return True
    try:
        # Locks may test the sets "extras" and "dependency_groups" (packaging 25+).
        return marker.evaluate(dict(environment), context="lock_file")
    except TypeError:  # an older packaging: no sets, no context
        plain = {k: v for k, v in environment.items() if isinstance(v, str)}
        return marker.evaluate(plain)


def _python_ok(requires: str, markers: Mapping[str, str]) -> bool:
    try:
        return SpecifierSet(requires).contains(
            markers.get("python_full_version", ""), prereleases=True
        )
    except InvalidSpecifier:
        return True


def _uri(lock: Path, path: str) -> str:
    return (lock.parent / path).resolve().as_uri()
