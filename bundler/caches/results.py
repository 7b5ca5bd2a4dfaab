"""Per-file analyses kept by content, so that a rebuild does not parse again what it
parsed before: each module's import scan (``resolve/scan.py``) and its zip-safety findings
(``plan/zipsafety.py``).

Walking the AST of every module is most of a rebuild once staging and bytecode are cached
(pygments: 335 modules scanned for imports, 343 analysed for file accesses). A result is
keyed by the bytes analysed, what else the analysis was given (the module's name, its
package, the data files beside it) and the analysing code itself (``code_version``: a hash
of its modules' sources), so that a changed analysis never serves an old answer.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any

import bundler
from bundler.caches.build import build_cache_root
from bundler.caches.content import ContentStore
from bundler.errors import BundleError

__all__ = ["Results", "code_version"]


@cache
def code_version(*modules: ModuleType) -> bytes:
    """The identity of an analysis: bundler's version and the sources of its modules."""
    digest = hashlib.sha256(bundler.__version__.encode())
    for module in modules:
        # Through the module's loader: bundler may itself run from an archive (bundle.pyz).
        digest.update(inspect.getsource(module).encode())
    return digest.digest()


class Results:
    """One kind of analysis result, under ``<build cache>/results/<kind>`` (kept nowhere
    when there is no build cache), stored as JSON."""

    def __init__(self, kind: str) -> None:
        try:
            self._store = ContentStore(build_cache_root() / "results" / kind)
        except BundleError:
            self._store = ContentStore(None)

    def memo(
        self,
        key: str,
        compute: Callable[[], Any],
        encode: Callable[[Any], Any],
        decode: Callable[[Any], Any],
    ) -> Any:
        """The result stored under ``key`` (``decode`` of its JSON), else ``compute()``,
        stored (``encode``d) unless None."""
        cached = self._store.get(key)
        if cached is not None:
            try:
                return decode(json.loads(cached))
            except (ValueError, TypeError, KeyError):
                pass  # damaged or of another shape: analysed again, and replaced
        result = compute()
        if result is not None:
            self._store.put(key, json.dumps(encode(result)).encode())
        return result
