"""``importlib.metadata`` support: the ``*.dist-info`` directories stored in the archive.

Imported only when an app (or a library it uses) asks for distribution metadata. Given an
``Archive`` (reader.py) and the names of its dist-info directories, never the importer.
"""

import os
import sys
from importlib.metadata import Distribution

from .resources import ArchivePath

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from .reader import Archive


class ArchiveDistribution(Distribution):
    """A distribution whose dist-info directory lives in the archive's payload."""

    def __init__(self, path: "ArchivePath") -> None:
        self._path = path

    def read_text(self, filename: str) -> "str | None":
        try:
            return self._path.joinpath(filename).read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def locate_file(self, path: "str | os.PathLike[str]") -> "Any":
        return self._path.parent.joinpath(str(path))

    @property
    def _normalized_name(self) -> str:
        # Used by Python 3.10+ to de-duplicate distributions found by several finders.
        return normalise_name(self._path.name.partition("-")[0])


def find_distributions(
    archive: "Archive", dist_dirs: "Iterable[str]", context: "Any" = None
) -> "Iterator[ArchiveDistribution]":
    """The archive's distributions that match ``context.name`` (all when it is None).

    None when ``context.path`` is given and does not name the archive: asked what other
    directories hold (``distributions(path=[target])``, as pip asks what a ``--target``
    already has), the archive's distributions are not there."""
    path = getattr(context, "__dict__", {}).get("path")  # Context.path defaults to sys.path
    named = path is None or path is sys.path or archive.path in map(_absolute, path)
    if not named:
        return
    wanted = getattr(context, "name", None)
    key = normalise_name(wanted) if wanted else None
    for dirname in dist_dirs:
        if key is None or normalise_name(dirname.partition("-")[0]) == key:
            yield ArchiveDistribution(ArchivePath(archive, dirname))


def normalise_name(name: str) -> str:
    """A distribution name as PEP 503 compares it, with ``_`` as the separator (as in
    dist-info directory names): runs of ``-``, ``_`` and ``.`` become one ``_``."""
    name = name.lower().replace("-", "_").replace(".", "_")
    while "__" in name:
        name = name.replace("__", "_")
    return name


def _absolute(entry: object) -> "str | None":
    return os.path.abspath(entry) if isinstance(entry, str) else None
