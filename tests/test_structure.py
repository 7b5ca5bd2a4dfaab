"""The house rules of ``bundler/``: no import cycles (type-only imports count), small
modules, classes and functions, no repeated blocks, the runtime on the standard library
alone, and a unit-test file for each module."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "bundler"
LIMITS = {"module": 400, "class": 150, "function": 50}
# Modules without a unit-test file of their own, and why.
UNTESTED = {
    "bundler/__main__.py": "two lines; every e2e test runs it",
    "bundler/errors.py": "exception classes; each is asserted where it is raised",
    "bundler/resolve/graph.py": "records; exercised by tests/resolve/test_walk.py",
    "bundler/runtime/child.py": "runs only as a multiprocessing child: tests/e2e/test_parity.py",
}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module this one imports, at any depth of its code (TYPE_CHECKING included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {target for target in _imports(name, path) if target in modules and target != name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_cycle_detection_sees_a_cycle() -> None:
    """The check above would catch a cycle, also through a type-only import."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_runtime_imports_nothing_outside_itself_and_the_standard_library() -> None:
    stdlib = sys.stdlib_module_names
    for name, path in _modules().items():
        if not name.startswith("bundler.runtime"):
            continue
        for target in _imports(name, path):
            top = target.partition(".")[0]
            assert target.startswith("bundler.runtime") or top in stdlib, (name, target)


def test_runtime_layers_import_only_layers_below() -> None:
    layers = [
        {"bundler.runtime.pycache"},
        {"bundler.runtime.first"},  # what __main__.py runs first; it runs the package
        {"bundler.runtime"},
        {"bundler.runtime.trust", "bundler.runtime.platforms", "bundler.runtime.packs"},
        {"bundler.runtime.cache", "bundler.runtime.reader", "bundler.runtime.targets"},
        {"bundler.runtime.stream"},
        {
            "bundler.runtime.resources",
            "bundler.runtime.metadata",
            "bundler.runtime.extract",
            "bundler.runtime.patches",
            "bundler.runtime.tracebacks",
        },
        {"bundler.runtime.special"},
        {"bundler.runtime.importer"},
        {"bundler.runtime.bootstrap"},
        {"bundler.runtime.child"},
    ]
    level = {name: depth for depth, names in enumerate(layers) for name in names}
    graph = _graph()
    assert set(level) == {name for name in graph if name.startswith("bundler.runtime")}
    for name, depth in level.items():
        for target in graph[name]:
            lower = level[target] < depth
            # resources is the one module of its layer that others of it may use.
            sideways = level[target] == depth and target == "bundler.runtime.resources"
            assert lower or sideways, f"{name} imports {target}, which is not below it"


def _sizes() -> Iterator[tuple[str, str, int]]:
    for path in _modules().values():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(REPO).as_posix()
        yield "module", where, len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                yield "class", f"{where}:{node.name}", node.end_lineno - node.lineno + 1  # type: ignore[operator]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                yield "function", f"{where}:{node.name}", lines


def test_modules_classes_and_functions_stay_small() -> None:
    too_big = [
        f"{kind} {where} has {lines} lines (limit {LIMITS[kind]})"
        for kind, where, lines in _sizes()
        if lines > LIMITS[kind]
    ]
    assert too_big == []


def test_every_module_has_a_unit_test_file() -> None:
    missing = []
    for path in _modules().values():
        relative = path.relative_to(REPO).as_posix()
        if path.name == "__init__.py" and path.parent != PACKAGE / "runtime":
            continue  # a package's __init__ only re-exports
        test_name = "test_init.py" if path.name == "__init__.py" else f"test_{path.name}"
        test = REPO / "tests" / path.parent.relative_to(PACKAGE) / test_name
        if not test.is_file() and relative not in UNTESTED:
            missing.append(f"{relative} (expected {test.relative_to(REPO)})")
    assert missing == []


@pytest.mark.skipif(shutil.which("duplicates") is None, reason="the duplicates tool is absent")
def test_no_repeated_blocks() -> None:
    """No six lines, alike or of the same shape, appear twice in bundler/."""
    report = subprocess.run(
        ["duplicates", "--repo", str(PACKAGE), "--min-lines", "6", "--most", "50"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert report.startswith("no duplicates"), report
