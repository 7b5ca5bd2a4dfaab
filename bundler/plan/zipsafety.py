"""Find code that needs its package's files to be real files, not members of a zip.

A module that opens ``os.path.join(os.path.dirname(__file__), "data.json")``, lists
``__path__[0]``, loads a bundled library with ``ctypes`` or asks ``pkg_resources`` for a
file name cannot work from inside an archive. The analysis reads each module's AST: a
value is *file-derived* when it is built from ``__file__``, ``__path__`` or
``__spec__.origin`` (directly, or through names, attributes and local functions assigned
from such values), and a *file access* is a call that needs a real path (``open``,
``os.listdir``, ``glob.glob``, ``ctypes.CDLL``, ``Path.read_text``...) given a
file-derived value. Code that goes through ``importlib.resources``, ``pkgutil.get_data`` or
the loader is zip-safe and is not reported.

A path may also leave the code the analysis follows: returned by a function, stored on
an object or in a public name, handed to a function it does not know (Flask computes an
app's root in its own code; a theme directory is registered with a host app). Each such
escape is evidence too (``FileAccess.escapes``); the planner keeps it when another module
mentions the name it leaves through. ``other.__file__`` of another package, opened or let
out, is evidence about that package (``FileAccess.module``). A false positive costs only
an extraction, which ``zip-safe`` undoes; a miss, which ``extract`` covers, costs a crash.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from bundler.caches.content import content_key
from bundler.caches.results import Results, code_version
from bundler.plan import escapes, scopes, sinks
from bundler.plan.escapes import (
    escaping_callee,
    foreign_files,
    foreign_names,
    is_own,
    is_sink,
    reads,
    stored_escape,
)
from bundler.plan.scopes import Scopes, qualified_name
from bundler.plan.sinks import (
    ARGUMENT_METHOD_SINKS,
    LAUNDERING,
    PATH_SINKS,
    RECEIVER_SINKS,
    RESOURCE_FILE_CALLS,
)

__all__ = ["FileAccess", "cached_file_access", "scan_file_access"]

# Names whose value is a path inside the package.
_FILE_NAMES = frozenset({"__file__", "__path__"})
_FILE_ATTRIBUTES = frozenset({"__file__", "__path__"})
_SPEC_ATTRIBUTES = frozenset({"origin", "submodule_search_locations"})
# Attributes of a path that name no file: Path(__file__).name, .stem.
_NAME_PARTS = frozenset({"name", "stem", "suffix", "suffixes"})

# Cheap byte-level filter: a module mentioning none of these cannot be reported.
_MARKERS = (b"__file__", b"__path__", b"__spec__", b"pkg_resources")


@dataclass(frozen=True)
class FileAccess:
    """One place where a module needs its package's files on disk."""

    line: int
    call: str  # empty when the evidence is a path to a data file, not a call
    # Whether the module builds paths above its own directory ("..", .parent.parent,
    # dirname(dirname(__file__))): then its whole top-level package must be real files.
    climbs: bool = False
    data_file: str = ""  # the package's data file that the path names
    # How a path next to __file__ leaves the code that made it, where nothing can follow
    # it: "returned by root()", "stored on .root_path", "passed to FileSystemLoader()".
    escapes: str = ""
    # The function, name or attribute through which the path leaves ("" for a call): no
    # other module mentioning it, the path stays in the code the analysis followed.
    name: str = ""
    # The module whose files are meant, when it is another package's (``other.__file__``).
    module: str = ""

    def describe(self) -> str:
        """``open() of a path next to __file__``, for the build report."""
        if self.module:
            return f"builds a path from {self.module}.__file__"
        if self.escapes:
            return f"a path next to __file__ is {self.escapes}"
        if not self.call:
            return f"builds the path of {self.data_file!r} next to __file__"
        if self.call in RESOURCE_FILE_CALLS:
            return f"{self.call}() needs real files"
        return f"{self.call}() of a path next to __file__"


def scan_file_access(
    source: bytes,
    filename: str | Path = "<module>",
    package: str | None = None,
    data_files: Collection[str] = (),
) -> list[FileAccess]:
    """Every file access in ``source`` that needs the module's files to be real files.

    ``package`` is the module's top-level package: ``other.__file__`` of another imported
    package is about that package's files, not this one's, and is not followed.
    ``data_files`` are the names of the data files and folders beside the module: a path
    built from ``__file__`` and one of them (``Path(__file__).parent / "template.txt"``)
    is evidence too, wherever it is opened (docutils opens it in another module). Returns
    an empty list for code that does not parse: the resolver reports that.
    """
    if not any(marker in source for marker in _MARKERS):
        return []
    try:
        tree = ast.parse(source, filename=str(filename))
    except (SyntaxError, ValueError):
        return []
    return _Analysis(tree, package, frozenset(data_files)).accesses()


def cached_file_access(
    results: Results, source: bytes, member: str, package: str, data_files: Collection[str]
) -> list[FileAccess]:
    """``scan_file_access`` of one module, kept in ``results`` by everything it reads."""
    version = code_version(sys.modules[__name__], escapes, scopes, sinks)
    names = "\0".join(sorted(data_files)).encode()
    key = content_key(b"files", version, member.encode(), package.encode(), names, source)
    found: list[FileAccess] = results.memo(
        key,
        lambda: scan_file_access(source, member, package, data_files),
        lambda accesses: [dataclasses.asdict(access) for access in accesses],
        lambda rows: [FileAccess(**row) for row in rows],
    )
    return found


class _Analysis:
    """The taint analysis of one module."""

    def __init__(self, tree: ast.Module, package: str | None, data_files: frozenset[str]) -> None:
        self._package = package
        self._data_files = data_files
        self._paths: list[ast.AST] = []  # file-derived values assigned or returned
        self._scopes = Scopes(tree)
        self._aliases = self._scopes.aliases
        self._names: set[tuple[int, str]] = set()  # (scope, name)
        self._attributes: set[str] = set()
        self._functions: set[str] = set()
        self._climbs = False
        # line -> how a path leaves the code, and the name other code must use to get it
        self._escapes: dict[int, tuple[str, str]] = {}
        self._others: dict[int, str] = {}  # line -> another package's module
        self._foreign: dict[tuple[int, str], str] | None = None  # names holding its paths

    def accesses(self) -> list[FileAccess]:
        self._propagate()
        found: dict[tuple[int, str], str] = {}
        for node in self._scopes.calls:
            call = self._sink(node)
            if self._package is not None and (is_sink(node, self._aliases) or call is None):
                self._note_foreign(node, at_call=True)
            if call is not None:
                found.setdefault((node.lineno, call), "")
                self._climbs |= _climbs(node)
                continue
            if self._data_files:
                self._paths += [a for a in node.args if self._derived(a)]
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if any(self._derived(argument) for argument in arguments):
                callee = escaping_callee(node, self._aliases)
                if callee is not None:  # says more than "stored in" the call's result
                    self._escapes[node.lineno] = (f"passed to {callee}()", "")
        for _function, value in self._scopes.returns if self._package is not None else ():
            self._note_foreign(value)
        for targets, value, scope in self._scopes.bindings if self._package is not None else ():
            if any(stored_escape(target, scope, self._scopes) for target in targets):
                self._note_foreign(value)
        lines_with_calls = {line for line, _call in found}
        for value in self._paths:
            line = getattr(value, "lineno", 0)
            name = _data_file(value, self._data_files)
            if name is not None and line not in lines_with_calls:  # the call says more
                found.setdefault((line, ""), name)
        return _assemble(found, self._escapes, self._others, self._climbs)

    def _propagate(self) -> None:
        """Grow the sets of file-derived names until nothing changes (a fixed point)."""
        bindings = list(self._scopes.bindings)
        returns = list(self._scopes.returns)
        changed = True
        while changed:
            changed = False
            for binding in list(bindings):
                targets, value, scope = binding
                if self._derived(value):
                    bindings.remove(binding)  # marked for good: no need to look again
                    self._climbs |= _climbs(value)
                    self._paths.append(value)
                    for target in targets:
                        changed |= self._mark(target, scope)
                        how = stored_escape(target, scope, self._scopes)
                        if how is not None:
                            name = getattr(target, "attr", getattr(target, "id", ""))
                            self._escapes.setdefault(_line(value), (how, name))
            for item in list(returns):
                function, value = item  # a path returned by a function: so is its call
                if self._derived(value):
                    returns.remove(item)
                    self._paths.append(value)
                    how = f"returned by {function}()"
                    self._escapes.setdefault(_line(value), (how, function))
                    if function not in self._functions:
                        self._functions.add(function)
                        changed = True

    def _mark(self, target: ast.expr, scope: int) -> bool:
        if isinstance(target, ast.Name):
            key = (self._scopes.binding_scope(scope, target.id), target.id)
            if key in self._names:
                return False
            self._names.add(key)
            if self._scopes.is_class(key[0]):  # DATA = ... in a class: self.DATA
                self._attributes.add(target.id)
            return True
        if isinstance(target, ast.Attribute) and target.attr not in self._attributes:
            self._attributes.add(target.attr)  # self._root = ... taints every ._root
            return True
        if isinstance(target, (ast.Tuple, ast.List)):
            return any([self._mark(element, scope) for element in target.elts])
        if isinstance(target, ast.Starred):
            return self._mark(target.value, scope)
        return False

    def _derived(self, node: ast.AST) -> bool:
        """Whether the value of ``node`` is (or contains) a path inside the package."""
        if isinstance(node, ast.Name):
            if node.id in _FILE_NAMES:
                return True
            return self._scopes.resolve(node) in self._names
        if isinstance(node, ast.Attribute):
            if node.attr in _FILE_ATTRIBUTES:
                return self._is_own(node.value)
            if node.attr in _NAME_PARTS:
                return False
            if node.attr in _SPEC_ATTRIBUTES and _is_name(node.value, "__spec__"):
                return True
            if isinstance(node.value, ast.Name) and node.value.id in self._aliases:
                return False  # an attribute of an imported module: os.path, sys.argv
            return node.attr in self._attributes or self._derived(node.value)
        if isinstance(node, ast.Call):
            name = self._qualified(node.func)
            if name in LAUNDERING or name in PATH_SINKS or reads(node.func):
                return False  # a message, a file object, contents: no longer a path
            if _calls_one_of(node.func, self._functions):
                return True
            arguments: list[ast.AST] = [*node.args, *(k.value for k in node.keywords)]
            if isinstance(node.func, ast.Attribute):
                arguments.append(node.func.value)  # Path(__file__).with_name("x")
            return any(self._derived(argument) for argument in arguments)
        if isinstance(node, (ast.Lambda, ast.Compare)):
            return False  # a function or a truth value, not a path
        return any(self._derived(child) for child in ast.iter_child_nodes(node))

    def _is_own(self, owner: ast.expr) -> bool:
        return is_own(owner, self._aliases, self._package)

    def _note_foreign(self, node: ast.AST, *, at_call: bool = False) -> None:
        assert self._package is not None
        if self._foreign is None:
            self._foreign = foreign_names(self._scopes, self._aliases, self._package)
        for line, module in foreign_files(
            node,
            self._aliases,
            self._package,
            at_call=at_call,
            scopes=self._scopes,
            names=self._foreign,
        ):
            self._others.setdefault(line, module)

    def _sink(self, node: ast.Call) -> str | None:
        return sink_of(node, self._aliases, self._derived)

    def _qualified(self, node: ast.expr) -> str | None:
        return qualified_name(node, self._aliases)


def sink_of(
    node: ast.Call, aliases: dict[str, str], derived: Callable[[ast.AST], bool]
) -> str | None:
    """The name of the file access ``node`` performs on a path ``derived`` says is next
    to the module, if any."""
    name = qualified_name(node.func, aliases)
    if name in RESOURCE_FILE_CALLS:
        return name
    arguments = [*node.args, *(k.value for k in node.keywords)]
    given_path = any(derived(argument) for argument in arguments)
    if name in PATH_SINKS and given_path:
        return name
    if isinstance(node.func, ast.Attribute):
        method = node.func.attr
        if method in RECEIVER_SINKS and derived(node.func.value):
            return f"Path.{method}"
        if method in ARGUMENT_METHOD_SINKS and given_path:
            return f".{method}"
    return None


def _calls_one_of(func: ast.expr, functions: set[str]) -> bool:
    """Whether ``func`` names one of ``functions`` (``f`` or ``obj.f``)."""
    if isinstance(func, ast.Name):
        return func.id in functions
    return isinstance(func, ast.Attribute) and func.attr in functions


def _assemble(
    found: dict[tuple[int, str], str],
    escapes: dict[int, tuple[str, str]],
    others: dict[int, str],
    climbs: bool,
) -> list[FileAccess]:
    """The accesses, by line: calls and data files first, then the escapes of lines
    without one, and other packages' files."""
    accesses = [
        FileAccess(line, call, climbs, data_file)
        for (line, call), data_file in sorted(found.items())
    ]
    lines = {access.line for access in accesses}
    accesses += [
        FileAccess(line, "", climbs, escapes=how, name=name)
        for line, (how, name) in sorted(escapes.items())
        if line not in lines
    ]
    accesses += [FileAccess(line, "", module=module) for line, module in sorted(others.items())]
    return sorted(accesses, key=lambda access: access.line)


def _climbs(node: ast.AST) -> bool:
    """Whether ``node`` builds a path above a directory: "..", os.pardir, .parent.parent,
    .parents, dirname(dirname(...))."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            if inner.value == ".." or "../" in inner.value or "..\\" in inner.value:
                return True
        elif isinstance(inner, ast.Attribute):
            if inner.attr in ("pardir", "parents"):
                return True
            parent = inner.value
            if inner.attr == "parent" and getattr(parent, "attr", None) == "parent":
                return True
        elif isinstance(inner, ast.Call) and _is_dirname(inner.func) and inner.args:
            first = inner.args[0]
            if isinstance(first, ast.Call) and _is_dirname(first.func):
                return True
    return False


def _is_dirname(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "dirname") or _is_name(func, "dirname")


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _data_file(node: ast.AST, data_files: frozenset[str]) -> str | None:
    """The package data file or folder that a string in ``node`` names, if any."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            first = inner.value.replace("\\", "/").strip("/").split("/")[0]
            if first in data_files:
                return first
    return None


def _line(node: ast.AST) -> int:
    line: int = getattr(node, "lineno", 0)
    return line
