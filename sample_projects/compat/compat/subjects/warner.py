"""Warnings raised from a bundled module, at known lines."""

from __future__ import annotations

import warnings


def warn_here() -> None:
    """A UserWarning attributed to this line."""
    warnings.warn("a warning from a bundled module", UserWarning, stacklevel=1)


def deprecated_api() -> str:
    """A DeprecationWarning attributed to the caller's line (stacklevel=2)."""
    warnings.warn("deprecated_api is deprecated", DeprecationWarning, stacklevel=2)
    return "old"
