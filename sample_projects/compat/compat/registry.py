"""The probe registry, and the normalisation that makes results comparable across installs.

A probe is a function without arguments that returns JSON-able data. Paths in that data are
written relative to the directory the ``compat`` package was imported from (``<root>``: the
site-packages of a virtualenv, or the archive itself) and the bytecode cache tag as
``<tag>``, so that an installed copy and an archived copy give the same text.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable

import compat

ProbeFunction = Callable[[], Any]

ROOT_TOKEN = "<root>"
TAG_TOKEN = "<tag>"


@dataclass(frozen=True)
class Probe:
    """One registered probe."""

    name: str
    function: ProbeFunction
    in_all: bool
    summary: str


PROBES: dict[str, Probe] = {}


def probe(name: str, *, in_all: bool = True) -> Callable[[ProbeFunction], ProbeFunction]:
    """Register the decorated function as the probe ``name``.

    ``in_all=False`` keeps it out of ``probe --all``: it only makes sense in one way of
    starting the app (``main_module`` under ``python -m``, ``child`` under a parent probe).
    """

    def register(function: ProbeFunction) -> ProbeFunction:
        if name in PROBES:
            raise ValueError(f"probe {name!r} is registered twice")
        summary = (function.__doc__ or "").strip().splitlines()[0]
        PROBES[name] = Probe(name, function, in_all, summary)
        return function

    return register


def names_in_all() -> list[str]:
    """The probes that ``probe --all`` runs, in registration order."""
    return [name for name, registered in PROBES.items() if registered.in_all]


def run_probes(names: Iterable[str]) -> dict[str, Any]:
    """Run each probe; a probe that raises reports ``{"error": "Type: message"}``."""
    results: dict[str, Any] = {}
    for name in names:
        try:
            results[name] = normalise(PROBES[name].function())
        except Exception as exc:  # a failing probe must not hide the others' results
            results[name] = {"error": describe_error(exc)}
    return results


def install_root() -> str:
    """The directory that holds the ``compat`` package: site-packages, or the archive."""
    package_dir = os.path.dirname(os.path.abspath(compat.__file__))
    return os.path.dirname(package_dir)


def normalise(value: Any) -> Any:
    """``value`` as plain JSON data, with the install root and cache tag replaced by tokens."""
    if isinstance(value, str):
        return _normalise_text(value)
    if isinstance(value, os.PathLike):
        return _normalise_text(os.fspath(value))
    if isinstance(value, dict):
        return {str(key): normalise(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _normalise_text(repr(value))


def describe_error(exc: BaseException) -> str:
    """``Type: message`` with paths normalised."""
    return _normalise_text(f"{type(exc).__name__}: {exc}")


def _normalise_text(text: str) -> str:
    text = text.replace(install_root(), ROOT_TOKEN)
    tag = sys.implementation.cache_tag
    if tag:
        text = text.replace(tag, TAG_TOKEN)
    return text.replace(os.sep, "/")
