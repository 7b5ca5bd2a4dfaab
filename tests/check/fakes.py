"""A zip the ``bundle check`` children can run without a bundle runtime: its __main__ puts
the zip on sys.path for good, so that zipimport serves its modules."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from pathlib import Path

from tests.inspection.views import manifest

MAIN = "import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\n"


def fake_archive(path: Path, modules: Mapping[str, str], run: str = "") -> Path:
    """A zip at ``path`` holding ``modules`` (name -> source) at its top, and a manifest;
    its __main__ then runs ``run``."""
    names = {
        name: {"member": f"{name}.py", "package": False, "kind": "project"} for name in modules
    }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__main__.py", MAIN + run)
        archive.writestr(".bundle/manifest.json", json.dumps(manifest(modules=names)))
        for name, source in modules.items():
            archive.writestr(f"{name}.py", source)
    return path
