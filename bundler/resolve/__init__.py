"""The resolver: from the entry point, follow imports over the target environment and
classify every module reached (``walk``), with the records it returns (``graph``)."""

from bundler.resolve.graph import Graph, ImportRef, MissingImport, Module, ModuleKind
from bundler.resolve.locate import ModuleLocator
from bundler.resolve.plugins import plugin_roots
from bundler.resolve.scan import scan_imports
from bundler.resolve.walk import resolve_imports

__all__ = [
    "Graph",
    "ImportRef",
    "MissingImport",
    "Module",
    "ModuleKind",
    "ModuleLocator",
    "plugin_roots",
    "resolve_imports",
    "scan_imports",
]
