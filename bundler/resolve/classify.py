"""Say what a module is: built in, standard library, the project's, third-party, an
extension or a namespace package, by where the import system finds it for the target."""

from __future__ import annotations

from pathlib import Path

from bundler.environment import Environment
from bundler.resolve.graph import Module, ModuleKind
from bundler.resolve.locate import ModuleLocator

__all__ = ["ModuleClassifier"]


class ModuleClassifier:
    """Classifies modules of one environment, searched as its interpreter would."""

    def __init__(self, env: Environment, project_root: Path, locator: ModuleLocator) -> None:
        self._env = env
        self._project_root = project_root.resolve()
        self.locator = locator

    def classify(self, name: str) -> Module | None:
        """The module ``name`` as found in the environment, or None when it is absent."""
        if self.is_stdlib_name(name):
            builtin = name in self._env.interpreter.builtin_modules
            return Module(name, ModuleKind.BUILTIN if builtin else ModuleKind.STDLIB, None, False)
        spec = self.locator.find(name)
        if spec is None:
            return None
        locations = tuple(Path(p) for p in spec.submodule_search_locations or ())
        if spec.loader is None:
            return Module(name, ModuleKind.NAMESPACE, None, True, locations)
        path = Path(spec.origin) if spec.origin else None
        kind = self._kind_of(name, path)
        return Module(name, kind, path, spec.submodule_search_locations is not None, locations)

    def is_stdlib_name(self, name: str) -> bool:
        """Whether ``name`` belongs to the target's standard library (or is built in)."""
        top = name.partition(".")[0]
        interp = self._env.interpreter
        if top in interp.builtin_modules or top in interp.stdlib_names:
            return True
        if interp.stdlib_names:
            return False
        # Older targets have no stdlib_module_names: decide by where the module lives.
        spec = self.locator.find(top)
        return bool(spec and spec.origin and interp.is_stdlib_path(Path(spec.origin)))

    def _kind_of(self, name: str, path: Path | None) -> ModuleKind:
        if path is None:
            return ModuleKind.BUILTIN
        resolved = path.resolve()
        if self._is_project_path(name, resolved) or self._env.is_project_file(resolved):
            return ModuleKind.PROJECT
        if self._env.interpreter.is_stdlib_path(resolved):
            return ModuleKind.STDLIB
        if any(str(path).endswith(s) for s in self._env.interpreter.extension_suffixes):
            return ModuleKind.EXTENSION
        return ModuleKind.THIRD_PARTY

    def _is_project_path(self, name: str, resolved: Path) -> bool:
        """Whether the module was found in the project's own source tree.

        Being under the project directory is not enough: a virtualenv inside the project
        (``.venv/``) holds third-party code. The first path component must be the module's
        own top-level package or module.
        """
        if not resolved.is_relative_to(self._project_root):
            return False
        first = resolved.relative_to(self._project_root).parts[0]
        return first.partition(".")[0] == name.partition(".")[0]
