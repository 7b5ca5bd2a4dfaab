"""Probes of the import system: modules, packages, specs, reloads, failures and cycles."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

from compat.registry import describe_error, probe

# What tools that introspect loaders rely on; zipimport's loader has every one of them.
LOADER_METHODS = (
    "create_module",
    "exec_module",
    "get_code",
    "get_data",
    "get_filename",
    "get_resource_reader",
    "get_source",
    "is_package",
)
MISSING = "<missing>"


@probe("import_modules_and_packages")
def import_modules_and_packages() -> dict[str, Any]:
    """Absolute, relative, dynamic and fromlist imports of modules and packages."""
    import compat.plugins
    import compat.subjects.relatives as relatives

    deep = importlib.import_module("compat.plugins.nested.deep")
    via_fromlist = __import__("compat.plugins", fromlist=["beta_plugin"])
    return {
        "relative_imports": relatives.SUMMARY,
        "import_module": deep.NAME,
        "submodule_bound_on_parent": compat.plugins.nested.deep is deep,
        "fromlist_returns_package": via_fromlist is compat.plugins,
        "fromlist_loads_submodule": via_fromlist.beta_plugin.NAME,
        "package_has_path": hasattr(compat.plugins, "__path__"),
        "module_has_no_path": not hasattr(relatives, "__path__"),
    }


@probe("module_attributes")
def module_attributes() -> dict[str, Any]:
    """``__spec__``, ``__loader__``, ``__file__``, ``__path__``, ``__package__``, ``__cached__``."""
    import compat
    import compat.formatters
    import compat.plugins.nested
    import compat.plugins.nested.deep

    return {
        module.__name__: _describe_module(module)
        for module in (
            compat,
            compat.formatters,
            compat.plugins.nested,
            compat.plugins.nested.deep,
        )
    }


@probe("namespace_package")
def namespace_package() -> dict[str, Any]:
    """``compatns``, split between the distributions compat-ns-a and compat-ns-b."""
    import pkgutil

    # Installed by compat-ns-a and compat-ns-b, which type checkers need not see.
    import compatns  # type: ignore[import-not-found, unused-ignore]
    import compatns.alpha  # type: ignore[import-not-found, unused-ignore]
    import compatns.beta  # type: ignore[import-not-found, unused-ignore]

    spec = compatns.__spec__
    return {
        "portions": [compatns.alpha.NAME, compatns.beta.NAME, compatns.beta.PARTNER],
        "path": list(compatns.__path__),
        "path_type": type(compatns.__path__).__name__,
        "file": getattr(compatns, "__file__", MISSING),
        "package": compatns.__package__,
        "spec_origin": spec.origin,
        "spec_has_location": spec.has_location,
        "spec_locations": list(spec.submodule_search_locations or ()),
        "loader_type": type(compatns.__loader__).__name__,
        "loader_is_spec_loader": compatns.__loader__ is spec.loader,
        "iter_modules": sorted((m.name, m.ispkg) for m in pkgutil.iter_modules(compatns.__path__)),
        "portion_files": [compatns.alpha.__file__, compatns.beta.__file__],
    }


@probe("reload")
def reload() -> dict[str, Any]:
    """``importlib.reload`` of a module and of a package runs their code again in place."""
    import compat.plugins
    import compat.subjects.counter as counter

    loads_before = counter.LOADS
    reloaded = importlib.reload(counter)
    package = importlib.reload(compat.plugins)
    return {
        "code_ran_again": reloaded.LOADS - loads_before,
        "same_module_object": reloaded is counter,
        "still_in_sys_modules": sys.modules["compat.subjects.counter"] is counter,
        "file_after_reload": reloaded.__file__,
        "spec_name_after_reload": getattr(reloaded.__spec__, "name", None),
        "package_same_object": package is compat.plugins,
        "package_path_after_reload": list(package.__path__),
    }


@probe("find_spec")
def find_spec() -> dict[str, Any]:
    """``importlib.util.find_spec`` of modules, packages, submodules and missing names."""
    return {
        "module": _describe_spec(importlib.util.find_spec("compat.formatters")),
        "package": _describe_spec(importlib.util.find_spec("compat.plugins")),
        "submodule": _describe_spec(importlib.util.find_spec("compat.plugins.nested.deep")),
        "relative": _describe_spec(importlib.util.find_spec(".late", "compat.subjects")),
        "namespace": _describe_spec(importlib.util.find_spec("compatns")),
        "missing_submodule": _describe_spec(importlib.util.find_spec("compat.no_such_module")),
        "missing_top_level": _describe_spec(importlib.util.find_spec("no_such_top_level_xyz")),
        "already_imported_returns_its_spec": (
            importlib.util.find_spec("compat") is sys.modules["compat"].__spec__
        ),
    }


@probe("failing_import")
def failing_import() -> dict[str, Any]:
    """A module that raises while importing leaves no trace and raises again next time."""
    import compat.subjects

    first = _import_error("compat.subjects.broken")
    left_in_sys_modules = "compat.subjects.broken" in sys.modules
    second = _import_error("compat.subjects.broken")
    missing = _import_error("compat.subjects.no_such_module")
    return {
        "first_attempt": first,
        "left_in_sys_modules": left_in_sys_modules,
        "bound_on_parent": hasattr(compat.subjects, "broken"),
        "second_attempt": second,
        "dependency_stays_imported": "compat.subjects.broken_dependency" in sys.modules,
        "missing_module": missing,
    }


@probe("circular_imports")
def circular_imports() -> dict[str, Any]:
    """A cycle that works through a half-initialised module, and one that cannot work."""
    from compat.subjects import circ_a, circ_b

    failure = _import_error("compat.subjects.tangled_a")
    return {
        "working_cycle": [circ_a.partner(), circ_b.partner(), circ_b.SAW_PARTIAL_MODULE],
        "failing_cycle": failure,
        "failing_cycle_left_in_sys_modules": sorted(
            name
            for name in ("compat.subjects.tangled_a", "compat.subjects.tangled_b")
            if name in sys.modules
        ),
    }


@probe("invalidate_caches")
def invalidate_caches() -> dict[str, Any]:
    """``importlib.invalidate_caches()`` works, and imports keep working after it."""
    importlib.invalidate_caches()
    first_time = "compat.subjects.late" not in sys.modules
    import compat.subjects.late

    return {
        "late_module_first_imported_after": first_time,
        "late_module": compat.subjects.late.NAME,
        "find_spec_after": _describe_spec(importlib.util.find_spec("compat.plugins.beta_plugin")),
    }


def _describe_module(module: ModuleType) -> dict[str, Any]:
    # Any: these are what the probe inspects, whatever their declared types.
    spec: Any = module.__spec__
    loader: Any = module.__loader__
    file = getattr(module, "__file__", MISSING)
    name = module.__name__
    code = loader.get_code(name)
    return {
        "name": name,
        "spec_name": spec.name,
        "package": module.__package__,
        "spec_parent": spec.parent,
        "file": file,
        "file_is_absolute": isinstance(file, str) and os.path.isabs(file),
        "cached": getattr(module, "__cached__", MISSING),
        "spec_cached": spec.cached,
        "path": list(module.__path__) if hasattr(module, "__path__") else MISSING,
        "spec_origin_is_file": spec.origin == file,
        "spec_has_location": spec.has_location,
        "spec_locations": (
            None
            if spec.submodule_search_locations is None
            else list(spec.submodule_search_locations)
        ),
        "loader_is_spec_loader": loader is spec.loader,
        "loader_methods": [m for m in LOADER_METHODS if callable(getattr(loader, m, None))],
        "loader_is_package": loader.is_package(name),
        "loader_get_filename": loader.get_filename(name),
        "loader_source_first_line": (loader.get_source(name) or "").splitlines()[:1],
        "code_filename_is_file": code.co_filename == file,
    }


def _describe_spec(spec: Any | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {
        "name": spec.name,
        "parent": spec.parent,
        "origin": spec.origin,
        "has_location": spec.has_location,
        "cached": spec.cached,
        "locations": (
            None
            if spec.submodule_search_locations is None
            else list(spec.submodule_search_locations)
        ),
        "loader_can_exec": callable(getattr(spec.loader, "exec_module", None)),
    }


def _import_error(name: str) -> dict[str, Any]:
    try:
        importlib.import_module(name)
    except Exception as exc:
        return {
            "error": describe_error(exc),
            "name": getattr(exc, "name", MISSING),
            "path": getattr(exc, "path", MISSING),
        }
    return {"error": None}
