"""Which files ``--exclude`` leaves out: those of the modules it names and of their
submodules, so that importing them from the archive fails as where they are not
installed. Data files beside a module (``a/b.txt`` beside ``a/b.py``) are not the module's."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["excluded_member"]


def excluded_member(member: str, exclude: Sequence[str], suffixes: Sequence[str]) -> bool:
    """Whether ``member`` belongs to an excluded module: anything in package ``a/b/``, or
    the file of module ``a.b`` (``a/b.py``, its bytecode or stub, ``a/b.<ext suffix>``)."""
    directory, _, filename = member.rpartition("/")
    stem, dot, suffix = filename.partition(".")
    own = dot and (suffix in ("py", "pyc", "pyi") or f".{suffix}" in suffixes)
    for name in exclude:
        path = name.replace(".", "/")
        if member.startswith(path + "/") or (own and f"{directory}/{stem}".lstrip("/") == path):
            return True
    return False
