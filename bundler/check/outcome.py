"""What a failed import in ``bundle check`` means. Listed, not failures: a module that
needs an optional extra that is not installed; one that needs another platform or the
Python its native code was built for; a third-party module that imports a distribution its
own distribution does not require (an integration with another tool: ``pygments.sphinxext``
needs Sphinx only inside Sphinx). Anything else is a failure, said in one line with its
reason and where in the archive it was raised: the project's own module importing what is
not there, a declared dependency missing, an error at import."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message

from packaging.requirements import InvalidRequirement, Requirement

from bundler.resolve.stdlib_versions import is_versioned
from bundler.runtime.metadata import normalise_name

__all__ = ["PROBLEMS", "Finding", "classify_failure", "other_platform_modules"]

# Kinds of finding that make bundle check fail; the others (extra, platform, integration,
# skipped) are listed, not failures.
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
# A module named for a platform (click._winconsole), failing as such modules do elsewhere.
_PLATFORM_NAME = re.compile(r"(^|[._])(win\w*|nt|macos|mac|darwin|osx|cocoa)($|[._])", re.I)
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
    bundled: Mapping[str, Mapping[str, object]],
    owners: Mapping[str, Message],
) -> Finding:
    """The finding for ``module``, whose import failed as ``record`` says (``[type,
    message, missing module, member, line, native]``, see probe.py); ``owners`` maps each
    bundled module to the metadata of its distribution."""
    kind, message, missing, member, line, native = record
    text = f"{kind}: {message}" if message else str(kind)
    where = (member if isinstance(member, str) else None, line if isinstance(line, int) else 0)
    if native:
        reason = f"needs the Python its native code was built for ({text})"
        return Finding(module, "platform", reason, *where)
    if isinstance(missing, str) and missing and missing not in bundled:
        return _missing_module(module, missing, text, where, bundled, owners)
    if _PLATFORM_NAME.search(module) and not _PLATFORM_WORDS.search(sys.platform):
        return Finding(module, "platform", f"a module of another platform ({text})", *where)
    third_party = bundled.get(module, {}).get("kind") != "project"
    if kind in ("ImportError", "ModuleNotFoundError") and third_party:
        # The library itself says this module cannot be used here (PyYAML's _yaml stub,
        # docutils' CommonMark wrapper): its choice, not a broken archive.
        return Finding(module, "unavailable", f"raises {text}", *where)
    if kind in ("ImportError", "ModuleNotFoundError", "OSError", "AttributeError") and (
        _PLATFORM_WORDS.search(str(message)) and not _PLATFORM_WORDS.search(sys.platform)
    ):
        return Finding(module, "platform", f"needs another platform ({text})", *where)
    return Finding(module, "failure", text, *where)


def _missing_module(
    module: str,
    missing: str,
    text: str,
    where: tuple[str | None, int],
    bundled: Mapping[str, Mapping[str, object]],
    owners: Mapping[str, Message],
) -> Finding:
    """A module not in the archive stopped the import of ``module``."""
    if missing.partition(".")[0] in other_platform_modules():
        return Finding(module, "platform", f"needs {missing}, of another platform", *where)
    if is_versioned(missing):
        reason = f"needs {missing}, which this Python's standard library lacks"
        return Finding(module, "platform", reason, *where)
    owner = owners.get(module)
    declared = _requirement_of(owner, missing) if owner is not None else None
    if declared is not None:
        marker = str(declared.marker or "")
        extra = _EXTRA.search(marker)
        name = f"{owner['Name']}[{extra.group(1)}]" if extra and owner else ""
        if extra is not None:
            return Finding(module, "extra", f"needs the extra {name} ({declared.name})", *where)
        if any(key in marker for key in _PLATFORM_MARKERS):
            reason = f"needs {declared.name}, required on {marker}"
            return Finding(module, "platform", reason, *where)
    elif owner is not None and bundled.get(module, {}).get("kind") != "project":
        reason = f"needs {missing}, which its distribution does not require (an integration)"
        return Finding(module, "integration", reason, *where)
    return Finding(module, "failure", f"{text}; '{missing}' is not in the archive", *where)


def _requirement_of(metadata: Message, missing: str) -> Requirement | None:
    """The requirement of ``metadata`` that names the distribution of ``missing``."""
    wanted = normalise_name(missing.partition(".")[0])
    for text in metadata.get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if normalise_name(requirement.name) == wanted:
            return requirement
    return None


def other_platform_modules() -> frozenset[str]:
    """Top-level modules of platforms other than this one."""
    return frozenset().union(
        *(names for platform, names in _PLATFORM_MODULES.items() if platform != sys.platform)
    )
