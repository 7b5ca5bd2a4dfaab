"""Build results kept by the content they were made from: one file per key.

Compiling, scanning and compressing the same bytes always gives the same result, so a
rebuild looks the result up by a hash of its inputs instead of doing the work again. A
file is written to a temporary name and renamed, so a reader sees all of it or nothing;
any problem with the cache only means the work is done again.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from pathlib import Path

from bundler.errors import BundleError
from bundler.runtime.cache import write_atomic

__all__ = ["ContentStore", "content_key"]


def content_key(*parts: bytes) -> str:
    """A key for the result of some work on ``parts`` (name them in the first part)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


class ContentStore:
    """Files under ``directory``, by key; None as directory keeps nothing."""

    def __init__(self, directory: Path | None, suffix: str = "") -> None:
        self.directory = directory
        self._suffix = suffix

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``; None if there are none (or they cannot be read)."""
        if self.directory is None:
            return None
        with suppress(OSError):
            return self._path(key).read_bytes()
        return None

    def put(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key``; quietly nothing if the cache cannot be written."""
        if self.directory is not None:
            with suppress(OSError, BundleError):
                write_atomic(str(self._path(key)), data, 0o644, sync=False)

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}{self._suffix}"
