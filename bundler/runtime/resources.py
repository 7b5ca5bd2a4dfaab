"""``importlib.resources`` support: package data read from the archive's payload.

Imported only when an app asks for a resource reader, so apps that never read package data
do not pay for it. Given an ``Archive`` (reader.py), never the importer.
"""

import io
import posixpath
import sys

from . import FILE_SIZE
from .reader import STREAM_THRESHOLD

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable, TraversableResources
else:
    from importlib.abc import Traversable, TraversableResources

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO, Any

    from .reader import Archive


class ArchiveResourceReader(TraversableResources):
    """The resource reader of one package in the archive."""

    def __init__(self, archive: "Archive", package_dir: str) -> None:
        self._root = ArchivePath(archive, package_dir)

    def files(self) -> "ArchivePath":
        return self._root

    def is_resource(self, path: str) -> bool:
        # Python 3.9's TraversableResources calls a misspelt ``isfile`` here.
        return self._root.joinpath(path).is_file()


class ArchivePath(Traversable):
    """A file or directory of the payload, behaving like ``pathlib.Path`` for reading."""

    def __init__(self, archive: "Archive", at: str) -> None:
        self._archive = archive
        self._at = at.strip("/")

    @property
    def name(self) -> str:
        return posixpath.basename(self._at)

    @property
    def parent(self) -> "ArchivePath":
        return ArchivePath(self._archive, posixpath.dirname(self._at))

    def is_file(self) -> bool:
        return self._at in self._archive.files

    def is_dir(self) -> bool:
        return self._archive.is_dir(self._at)

    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def iterdir(self) -> "Iterator[ArchivePath]":
        if not self.is_dir():
            raise NotADirectoryError(str(self))
        for child in sorted(self._archive.children(self._at)):
            yield ArchivePath(self._archive, posixpath.join(self._at, child))

    def joinpath(self, *descendants: str) -> "ArchivePath":
        at = self._at
        for part in descendants:
            at = posixpath.normpath(posixpath.join(at, str(part)))
        return ArchivePath(self._archive, "" if at == "." else at)

    def __truediv__(self, child: str) -> "ArchivePath":
        return self.joinpath(child)

    def open(self, mode: str = "r", *args: "Any", **kwargs: "Any") -> "IO[Any]":
        if "w" in mode or "a" in mode or "+" in mode:
            raise PermissionError(f"{self} is inside an archive and cannot be written")
        if not self.is_file() and self.is_dir():
            raise IsADirectoryError(str(self))
        record = self._archive.files.get(self._at)
        if record is not None and record[FILE_SIZE] > STREAM_THRESHOLD:
            from .stream import open_member  # streamed: memory stays flat

            stream = open_member(self._archive, self._at)
        else:
            stream = io.BytesIO(self._archive.read(self._at))
        return stream if "b" in mode else io.TextIOWrapper(stream, *args, **kwargs)

    def read_bytes(self) -> bytes:
        if not self.is_file() and self.is_dir():
            raise IsADirectoryError(str(self))
        return self._archive.read(self._at)

    def read_text(self, encoding: "str | None" = None, errors: "str | None" = None) -> str:
        with self.open("r", encoding=encoding, errors=errors) as stream:
            text: str = stream.read()
        return text

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ArchivePath)
            and other._archive is self._archive
            and other._at == self._at
        )

    def __hash__(self) -> int:
        return hash((id(self._archive), self._at))

    def __str__(self) -> str:
        return self._archive.path_of(self._at)

    def __repr__(self) -> str:
        return f"ArchivePath({str(self)!r})"
