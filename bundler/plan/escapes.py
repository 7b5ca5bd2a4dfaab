"""Where a path next to ``__file__`` leaves the code the zip-safety analysis can follow:
handed to a function it does not know, stored where other code reads it, or built from
another package's module. Each is evidence that the package's files must be real."""

from __future__ import annotations

import ast

from bundler.plan.scopes import Scopes, qualified_name
from bundler.plan.sinks import (
    ARGUMENT_METHOD_SINKS,
    LAUNDERING,
    PATH_FUNCTIONS,
    PATH_METHODS,
    PATH_SINKS,
    RECEIVER_SINKS,
    REPORTING_METHODS,
    RESOURCE_FILE_CALLS,
)

__all__ = [
    "escaping_callee",
    "foreign_files",
    "foreign_names",
    "imported_module",
    "is_own",
    "is_sink",
    "reads",
    "stored_escape",
]

_FILE_ATTRIBUTES = frozenset({"__file__", "__path__"})

# Methods whose result is what they read, not a path (loader.get_data(__file__)).
_READERS = frozenset({"get_data", "read", "readlines", "readline"})
# Builtins that only gather values: their result is followed as a path.
_CONTAINERS = frozenset(
    {
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "reversed",
        "dict",
        "min",
        "max",
        "next",
        "iter",
        "any",
        "all",
        "enumerate",
        "zip",
        "map",
        "filter",
        "pkgutil.extend_path",
        "super",
        "type",
        "getattr",
    }
)


def escaping_callee(node: ast.Call, aliases: dict[str, str]) -> str | None:
    """The name of the callee of ``node`` when a path given to it leaves the code the
    analysis follows (another module's function, a class, a callback); None when the
    callee only computes a path, reads it or reports it."""
    name = qualified_name(node.func, aliases)
    if name in PATH_FUNCTIONS or name in LAUNDERING or name in _CONTAINERS:
        return None
    if isinstance(node.func, ast.Attribute):
        method = node.func.attr
        if method in PATH_METHODS or method in REPORTING_METHODS or method in _READERS:
            return None
    return "a function" if name is None else name.lstrip(".")


def stored_escape(target: ast.expr, scope: int, scopes: Scopes) -> str | None:
    """How a path assigned to ``target`` in ``scope`` becomes readable by other code: on
    an object, or in a public name of the module or of a class (``from pkg.paths import
    DATA_DIR``); None for a local or private name."""
    if isinstance(target, ast.Attribute):
        return f"stored on .{target.attr}"
    if not isinstance(target, ast.Name) or target.id.startswith("_"):
        return None
    shared = scope == 0 or scopes.is_class(scope)
    if shared or scopes.binding_scope(scope, target.id) == 0:
        return f"stored in {target.id}"
    return None


def imported_module(owner: ast.expr, aliases: dict[str, str]) -> str | None:
    """The dotted name of the imported module ``owner`` stands for (``pkg.sub`` in
    ``pkg.sub.__file__``, ``.cfuncs`` after ``from . import cfuncs``); None for a
    variable, which may hold any module."""
    root: ast.expr = owner
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name) or root.id not in aliases:
        return None
    return qualified_name(owner, aliases)


def reads(func: ast.expr) -> bool:
    """Whether calling ``func`` reads or opens its receiver (``path.read_text()``): the
    result is contents or a file object, not a path."""
    return isinstance(func, ast.Attribute) and (
        func.attr in RECEIVER_SINKS or func.attr in _READERS
    )


def is_sink(node: ast.Call, aliases: dict[str, str]) -> bool:
    """Whether ``node`` calls something that needs real files, whatever it is given."""
    name = qualified_name(node.func, aliases)
    if name in PATH_SINKS or name in RESOURCE_FILE_CALLS:
        return True
    method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    return method in RECEIVER_SINKS or method in ARGUMENT_METHOD_SINKS


def is_own(owner: ast.expr, aliases: dict[str, str], package: str | None) -> bool:
    """Whether ``owner.__file__`` is in ``package``: a module imported from it (``from .
    import cfuncs``, ``import pkg.sub``), or ``sys.modules[__name__]``; not another
    package, nor a module object passed in (``def f(module)``)."""
    if qualified_name(owner, aliases) is None or package is None:
        return True  # sys.modules[__name__].__file__ and the like
    name = imported_module(owner, aliases)
    if name is None:
        return False  # a variable holding some module: not known to be this one
    return name.startswith(".") or name.partition(".")[0] == package


def foreign_files(
    node: ast.AST,
    aliases: dict[str, str],
    package: str,
    *,
    at_call: bool = False,
    scopes: Scopes | None = None,
    names: dict[tuple[int, str], str] | None = None,
) -> list[tuple[int, str]]:
    """(line, module) of each module of another package whose file ``node`` (a value
    returned or stored; ``at_call``: a call) opens or lets leave: that package's files
    must be real (``os.listdir(os.path.dirname(other.__file__))``). ``names``: the
    variables (by ``scopes``) that hold such a path, and the module it belongs to."""
    if at_call and isinstance(node, ast.Call):
        leaves = is_sink(node, aliases) or escaping_callee(node, aliases) is not None
        if not leaves:
            return []  # os.path.basename(), print(), a check: nothing reaches the files
    found = []
    for inner in ast.walk(node):
        if isinstance(inner, ast.Attribute) and inner.attr in _FILE_ATTRIBUTES:
            other = imported_module(inner.value, aliases)
            if other is not None and not is_own(inner.value, aliases, package):
                found.append((inner.lineno, other))
        elif isinstance(inner, ast.Name) and names and scopes is not None:
            module = names.get(scopes.resolve(inner))
            if module is not None:
                found.append((inner.lineno, module))
    return found


def foreign_names(
    scopes: Scopes, aliases: dict[str, str], package: str
) -> dict[tuple[int, str], str]:
    """The variables that hold a path built from another package's module file
    (``table = os.path.join(os.path.dirname(other.__file__), "t.txt")``), and that
    module: followed through assignments until nothing changes."""
    names: dict[tuple[int, str], str] = {}
    changed = True
    while changed:
        changed = False
        for targets, value, scope in scopes.bindings:
            found = foreign_files(value, aliases, package, scopes=scopes, names=names)
            for target in targets if found else ():
                if isinstance(target, ast.Name):
                    key = (scopes.binding_scope(scope, target.id), target.id)
                    if key not in names:
                        names[key] = found[0][1]
                        changed = True
    return names
