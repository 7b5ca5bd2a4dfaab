"""Greetings, in the `acme` namespace package that several of ACME's projects share."""

from __future__ import annotations


def greeting(name: str, *, excited: bool = False) -> str:
    """Return a greeting for `name`."""
    return f"Hello, {name}{'!' if excited else '.'}"
