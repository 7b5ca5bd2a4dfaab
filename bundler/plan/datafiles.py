"""Packages that ship data files (templates, static assets, themes, tables) and read them
through no resource API: some code builds their paths from ``__file__`` (its own, or a
framework's from the package's name, as Flask does), so they must be real files.

A package whose code reads its files through ``importlib.resources``, ``pkgutil.get_data``
or ``pkg_resources``' stream and string functions works from the archive, and so does one
that ships only what tools read (``py.typed``, stubs, C sources and headers, licences).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bundler.plan.payload import Payload, PayloadModule, python_directories
from bundler.runtime import NAMESPACE
from bundler.runtime.extract import is_native, is_python_source

__all__ = [
    "data_names",
    "is_system_data",
    "named_packages",
    "unread_data",
    "uses_resource_api",
]

# What a module that reads package data through the loader mentions.
_RESOURCE_APIS = (
    b"importlib.resources",
    b"importlib_resources",
    b"import resources",  # from importlib import resources
    b"pkgutil.get_data",
    b"import get_data",  # from pkgutil import get_data
    b"loader.get_data",  # __loader__.get_data, spec.loader.get_data
    b"resource_string",
    b"resource_stream",
)
_QUOTED_NAME = re.compile(rb"""['"]([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)['"]""")
# Files that only tools and people read: they say nothing about how the code reads data.
_NOT_DATA_SUFFIXES = (".pyi", ".pxd", ".pyx", ".pxi", ".c", ".h", ".cpp", ".hpp", ".typed")
_NOT_DATA_PREFIXES = ("license", "licence", "copying", "readme", "authors", "notice", "changes")
# Folders of share/ that the system reads (man, info, shells, desktops), never the app.
_SYSTEM_SHARE = frozenset(
    [
        "man",
        "info",
        "doc",
        "licenses",
        "bash-completion",
        "zsh",
        "fish",
        "applications",
        "icons",
        "pixmaps",
        "metainfo",
        "appdata",
        "mime",
    ]
)


def unread_data(
    payload: Payload, modules: Mapping[str, PayloadModule], readers: Iterable[str]
) -> dict[str, str]:
    """Package -> why it must be extracted: it ships data that no resource API of its
    top-level package (``readers``) reads."""
    names = data_names(payload.files)
    with_data = _folders_with_data(payload.files)
    reading = set(readers)
    found: dict[str, str] = {}
    for name, entry in modules.items():
        if not entry.is_package or entry.load == NAMESPACE or entry.member is None:
            continue
        if name in reading or name.partition(".")[0] in reading:
            continue
        directory = name.replace(".", "/")
        data = sorted(
            n for n in names.get(directory, ()) if _holds_data(directory, n, payload, with_data)
        )
        if data:
            shown = ", ".join(_label(directory, n, payload.files) for n in data[:3])
            more = f" and {len(data) - 3} more" if len(data) > 3 else ""
            found[name] = (
                f"zip-unsafe: ships {shown}{more}, which its code reads through no "
                "resource API (a path from __file__ may reach them)"
            )
    return found


def uses_resource_api(code: bytes) -> bool:
    """Whether a module's source mentions a way of reading package data through the
    loader."""
    return any(api in code for api in _RESOURCE_APIS)


def named_packages(code: bytes) -> set[str]:
    """The dotted names quoted in a module's source: the packages a module that reads
    resources may read them from (``files("compatns.beta")``)."""
    return {match.decode() for match in _QUOTED_NAME.findall(code)}


def is_system_data(member: str) -> bool:
    """Whether a data file beside the environment (``.prefix/share/man/man1/tool.1``) is
    one only the system reads (man pages, shell completions, desktop entries), never the
    app."""
    parts = member.split("/")
    return len(parts) > 3 and parts[1] == "share" and parts[2] in _SYSTEM_SHARE


def data_names(files: Iterable[str]) -> dict[str, set[str]]:
    """Directory -> names of the data files and data folders (no Python below) in it."""
    python_dirs = python_directories(files)
    names: dict[str, set[str]] = {}
    for member in files:
        parts = member.split("/")
        if not is_python_source(parts[-1]) and parts[-1] != "py.typed":
            names.setdefault("/".join(parts[:-1]), set()).add(parts[-1])
        for depth in range(len(parts) - 1):  # the folders above it
            if "/".join(parts[: depth + 1]) not in python_dirs:
                names.setdefault("/".join(parts[:depth]), set()).add(parts[depth])
    return names


def _holds_data(directory: str, name: str, payload: Payload, with_data: set[str]) -> bool:
    """Whether ``name`` in ``directory`` is a data file, or a folder with one in it (a
    folder of C headers is not); ``with_data``: the folders that hold a data file."""
    path = f"{directory}/{name}"
    if path in payload.files:
        return _is_data(name)
    return _is_data(name) and path in with_data


def _folders_with_data(files: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for member in files:
        directory, _, name = member.rpartition("/")
        if _is_data(name):
            while directory and directory not in found:
                found.add(directory)
                directory = directory.rpartition("/")[0]
    return found


def _is_data(name: str) -> bool:
    lowered = name.lower()
    return not (
        is_native(name)  # native code is extracted for its own reasons
        or lowered.endswith((".libs", ".dylibs"))
        or lowered.endswith(_NOT_DATA_SUFFIXES)
        or lowered.startswith(_NOT_DATA_PREFIXES)
        or lowered == "__pycache__"
    )


def _label(directory: str, name: str, files: Mapping[str, object]) -> str:
    """``templates/`` for a folder, ``cacert.pem`` for a file."""
    return name if f"{directory}/{name}" in files else f"{name}/"
