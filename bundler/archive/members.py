"""Every payload member of a built archive, however it is stored (in the nested payload
zip or in a source pack), read through the runtime's own index reader: for tools that
look inside an archive (``bundle inspect``, ``--check-reproducible``)."""

from __future__ import annotations

import marshal
import zipfile
from pathlib import Path

from bundler.runtime import FILE_SIZE, FORMAT_VERSION, INDEX_MEMBER
from bundler.runtime.reader import Archive

__all__ = ["member_sizes", "open_members"]


def open_members(path: Path) -> Archive | None:
    """The archive's members through its index; None when it has no index of this
    bundler's format (an older or foreign archive: callers fall back to the zip)."""
    try:
        with zipfile.ZipFile(path) as outer:
            index = marshal.loads(outer.read(INDEX_MEMBER))
    except (OSError, KeyError, EOFError, ValueError, TypeError, zipfile.BadZipFile):
        return None
    if not isinstance(index, dict) or index.get("format") != FORMAT_VERSION:
        return None
    return Archive(str(path), index["chunks"], index.get("packs", ()))


def member_sizes(archive: Archive) -> dict[str, int]:
    """The uncompressed size of every payload member, by name."""
    return {name: archive.files[name][FILE_SIZE] for name in archive.files}
