"""Minimal ELF shared objects, written byte by byte: enough for what the dynamic loader
(and bundler's planner) reads to find the libraries one loads, without a compiler."""

from __future__ import annotations

import struct
from collections.abc import Sequence

__all__ = ["elf_object"]

_BASE = 0x400000  # the virtual address the one loadable segment is mapped at


def elf_object(
    needed: Sequence[str] = (),
    *,
    rpath: str | None = None,
    runpath: str | None = None,
    wide: bool = True,
    little: bool = True,
) -> bytes:
    """A shared object whose dynamic section names ``needed`` (DT_NEEDED), and ``rpath``
    / ``runpath`` (DT_RPATH / DT_RUNPATH); 64- or 32-bit, little- or big-endian."""
    order = "<" if little else ">"
    strings = b"\0"
    offsets = {}
    for text in [*needed, *(p for p in (rpath, runpath) if p is not None)]:
        offsets[text] = len(strings)
        strings += text.encode() + b"\0"
    tags = [(1, offsets[name]) for name in needed]
    tags += [(15, offsets[rpath])] if rpath is not None else []
    tags += [(29, offsets[runpath])] if runpath is not None else []
    header_size, ph_size, entry = (64, 56, "qQ") if wide else (52, 32, "iI")
    dynamic_at = header_size + 2 * ph_size
    dynamic_size = (len(tags) + 2) * struct.calcsize(order + entry)
    strtab_at = dynamic_at + dynamic_size
    total = strtab_at + len(strings)
    tags = [*tags, (5, _BASE + strtab_at), (0, 0)]
    dynamic = b"".join(struct.pack(order + entry, tag, value) for tag, value in tags)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if little else 2, 1]) + bytes(9)
    if wide:
        header = ident + struct.pack(
            order + "HHIQQQIHHHHHH",
            3,
            62,
            1,
            0,
            header_size,
            0,
            0,
            header_size,
            ph_size,
            2,
            64,
            0,
            0,
        )
        load = struct.pack(order + "IIQQQQQQ", 1, 5, 0, _BASE, _BASE, total, total, 0x1000)
        dyn = struct.pack(
            order + "IIQQQQQQ", 2, 6, dynamic_at, _BASE + dynamic_at, 0, dynamic_size, 0, 8
        )
    else:
        header = ident + struct.pack(
            order + "HHIIIIIHHHHHH",
            3,
            3,
            1,
            0,
            header_size,
            0,
            0,
            header_size,
            ph_size,
            2,
            40,
            0,
            0,
        )
        load = struct.pack(order + "IIIIIIII", 1, 0, _BASE, _BASE, total, total, 5, 0x1000)
        dyn = struct.pack(
            order + "IIIIIIII", 2, dynamic_at, _BASE + dynamic_at, 0, dynamic_size, 0, 6, 4
        )
    return header + load + dyn + dynamic + strings
