"""The archive writer: the payload zip and the outer zip (``writer``), the index the
runtime reads (``index``), the manifest (``manifest``), build-time bytecode
(``bytecode``) and the output file (``output``)."""

from bundler.archive.index import ArchiveInfo
from bundler.archive.output import check_output_path
from bundler.archive.writer import ArchiveResult, write_archive

__all__ = ["ArchiveInfo", "ArchiveResult", "check_output_path", "write_archive"]
