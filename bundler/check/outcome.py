"""What a failed import in ``bundle check`` means: a module that needs an optional extra
that is not installed, or another platform, is listed as such; anything else is a
failure, said in one line with its reason and where in the archive it was raised."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message

from packaging.requirements import InvalidRequirement, Requirement

from bundler.runtime.metadata import normalise_name

__all__ = ["PROBLEMS", "Finding", "classify_failure", "other_platform_modules"]

# Kinds of finding that make bundle check fail; the others are listed, not failures.
PROBLEMS = frozenset({"failure", "file", "import", "exit", "timeout"})
# Top-level modules that exist on one platform only: importing them elsewhere fails.
_PLATFORM_MODULES = {
    "win32": frozenset(
        {
            "winreg",
            "msvcrt",
            "_winapi",
            "winsound",
            "_overlapped",
            "nt",
            "win32api",
            "win32con",
            "win32file",
            "win32event",
            "win32process",
            "win32com",
            "pywintypes",
            "pythoncom",
            "wmi",
        }
    ),
    "darwin": frozenset({"AppKit", "Foundation", "objc", "CoreFoundation", "Quartz", "_scproxy"}),
}
_PLATFORM_WORDS = re.compile(r"\b(windows|win32|macos|mac os|darwin|os x)\b", re.IGNORECASE)
_PLATFORM_MARKERS = ("sys_platform", "platform_system", "os_name", "platform_machine")
_EXTRA = re.compile(r"extra\s*==\s*[\"']([^\"']+)")


@dataclass(frozen=True)
class Finding:
    """One thing ``bundle check`` found about one module (or the app's run)."""

    module: str
    kind: str  # failure, extra, platform, skipped, file, import, exit, timeout
    reason: str
    member: str | None = None
    line: int = 0

    @property
    def problem(self) -> bool:
        """Whether it makes the check fail."""
        return self.kind in PROBLEMS

    def describe(self) -> str:
        """``pkg.mod: FileNotFoundError: ... (at pkg/mod.py:5)``."""
        where = f" (at {self.member}:{self.line})" if self.member else ""
        return f"{self.module}: {self.reason}{where}"


def classify_failure(
    module: str,
    record: Sequence[object],
    bundled: Mapping[str, object],
    metadata: Mapping[str, Message],
) -> Finding:
    """The finding for ``module``, whose import failed as ``record`` says (``[type,
    message, missing module, member, line]``, see probe.py)."""
    kind, message, missing, member, line = record
    text = f"{kind}: {message}" if message else str(kind)
    where = (member if isinstance(member, str) else None, line if isinstance(line, int) else 0)
    if isinstance(missing, str) and missing and missing not in bundled:
        needed = _needed_by_requirement(missing, metadata)
        if needed is not None:
            return Finding(module, *needed, *where)
        if missing.partition(".")[0] in other_platform_modules():
            return Finding(module, "platform", f"needs {missing}, of another platform", *where)
        reason = f"{text}; '{missing}' is not in the archive"
        return Finding(module, "failure", reason, *where)
    if kind in ("ImportError", "ModuleNotFoundError", "OSError", "AttributeError") and (
        _PLATFORM_WORDS.search(str(message)) and not _PLATFORM_WORDS.search(sys.platform)
    ):
        return Finding(module, "platform", f"needs another platform ({text})", *where)
    return Finding(module, "failure", text, *where)


def other_platform_modules() -> frozenset[str]:
    """Top-level modules of platforms other than this one."""
    return frozenset().union(
        *(names for platform, names in _PLATFORM_MODULES.items() if platform != sys.platform)
    )


def _needed_by_requirement(missing: str, metadata: Mapping[str, Message]) -> tuple[str, str] | None:
    """(kind, reason) when a bundled distribution requires ``missing`` only under an extra
    (not installed) or a platform marker (another platform)."""
    wanted = normalise_name(missing.partition(".")[0])
    for dist, message in sorted(metadata.items()):
        for text in message.get_all("Requires-Dist") or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if normalise_name(requirement.name) != wanted or requirement.marker is None:
                continue
            marker = str(requirement.marker)
            owner = dist.rsplit("-", 1)[0]
            extra = _EXTRA.search(marker)
            if extra is not None:
                reason = f"needs the extra {owner}[{extra.group(1)}] ({requirement.name})"
                return "extra", reason
            if any(name in marker for name in _PLATFORM_MARKERS):
                return "platform", f"needs {requirement.name}, required by {owner} on {marker}"
    return None
