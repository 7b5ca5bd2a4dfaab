"""Archives for the runtime's unit tests, written in-process by bundler's own writer.

The demo app has a package with a subpackage and data files, a namespace package, a
top-level module and two distributions, so that each runtime module can be exercised over
the bytes the builder really writes (not over a fake of the format).
"""

from __future__ import annotations

import marshal
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bundler.archive import ArchiveInfo, write_archive
from bundler.plan.payload import Payload, PayloadModule
from bundler.runtime import INDEX_MEMBER, NAMESPACE, SOURCE
from bundler.runtime.reader import Archive

DEMO_FILES: dict[str, bytes] = {
    "top.py": b"TOP = 'top'\n",
    "demo/__init__.py": b'"""The demo package."""\nVALUE = "demo"\n',
    "demo/cli.py": b"def main():\n    return 'hello'\n",
    "demo/sub/__init__.py": b"",
    "demo/sub/deep.py": b"WORD = 'deep'\n",
    "demo/data/words.txt": "alpha\nbeta\ncafé\n".encode(),
    "demo/data/nested/blob.bin": bytes(range(256)),
    "demo/assets/icons/logo.svg": b"<svg/>",
    # Inflates to 256 times its compressed size: for the bounded-inflate check.
    "demo/data/zeros.bin": bytes(1 << 20),
    "nsroot/part.py": b"PART = 'part'\n",
    "demo-1.0.dist-info/METADATA": (
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: other-dist>=2\n"
    ),
    "demo-1.0.dist-info/entry_points.txt": b"[console_scripts]\ndemo = demo.cli:main\n",
    "demo-1.0.dist-info/RECORD": (
        b"demo/__init__.py,,\ndemo/cli.py,,\ndemo-1.0.dist-info/METADATA,,\n"
    ),
    "Other.Dist-2.5.dist-info/METADATA": (
        b"Metadata-Version: 2.1\nName: Other.Dist\nVersion: 2.5\n"
    ),
}
DEMO_MODULES = (
    PayloadModule("top", "top.py", False, SOURCE),
    PayloadModule("demo", "demo/__init__.py", True, SOURCE),
    PayloadModule("demo.cli", "demo/cli.py", False, SOURCE),
    PayloadModule("demo.sub", "demo/sub/__init__.py", True, SOURCE),
    PayloadModule("demo.sub.deep", "demo/sub/deep.py", False, SOURCE),
    PayloadModule("nsroot", None, True, NAMESPACE),
    PayloadModule("nsroot.part", "nsroot/part.py", False, SOURCE),
)
DEMO_DISTS = ("demo-1.0.dist-info", "Other.Dist-2.5.dist-info")
# The bytecode magic number of no Python: stands for "built by another Python".
FOREIGN_MAGIC = b"\x00\x00\r\n"
# Every chunk of the demo's index: one per payload directory holding modules or files.
DEMO_CHUNKS = {
    "",
    "demo",
    "demo/sub",
    "demo/data",
    "demo/data/nested",
    "demo/assets/icons",
    "nsroot",
    "demo-1.0.dist-info",
    "Other.Dist-2.5.dist-info",
}


@dataclass(frozen=True)
class BuiltArchive:
    """An archive the writer produced, and the index it holds."""

    path: Path
    index: dict[str, Any]

    def open(self) -> Archive:
        """A fresh reader of the archive: no chunk of its index loaded yet."""
        return Archive(str(self.path), self.index["chunks"], self.index["packs"])


def build_archive(
    output: Path,
    files: Mapping[str, bytes],
    modules: Iterable[PayloadModule],
    distributions: tuple[str, ...] = (),
    *,
    name: str = "demo",
) -> BuiltArchive:
    """Write an archive of ``files`` with bundler's writer (bytecode compiled)."""
    info = ArchiveInfo(
        name=name,
        version="1.0",
        entry_module="demo.cli",
        entry_function="main",
        requires_python=None,
        shebang="#!/usr/bin/env python3",
        inherit_path=False,
        compile=True,
    )
    write_archive(Payload(dict(files), tuple(modules), distributions), info, output)
    return BuiltArchive(output, read_index(output))


def read_index(path: Path) -> dict[str, Any]:
    """The index member of an archive, as the runtime reads it."""
    with zipfile.ZipFile(path) as archive:
        index: dict[str, Any] = marshal.loads(archive.read(INDEX_MEMBER))
    return index


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> BuiltArchive:
    """The demo app's archive, written once; tests that damage it work on a copy."""
    output = tmp_path_factory.mktemp("demo-archive") / "demo.pyz"
    return build_archive(output, DEMO_FILES, DEMO_MODULES, DEMO_DISTS)


@pytest.fixture
def archive(demo_archive: BuiltArchive) -> Archive:
    """A fresh reader of the demo archive."""
    return demo_archive.open()
