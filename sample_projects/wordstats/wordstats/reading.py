"""Read the text to count from a file or standard input, whatever its age and encoding."""

from __future__ import annotations

import sys
from pathlib import Path

from legacy_extras import decode_legacy, normalize_newlines

STDIN = "-"


def read_text(source: str) -> str:
    """Return the text of the file `source` (or of standard input for "-") with LF endings."""
    data = sys.stdin.buffer.read() if source == STDIN else Path(source).read_bytes()
    return normalize_newlines(decode_legacy(data))
