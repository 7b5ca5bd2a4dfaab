"""What an archive holds and why: reading it (``reading``), its facts (``facts``, the
``--json`` document), the human lines (``show``) and the chain behind a module (``why``)."""

from bundler.inspection.facts import inspect_document
from bundler.inspection.reading import ArchiveView, read_archive
from bundler.inspection.show import inspect_lines
from bundler.inspection.why import explain, why_document

__all__ = [
    "ArchiveView",
    "explain",
    "inspect_document",
    "inspect_lines",
    "read_archive",
    "why_document",
]
