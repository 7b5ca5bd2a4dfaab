"""Installed distributions and interpreter records for unit tests, without pip and without
running an interpreter."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bundler.environment import Interpreter
from tests.conftest import write_project

__all__ = ["fake_interpreter", "install_distribution", "stdlib_only"]


def install_distribution(
    site: Path,
    name: str,
    files: Mapping[str, str] | None = None,
    *,
    version: str = "1.0",
    entry_points: str = "",
    requires: Sequence[str] = (),
    requires_python: str | None = None,
) -> Path:
    """Write a distribution into ``site`` as pip leaves it: its files, then a
    ``<name>-<version>.dist-info`` with METADATA, ``entry_points.txt`` (the text given)
    and a RECORD listing every file; returns the dist-info directory."""
    dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
    headers = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python is not None:
        headers.append(f"Requires-Python: {requires_python}")
    headers += [f"Requires-Dist: {requirement}" for requirement in requires]
    tree = {**(files or {}), f"{dist_info}/METADATA": "\n".join(headers) + "\n\n"}
    if entry_points:
        tree[f"{dist_info}/entry_points.txt"] = entry_points
    tree[f"{dist_info}/RECORD"] = "".join(f"{path},,\n" for path in [*tree, f"{dist_info}/RECORD"])
    write_project(site, tree)
    return site / dist_info


def fake_interpreter(**changes: Any) -> Interpreter:
    """A CPython 3.11 on Linux under ``/opt/python`` that exists only as this record."""
    base = Interpreter(
        executable="/opt/python/bin/python3.11",
        version=(3, 11, 7),
        implementation="cpython",
        cache_tag="cpython-311",
        platform="linux-x86_64",
        sys_path=(),
        stdlib_dirs=(Path("/opt/python/lib/python3.11"),),
        site_dirs=(Path("/opt/python/lib/python3.11/site-packages"),),
        builtin_modules=frozenset({"builtins", "sys"}),
        stdlib_names=frozenset({"builtins", "json", "os", "sys"}),
        extension_suffixes=(".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so"),
    )
    return dataclasses.replace(base, **changes)


def stdlib_only(interpreter: Interpreter) -> Interpreter:
    """``interpreter`` with its site directories taken off its path: environments made
    from it hold only the distributions a test installs."""
    path = tuple(p for p in interpreter.sys_path if interpreter.is_stdlib_path(p))
    return dataclasses.replace(interpreter, sys_path=path)
