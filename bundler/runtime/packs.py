"""Source packs: the payload's Python sources, compressed together in blocks.

Most of an app's sources are read rarely: for a traceback's lines, for ``inspect``, or
once, to compile a module that has no bytecode in the archive (the per-user cache keeps
the result). Compressed together with LZMA they take about two thirds of what each file
deflated alone takes, which is what lets an archive be smaller than the sources shiv
stores. A pack is a few hundred KiB, so reading one member inflates that much at most;
the last packs read are kept, since a traceback reads several members of one pack.

Not imported at start: only when a packed member is first read (``reader.Archive``).
"""

from . import PACK_DICT_SIZE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_KEPT = 2  # packs kept inflated: enough for the members of one directory and a traceback


class PacksUnreadable(ImportError):
    """This Python cannot read the archive's source packs (no ``lzma`` module)."""


class Packs:
    """The source packs of one archive, inflated on demand."""

    def __init__(self, file: "Any", packs: "tuple[tuple[int, int, int], ...]") -> None:
        self._file = file  # reader._ArchiveFile: its path and read_at
        self._packs = packs
        self._inflated: dict[int, bytes] = {}

    def member(self, number: int, position: int, size: int) -> bytes:
        """``size`` bytes at ``position`` of pack ``number`` (unchecked: the caller checks
        the member's CRC). ValueError or LZMAError if the pack is damaged."""
        data = self._inflated.get(number)
        if data is None:
            data = self._inflate(number)
            if len(self._inflated) >= _KEPT:
                del self._inflated[next(iter(self._inflated))]
            self._inflated[number] = data
        return data[position : position + size]

    def _inflate(self, number: int) -> bytes:
        offset, compressed, size = self._packs[number]
        raw = self._file.read_at(offset, compressed)
        try:
            import lzma
        except ImportError:
            raise PacksUnreadable(
                f"{self._file.path} keeps its sources LZMA-compressed and this Python has no lzma "
                "module; rebuild the app with --sources files"
            ) from None
        filters = [{"id": lzma.FILTER_LZMA2, "dict_size": PACK_DICT_SIZE}]
        inflater = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters)
        data = inflater.decompress(raw, size)  # bounded by the recorded size
        if len(data) != size or not inflater.eof:
            raise ValueError("pack size")
        return data
