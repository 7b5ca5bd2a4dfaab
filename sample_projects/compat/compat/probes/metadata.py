"""Probes of distribution metadata: ``importlib.metadata`` and the optional backports."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from importlib import metadata
from typing import Any, Callable

from compat.registry import describe_error, probe

# Literal imports, so that the bundler finds them; bundled where the build environment has them.
try:
    import importlib_metadata  # type: ignore[import-not-found, unused-ignore]
except ImportError:
    importlib_metadata = None
try:
    import importlib_resources  # type: ignore[import-not-found, unused-ignore]
except ImportError:
    importlib_resources = None

OUR_DISTRIBUTIONS = ("compat", "compat-ns-a", "compat-ns-b")
# Spellings of compat-ns-b that every Python from 3.9 on finds (3.9 does not fold dots).
UNNORMALISED = ("COMPAT-NS-B", "Compat_NS_B")
GROUP = "compat.formatters"
PYCACHE = "__pycache__"


@probe("metadata_version")
def metadata_version() -> dict[str, Any]:
    """``importlib.metadata.version`` by exact, unnormalised and unknown names."""
    return {
        "exact": [metadata.version(name) for name in OUR_DISTRIBUTIONS],
        "unnormalised_names": [_attempt(metadata.version, name) for name in UNNORMALISED],
        "unknown": _attempt(metadata.version, "no-such-distribution"),
    }


@probe("metadata_fields")
def metadata_fields() -> dict[str, Any]:
    """``importlib.metadata.metadata()`` fields of the project and of a dependency."""
    fields = ("Name", "Version", "Summary", "Requires-Python")
    return {
        name: {field: metadata.metadata(name)[field] for field in fields}
        for name in OUR_DISTRIBUTIONS
    }


@probe("metadata_entry_points")
def metadata_entry_points() -> dict[str, Any]:
    """Entry points by group (the 3.9 dict API, or ``select`` on 3.10+), loaded and called."""
    group = _entry_points(GROUP)
    loaded = {ep.name: ep.load()("entry point") for ep in group}
    scripts = [ep for ep in _entry_points("console_scripts") if ep.name == "compat"]
    result: dict[str, Any] = {
        "group": sorted((ep.name, ep.value, ep.group) for ep in group),
        "loaded_and_called": loaded,
        "console_script": [ep.value for ep in scripts],
        "of_distribution": sorted(ep.name for ep in metadata.distribution("compat").entry_points),
    }
    if sys.version_info >= (3, 10):
        selected = metadata.entry_points().select(group=GROUP, name="shout")
        result["select_by_name"] = [ep.value for ep in selected]
        result["dist_of_entry_point"] = sorted(
            ep.dist.metadata["Name"] for ep in group if ep.dist is not None
        )
    return result


@probe("metadata_files")
def metadata_files() -> dict[str, Any]:
    """``files()`` of a dependency and of the project; ``read_text`` and ``locate`` of one."""
    dependency = metadata.files("compat-ns-a") or []
    alpha = next(f for f in dependency if str(f) == "compatns/alpha.py")
    project = metadata.files("compat") or []
    return {
        "dependency_files": _without_bytecode(dependency),
        "project_package_files": [
            name for name in _without_bytecode(project) if name.startswith("compat/")
        ],
        "read_text_first_line": alpha.read_text().splitlines()[0],
        "locate": str(alpha.locate()),
        "hash_mode": alpha.hash.mode if alpha.hash is not None else None,
        "size": alpha.size,
        "locate_root": str(metadata.distribution("compat-ns-a").locate_file("")),
        "read_text_top_level": metadata.distribution("compat-ns-a").read_text("top_level.txt"),
        "read_text_missing": metadata.distribution("compat-ns-a").read_text("NO_SUCH_FILE"),
    }


@probe("metadata_requires")
def metadata_requires() -> dict[str, Any]:
    """``importlib.metadata.requires`` of the project and its dependencies."""
    return {name: metadata.requires(name) for name in OUR_DISTRIBUTIONS}


@probe("metadata_distributions")
def metadata_distributions() -> dict[str, Any]:
    """``distributions()`` lists each of our distributions once."""
    names = [dist.metadata["Name"] for dist in metadata.distributions()]
    ours = sorted(name for name in names if name.lower().startswith("compat"))
    return {
        "ours": ours,
        "from_name": metadata.Distribution.from_name("compat-ns-b").metadata["Name"],
    }


@probe("metadata_packages_distributions")
def metadata_packages_distributions() -> Any:
    """``packages_distributions()`` (Python 3.10+) maps our import names to distributions."""
    if sys.version_info < (3, 10):
        return "needs Python 3.10"
    mapping = metadata.packages_distributions()
    return {name: sorted(mapping.get(name, [])) for name in ("compat", "compatns")}


@probe("metadata_backports")
def metadata_backports() -> dict[str, Any]:
    """``importlib_metadata`` and ``importlib_resources``, when they are installed."""
    result: dict[str, Any] = {}
    if importlib_metadata is None:
        result["importlib_metadata"] = "absent"
    else:
        group = importlib_metadata.entry_points(group=GROUP)
        result["importlib_metadata"] = {
            "version": importlib_metadata.version("compat-ns-a"),
            "entry_points": sorted(ep.name for ep in group),
            "requires": importlib_metadata.requires("compat-ns-b"),
            "files": len(_without_bytecode(importlib_metadata.files("compat-ns-a") or [])),
        }
    if importlib_resources is None:
        result["importlib_resources"] = "absent"
    else:
        root = importlib_resources.files("compat.assets")
        result["importlib_resources"] = {
            "read_text": (root / "greeting.txt").read_text(encoding="utf-8"),
            "iterdir": sorted(p.name for p in root.iterdir() if p.name != PYCACHE),
        }
    return result


def _entry_points(group: str) -> list[Any]:
    if sys.version_info >= (3, 10):
        return list(metadata.entry_points(group=group))
    return list(metadata.entry_points().get(group, ()))


def _without_bytecode(files: Iterable[Any]) -> list[str]:
    return sorted(str(f) for f in files if PYCACHE not in str(f))


def _attempt(function: Callable[..., Any], *args: Any) -> str | None:
    try:
        return str(function(*args))
    except Exception as exc:
        return describe_error(exc)
