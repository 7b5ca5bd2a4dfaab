"""Archives for the unit tests of inspection and check: a manifest and payload written by
hand, in the shape bundle build writes them."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bundler.runtime import FORMAT_VERSION, MANIFEST_MEMBER, PAYLOAD_MEMBER

METADATA = {
    "app-1.0.dist-info": "Name: app\nVersion: 1.0\nRequires-Dist: dep>=2\n",
    "dep-2.0.dist-info": (
        "Name: dep\nVersion: 2.0\nLicense-Expression: MIT\n"
        "Requires-Dist: fastjson; extra == 'speed'\n"
        "Requires-Dist: winhelper; sys_platform == 'win32'\n"
    ),
    "extra_tool-3.1.dist-info": "Name: extra-tool\nVersion: 3.1\nLicense: BSD\n",
}
FILES = {
    "app/__init__.py": "",
    "app/cli.py": "import dep\n",
    "app/__pycache__/cli.cpython-311.pyc": "x" * 30,
    "dep/__init__.py": "from dep import core\n",
    "dep/core.py": "VALUE = 1\n" * 20,
    "dep/plugin.py": "",
    "extra_tool.py": "",
    "__pycache__/extra_tool.cpython-311.pyc": "y" * 10,
}
RECORDS = {
    "app-1.0.dist-info": ["app/__init__.py", "app/cli.py"],
    "dep-2.0.dist-info": ["dep/__init__.py", "dep/core.py", "dep/plugin.py"],
    "extra_tool-3.1.dist-info": ["extra_tool.py"],
}


def manifest(**changes: Any) -> dict[str, Any]:
    """A manifest of this bundler's format for the payload above."""
    document: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "app": {"name": "app", "version": "1.0"},
        "entry": "app.cli:main",
        "requires_python": ">=3.9",
        "python": {"range": "any Python 3.9+", "limits": []},
        "settings": {"extract": [], "zip_safe": [], "prune": False, "check_skip": []},
        "build": {
            "tool": "bundler 0.1.0",
            "python": "3.11.7",
            "cache_tag": "cpython-311",
            "content_hash": "c" * 64,
        },
        "distributions": sorted(METADATA),
        "modules": {
            "app": {"member": "app/__init__.py", "package": True, "kind": "project"},
            "app.cli": {"member": "app/cli.py", "package": False, "kind": "project"},
            "dep": {"member": "dep/__init__.py", "package": True, "kind": "third-party"},
            "dep.core": {"member": "dep/core.py", "package": False, "kind": "third-party"},
            "dep.plugin": {"member": "dep/plugin.py", "package": False, "kind": "third-party"},
            "extra_tool": {"member": "extra_tool.py", "package": False, "kind": "third-party"},
        },
        "extract": [{"package": "dep", "reason": "native code: 1 extension module", "size": 9}],
        "resolution": {
            "why": {
                "app": ["entry point", "", 0, ""],
                "app.cli": ["entry point", "", 0, ""],
                "dep": ["import", "app.cli", 1, ""],
                "dep.core": ["import", "dep", 1, ""],
                "dep.plugin": ["entry point group", "", 0, "dep.plugins of dep"],
            },
            "missing": [["fastjson", "dep.core", 3, True]],
        },
    }
    document.update(changes)
    return document


def write_archive(path: Path, document: Mapping[str, Any] | None = None) -> Path:
    """An archive at ``path`` with the payload above and ``document`` as its manifest."""
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as inner:
        for member, text in FILES.items():
            inner.writestr(_at_epoch(member), text)
        for dist, text in METADATA.items():
            inner.writestr(_at_epoch(f"{dist}/METADATA"), text)
            rows = [*RECORDS[dist], f"{dist}/METADATA", f"{dist}/RECORD"]
            inner.writestr(_at_epoch(f"{dist}/RECORD"), "".join(f"{row},,\n" for row in rows))
    with zipfile.ZipFile(path, "w") as outer:
        outer.writestr(_at_epoch(PAYLOAD_MEMBER), payload.getvalue())
        outer.writestr(_at_epoch(MANIFEST_MEMBER), json.dumps(document or manifest()))
        outer.writestr(_at_epoch("__main__.py"), "")
    return path


def _at_epoch(member: str) -> zipfile.ZipInfo:
    """A member stamped as builds without SOURCE_DATE_EPOCH stamp them."""
    return zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
