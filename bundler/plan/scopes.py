"""One walk over a module's AST that the zip-safety analysis reads: which scope each name
belongs to, every binding, ``return`` and call, and what each imported name stands for."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing.TypeGuard is new in 3.10; the builder runs on 3.9 too
    from typing import TypeGuard

__all__ = ["Scopes", "qualified_name"]


class Scopes:
    """One walk over a module: which scope each name belongs to (so that ``path`` in one
    function is not ``path`` in another), every binding, ``return`` and call.

    Scopes are numbered: 0 is the module, then each function and class. Calls that run
    only in an ``except`` clause are left out: that is diagnostics or a fallback for old
    Pythons (numpy lists ``__path__`` to explain a failed import); so are those in an
    ``if`` body that ends by raising (numpy names ``__path__`` in the error about an old
    install), and those under ``if __name__ == "__main__"``, a maintainer's script
    (pygments rewrites its tables).
    Neither is the path a package takes when it is imported and works.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.bindings: list[tuple[list[ast.expr], ast.AST, int]] = []
        self.returns: list[tuple[str, ast.AST]] = []
        self.calls: list[ast.Call] = []
        # Local name -> the dotted name it imports: "join" -> "os.path.join".
        self.aliases: dict[str, str] = {}
        self._function: dict[int, str] = {}  # scope -> name of its function
        self._skipping = 0
        self._parent: dict[int, int] = {0: 0}
        self._classes: set[int] = set()
        self._local: dict[int, set[str]] = {0: set()}
        self._global: dict[int, set[str]] = {0: set()}
        self._nonlocal: dict[int, set[str]] = {0: set()}
        self._of_name: dict[int, int] = {}  # id(Name node) -> scope
        self._visit(tree, 0)

    def resolve(self, node: ast.Name) -> tuple[int, str]:
        """(scope, name) of the binding that a use of ``node`` reads, as Python looks."""
        scope = self._of_name.get(id(node), 0)
        start = scope
        while True:
            skip_class = scope in self._classes and scope != start
            if node.id in self._local[scope] and not skip_class:
                return self.binding_scope(scope, node.id), node.id
            if scope == 0:
                return 0, node.id
            scope = self._parent[scope]

    def binding_scope(self, scope: int, name: str) -> int:
        """The scope a name assigned in ``scope`` belongs to (``global``, ``nonlocal``)."""
        if name in self._global[scope]:
            return 0
        while name in self._nonlocal[scope] and scope != 0:
            scope = self._parent[scope]
            while scope in self._classes:  # class bodies are not enclosing scopes
                scope = self._parent[scope]
        return scope

    def is_class(self, scope: int) -> bool:
        return scope in self._classes

    def _visit(self, node: ast.AST, scope: int) -> None:
        for child in ast.iter_child_nodes(node):
            self._enter(child, scope)

    def _enter(self, node: ast.AST, scope: int) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            self._enter_function(node, scope)
            return
        if isinstance(node, ast.ExceptHandler) or _is_main_block(node):
            self._skipping += 1
            self._record(node, scope)
            self._skipping -= 1
            return
        if _raises(node):  # an error branch: its test and else run; its body explains
            self._skipping += 1
            for statement in node.body:
                self._enter(statement, scope)
            self._skipping -= 1
            for child in (node.test, *node.orelse):
                self._enter(child, scope)
            return
        if isinstance(node, ast.ClassDef):
            self._local[scope].add(node.name)
            for outer in [*node.decorator_list, *node.bases, *node.keywords]:
                self._enter(outer, scope)
            inner = self._new_scope(scope, is_class=True)
            for statement in node.body:
                self._enter(statement, inner)
            return
        self._record(node, scope)

    def _record(self, node: ast.AST, scope: int) -> None:
        if isinstance(node, ast.Call) and not self._skipping:
            self.calls.append(node)
        elif (
            isinstance(node, ast.Return)
            and node.value is not None
            and scope in self._function
            and not self._skipping
        ):
            self.returns.append((self._function[scope], node.value))
        elif isinstance(node, ast.Global):
            self._global[scope].update(node.names)
        elif isinstance(node, ast.Nonlocal):
            self._nonlocal[scope].update(node.names)
        elif isinstance(node, ast.Name):
            self._of_name[id(node)] = scope
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                self._local[scope].add(node.id)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.partition(".")[0]
                self._local[scope].add(local)
                self.aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                self._local[scope].add(local)
                if node.level:  # inside this package; the dot keeps it from naming sinks
                    self.aliases[local] = f".{node.module or ''}.{alias.name}"
                elif node.module:
                    self.aliases[local] = f"{node.module}.{alias.name}"
        binding = _binding(node) if not self._skipping else None
        if binding is not None:
            self.bindings.append((*binding, scope))
        self._visit(node, scope)

    def _enter_function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: int
    ) -> None:
        if not isinstance(node, ast.Lambda):
            self._local[scope].add(node.name)
            for decorator in node.decorator_list:
                self._enter(decorator, scope)
        inner = self._new_scope(scope)
        if not isinstance(node, ast.Lambda):
            self._function[inner] = node.name
        for parameter, default in _parameters(node.args):
            self._local[inner].add(parameter)
            if default is not None:
                self._enter(default, scope)  # defaults are evaluated outside
                target = ast.Name(id=parameter, ctx=ast.Store())
                self.bindings.append(([target], default, inner))
        body = node.body if isinstance(node.body, list) else [node.body]
        for statement in body:
            self._enter(statement, inner)

    def _new_scope(self, parent: int, *, is_class: bool = False) -> int:
        number = len(self._parent)
        self._parent[number] = parent
        self._local[number] = set()
        self._global[number] = set()
        self._nonlocal[number] = set()
        if is_class:
            self._classes.add(number)
        return number


def _binding(node: ast.AST) -> tuple[list[ast.expr], ast.AST] | None:
    """(targets, value) when ``node`` gives names a value: assignments, loops, withs."""
    if isinstance(node, ast.Assign):
        return node.targets, node.value
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
        return [node.target], node.value
    if isinstance(node, ast.NamedExpr):
        return [node.target], node.value
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return [node.target], node.iter
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return [node.optional_vars], node.context_expr
    return None


def _parameters(arguments: ast.arguments) -> Iterator[tuple[str, ast.expr | None]]:
    """(name, default) of every parameter."""
    positional = [*arguments.posonlyargs, *arguments.args]
    padding: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    yield from zip((p.arg for p in positional), [*padding, *arguments.defaults])
    yield from zip((p.arg for p in arguments.kwonlyargs), arguments.kw_defaults)
    for extra in (arguments.vararg, arguments.kwarg):
        if extra is not None:
            yield extra.arg, None


def qualified_name(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """``os.path.join`` for ``join`` after ``from os.path import join``, and so on."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = qualified_name(node.value, aliases)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def _raises(node: ast.AST) -> TypeGuard[ast.If]:
    """An ``if`` whose body ends by raising: a check that reports a broken install."""
    return isinstance(node, ast.If) and isinstance(node.body[-1], ast.Raise)


def _is_main_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    sides = [node.test.left, *node.test.comparators]
    return any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides) and any(
        isinstance(side, ast.Constant) and side.value == "__main__" for side in sides
    )
