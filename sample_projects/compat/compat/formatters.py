"""Text formatters that compat registers under the ``compat.formatters`` entry point group."""

from __future__ import annotations


def upper(text: str) -> str:
    """``text`` in capitals."""
    return text.upper()


def title(text: str) -> str:
    """``text`` with each word capitalised."""
    return text.title()
