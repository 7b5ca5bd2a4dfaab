"""What the archive's tests share: the description of a small app."""

from __future__ import annotations

from bundler.archive.index import ArchiveInfo

INFO = ArchiveInfo(
    name="app",
    version="1.0",
    entry_module="app.main",
    entry_function="main",
    requires_python=">=3.9",
    shebang="#!/usr/bin/env python3",
    inherit_path=False,
    compile=True,
    pythons=((">=3.10", "dep 2.0 requires Python >=3.10"),),
    python_range=">=3.10",
    extract=("dep.templates",),
    zip_safe=("other",),
)
