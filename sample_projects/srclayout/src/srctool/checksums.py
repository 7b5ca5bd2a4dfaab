"""Checksums of text, through the fancy_speedups accelerator when it is installed."""

from __future__ import annotations

import zlib

try:
    import fancy_speedups  # an optional C accelerator; no index serves it, so it is never here
except ImportError:
    HAVE_SPEEDUPS = False
else:
    HAVE_SPEEDUPS = True


def checksum(text: str) -> str:
    """Return the CRC-32 of `text`'s UTF-8 bytes as eight hexadecimal digits."""
    if HAVE_SPEEDUPS:
        return str(fancy_speedups.crc32_hex(text))
    return f"{zlib.crc32(text.encode('utf-8')):08x}"
