"""Bytecode for the build's Python: hash-based pycs (PEP 552), compiled once per content."""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import sys
from pathlib import Path

from bundler.caches.content import ContentStore

__all__ = ["BytecodeCache", "bytecode_member", "compile_pyc"]


class BytecodeCache:
    """Bytecode of earlier builds, by content: a rebuild compiles only what changed.

    Compiling is most of a rebuild's time (1 of 1.8 s for pygments). The key is the
    member's name (the code's filename) and its source, under this Python's magic number;
    a value is what ``compile_pyc`` would produce, so archives stay byte-identical.
    """

    def __init__(self, directory: Path | None) -> None:
        self._store = ContentStore(directory, ".pyc")

    @classmethod
    def open(cls, root: Path | None) -> BytecodeCache:
        """The cache under the build cache ``root``; None compiles everything afresh."""
        if root is None:
            return cls(None)
        return cls(root / "bytecode" / importlib.util.MAGIC_NUMBER.hex())

    def bytecode(self, source: bytes, member: str, warnings: list[str]) -> bytes | None:
        """The pyc of ``source`` (member ``member``); None, with a warning, if it does not
        compile on this Python."""
        key = hashlib.sha256(member.encode() + b"\0" + source).hexdigest()
        cached = self._store.get(key)
        magic, stamp = importlib.util.MAGIC_NUMBER, importlib.util.source_hash(source)
        if cached is not None and cached[:4] == magic and cached[8:16] == stamp:
            return cached
        pyc = compile_pyc(source, member, warnings)
        if pyc is not None:
            self._store.put(key, pyc)
        return pyc


def compile_pyc(
    source: bytes, member: str, warnings: list[str], *, optimize: int = 0
) -> bytes | None:
    """Unchecked hash-based bytecode (PEP 552): reproducible, valid while the file is.
    ``optimize`` as ``compile``'s: the app's code keeps its docstrings and asserts (0)."""
    try:
        code = compile(source, member, "exec", dont_inherit=True, optimize=optimize)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        where = f"{member}:{line}" if line else member
        warnings.append(
            f"{where} does not compile on this Python ({exc.__class__.__name__}); "
            "kept as source only"
        )
        return None
    flags = (0b01).to_bytes(4, "little")  # hash-based, unchecked
    return (
        importlib.util.MAGIC_NUMBER
        + flags
        + importlib.util.source_hash(source)
        + marshal.dumps(code)
    )


def bytecode_member(member: str) -> str:
    """Where the bytecode of source ``member`` goes: ``__pycache__``, as a venv has it."""
    directory, _, filename = member.rpartition("/")
    stem = filename[:-3]
    tag = sys.implementation.cache_tag
    pyc = f"__pycache__/{stem}.{tag}.pyc"
    return f"{directory}/{pyc}" if directory else pyc
