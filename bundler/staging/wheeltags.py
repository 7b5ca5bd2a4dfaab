"""Why pip found no distribution: wheels for other Pythons or platforms, or for other
``Requires-Python`` ranges. pip says only "from versions: none"; asked again with debug
output, it names every file it skipped and why, which is what the user needs to hear."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from bundler.staging.tools import ToolSettings, run_tool

__all__ = ["Diagnosis", "missing_wheel"]

_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
_WRONG_TAGS = re.compile(
    r"Skipping link: none of the wheel's tags \((.*?)\) are compatible.*: (\S+)"
)
_WRONG_PYTHON = re.compile(r"Link requires a different Python \((\S+) not in: '([^']*)'\): (\S+)")


@dataclass(frozen=True)
class Diagnosis:
    """What pip's second look found: a sentence about the files it skipped (None when it
    skipped none: the name or version is wrong), and its output (which shows an index it
    could not reach)."""

    message: str | None
    lines: tuple[str, ...] = ()


def missing_wheel(
    reason: str,
    pip: Sequence[str],
    index_arguments: Sequence[str],
    settings: ToolSettings,
    target: str | None = None,
) -> Diagnosis:
    """Ask pip again, with its debug output, why it found no distribution for ``reason``
    (for the interpreter, or for the ``target`` staged without one: its name)."""
    found = _NOT_FOUND.search(reason)
    name_match = _NAME.match(found.group(1)) if found else None
    if found is None or name_match is None:
        return Diagnosis(None)
    requirement, name = found.group(1), canonicalize_name(name_match.group(0))
    quiet = dataclasses.replace(settings, verbose=False)
    with tempfile.TemporaryDirectory(prefix="bundle-why-", dir=settings.temp_dir) as scratch:
        command = [*pip, "download", "--no-deps", "--dest", scratch]
        command += [] if target else ["--only-binary=:all:"]  # a target's options have it
        command += ["-vvv", "--disable-pip-version-check", *index_arguments, "--", requirement]
        output = run_tool(command, settings=quiet, what=f"pip looking for {requirement}")
    tags: dict[str, set[str]] = {}
    pythons: dict[str, set[str]] = {}
    for line in output.lines:
        wrong_tags = _WRONG_TAGS.search(line)
        if wrong_tags is not None:
            _note(tags, name, wrong_tags.group(2), wrong_tags.group(1).split(", "))
        wrong_python = _WRONG_PYTHON.search(line)
        if wrong_python is not None:
            _note(pythons, name, wrong_python.group(3), [wrong_python.group(2)])
    return Diagnosis(_sentence(found.group(1), tags, pythons, target), output.lines)


def _sentence(
    shown: str, tags: dict[str, set[str]], pythons: dict[str, set[str]], target: str | None
) -> str | None:
    if target is not None and (tags or pythons):
        return (
            f"no wheel of {shown} for target {target} (the wheels found, {_versions(tags)}, "
            f"are tagged {_listed(tags)}); add one where pip looks, or drop that target"
            if tags
            else f"no release of {shown} found supports target {target} (they require "
            f"Python {_listed(pythons)}); pick another version, or drop that target"
        )
    if tags:
        return (
            f"no wheel of {shown} for this Python and platform: the wheels found "
            f"({_versions(tags)}) are tagged {_listed(tags)}; pass --python an interpreter they "
            "support, or add a wheel for this one (or its sdist) where pip looks"
        )
    if pythons:
        return (
            f"every release of {shown} found ({_versions(pythons)}) requires Python "
            f"{_listed(pythons)}; pick a version that supports the target, or pass --python "
            "another interpreter"
        )
    return None


def _note(found: dict[str, set[str]], name: str, url: str, values: list[str]) -> None:
    """Record ``values`` under the version of the file ``url``, if it is one of ``name``."""
    filename = url.split("#")[0].rsplit("/", 1)[-1]
    try:
        project, version, _, _ = parse_wheel_filename(filename.replace("%2B", "+"))
    except InvalidWheelFilename:
        return
    if project == name:
        found.setdefault(str(version), set()).update(values)


def _versions(found: dict[str, set[str]]) -> str:
    return ", ".join(sorted(found))


def _listed(found: dict[str, set[str]], limit: int = 6) -> str:
    values = sorted({value for values in found.values() for value in values})
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more
