"""Probes of package data: ``importlib.resources`` (new and legacy API) and ``pkgutil``."""

from __future__ import annotations

import hashlib
import os
import pkgutil
import sys
import warnings
from typing import Any

from compat.registry import describe_error, probe

ASSETS = "compat.assets"
PYCACHE = "__pycache__"  # present or not depending on how the package was installed


@probe("resources_files")
def resources_files() -> dict[str, Any]:
    """``importlib.resources.files()``: read, iterate, ``is_dir``, ``joinpath``, ``open``."""
    from importlib.resources import files

    import compat.assets

    root = files(ASSETS)
    greeting = root / "greeting.txt"
    blob = root.joinpath("blob.bin")
    docs = root / "docs"
    with greeting.open("r", encoding="utf-8") as stream:
        first_line = stream.readline()
    with blob.open("rb") as stream:
        blob_head = list(stream.read(4))
    return {
        "str": str(root),
        "name": greeting.name,
        "read_text": greeting.read_text(encoding="utf-8"),
        "read_bytes_sha256": _sha256(blob.read_bytes()),
        "open_text_first_line": first_line,
        "open_binary_head": blob_head,
        "is_dir": [root.is_dir(), docs.is_dir(), greeting.is_dir()],
        "is_file": [root.is_file(), docs.is_file(), greeting.is_file()],
        "iterdir": _names(root.iterdir()),
        "iterdir_docs": _names(docs.iterdir()),
        "nested_by_slash": (docs / "sub" / "deep.txt").read_text(encoding="utf-8"),
        "nested_by_joinpath_string": root.joinpath("docs/sub/deep.txt").read_text(encoding="utf-8"),
        "missing_exists": (root / "missing.txt").is_file(),
        "files_of_module_object": _names(files(compat.assets).iterdir()),
        "files_of_top_package": (files("compat") / "assets" / "greeting.txt").is_file(),
    }


@probe("resources_as_file")
def resources_as_file() -> dict[str, Any]:
    """``as_file`` gives a real file with the same bytes (and a real directory on 3.12+)."""
    from importlib.resources import as_file, files

    blob = files(ASSETS) / "blob.bin"
    expected = blob.read_bytes()
    with as_file(blob) as path:
        result: dict[str, Any] = {
            "real_file": os.path.isfile(path),
            "bytes_match": _read(path) == expected,
            "name_ends_with_resource_name": os.fspath(path).endswith("blob.bin"),
        }
    if sys.version_info >= (3, 12):
        with as_file(files(ASSETS) / "docs") as directory:
            result["directory"] = {
                "real_directory": os.path.isdir(directory),
                "listing": sorted(os.listdir(directory)),
                "nested": _read(os.path.join(directory, "sub", "deep.txt")).decode(),
            }
    else:
        result["directory"] = "needs Python 3.12"
    return result


@probe("resources_legacy_api")
def resources_legacy_api() -> dict[str, Any]:
    """``open_text``, ``read_binary``, ``read_text``, ``contents``, ``is_resource``, ``path``."""
    from importlib import resources

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.11 and 3.12 deprecate them
        with resources.open_text(ASSETS, "greeting.txt", encoding="utf-8") as stream:
            opened = stream.read()
        with resources.path(ASSETS, "blob.bin") as path:
            by_path = {"real_file": os.path.isfile(path), "sha256": _sha256(_read(path))}
        return {
            "open_text": opened,
            "read_text": resources.read_text(ASSETS, "greeting.txt", encoding="utf-8"),
            "read_binary_sha256": _sha256(resources.read_binary(ASSETS, "blob.bin")),
            "contents": sorted(name for name in resources.contents(ASSETS) if name != PYCACHE),
            "is_resource": [
                resources.is_resource(ASSETS, "greeting.txt"),
                resources.is_resource(ASSETS, "docs"),
                resources.is_resource(ASSETS, "missing.txt"),
            ],
            "path": by_path,
        }


@probe("resources_data_directory_package")
def resources_data_directory_package() -> dict[str, Any]:
    """A data directory without ``__init__.py`` is a namespace package, as in a virtualenv."""
    from importlib.resources import files

    try:
        import compat.assets.docs as docs
    except ImportError as exc:
        return {"import": describe_error(exc)}
    result: dict[str, Any] = {"import": "ok", "path": list(docs.__path__)}
    try:
        result["files_iterdir"] = _names(files("compat.assets.docs").iterdir())
    except Exception as exc:  # Python 3.9 cannot read namespace packages
        result["files_iterdir"] = describe_error(exc)
    return result


@probe("pkgutil_get_data")
def pkgutil_get_data() -> dict[str, Any]:
    """``pkgutil.get_data`` of files beside a package and in its subdirectories."""
    greeting = pkgutil.get_data(ASSETS, "greeting.txt")
    deep = pkgutil.get_data("compat", "assets/docs/sub/deep.txt")
    try:
        pkgutil.get_data(ASSETS, "missing.txt")
        missing = "no error"
    except OSError as exc:
        missing = type(exc).__name__
    return {
        "greeting": greeting.decode("utf-8") if greeting is not None else None,
        "nested": deep.decode("utf-8") if deep is not None else None,
        "missing": missing,
    }


@probe("pkgutil_plugin_discovery")
def pkgutil_plugin_discovery() -> dict[str, Any]:
    """``pkgutil.iter_modules`` and ``walk_packages`` find every plugin module."""
    import compat.plugins

    plugins_path = compat.plugins.__path__
    walked = pkgutil.walk_packages(plugins_path, prefix="compat.plugins.")
    return {
        "iter_modules": sorted((m.name, m.ispkg) for m in pkgutil.iter_modules(plugins_path)),
        "iter_modules_prefixed": sorted(
            m.name for m in pkgutil.iter_modules(plugins_path, prefix="compat.plugins.")
        ),
        "iter_modules_of_dirname": sorted(
            m.name for m in pkgutil.iter_modules([os.path.dirname(compat.plugins.__file__)])
        ),
        "walk_packages": sorted((m.name, m.ispkg) for m in walked),
    }


def _names(entries: Any) -> list[str]:
    return sorted(entry.name for entry in entries if entry.name != PYCACHE)


def _read(path: Any) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
