"""Inline script metadata (PEP 723): the ``# /// script`` block of a single-file script,
with its ``dependencies`` and ``requires-python``, read as the PEP's reference code reads
it. Everything wrong with a block is one line naming the script and the line."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from bundler.errors import ScriptMetadataError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9 and 3.10
    import tomli as tomllib

__all__ = ["InlineScript", "check_script_python", "read_inline_script"]

# The reference regular expression of PEP 723.
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
_OPENING = re.compile(r"^# /// (?P<type>[a-zA-Z0-9-]+)\s*$")


@dataclass(frozen=True)
class InlineScript:
    """A script and what its metadata block asks for (nothing when it has no block)."""

    path: Path
    dependencies: tuple[str, ...] = ()
    requires_python: str | None = None

    @property
    def module(self) -> str:
        """The module name the script is bundled under: its file name without ``.py``."""
        return self.path.name[:-3] if self.path.name.endswith(".py") else self.path.name


def read_inline_script(path: Path) -> InlineScript:
    """The metadata of the script ``path`` (PEP 723); a script without a block has none."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ScriptMetadataError(f"cannot read the script {path}: {reason}") from None
    script = InlineScript(path)
    if not script.module.isidentifier():
        raise ScriptMetadataError(
            f"{path}: the script's name is not a Python module name; rename it (for example "
            f"to {re.sub(r'[^0-9A-Za-z_]', '_', script.module)}.py)"
        )
    blocks = [m for m in _BLOCK.finditer(text) if m.group("type") == "script"]
    if len(blocks) > 1:
        second = _line_of(text, blocks[1].start())
        raise ScriptMetadataError(f"{path}:{second}: a second '# /// script' block; keep one")
    if not blocks:
        _check_unclosed(path, text)
        return script
    block = blocks[0]
    content = "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in block.group("content").splitlines(keepends=True)
    )
    first = _line_of(text, block.start())
    try:
        table = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        # "Invalid value (at line 2, column 1)": a line of the block, the opening's next is 1.
        # At the end of the document: the closing line.
        at = re.search(r"\(at line (\d+)", str(exc))
        where = first + (int(at.group(1)) if at else content.count("\n") + 1)
        reason = str(exc).split(" (at ")[0]
        raise ScriptMetadataError(
            f"{path}:{where}: invalid TOML in the '# /// script' block ({reason})"
        ) from None
    return InlineScript(path, _dependencies(path, first, table), _python(path, first, table))


def check_script_python(script: Path, spec: str | None, version: str, python: str) -> None:
    """Refuse, before anything is installed, a target Python (``version`` at ``python``)
    that the script's ``requires-python`` excludes, as pip refuses a project's wheel."""
    if spec is None or SpecifierSet(spec).contains(version, prereleases=True):
        return
    raise ScriptMetadataError(
        f"{script} requires Python {spec} (its '# /// script' block), but the target is "
        f"Python {version} ({python}): build with --python naming a matching interpreter"
    )


def _dependencies(path: Path, line: int, table: dict[str, Any]) -> tuple[str, ...]:
    found = table.get("dependencies", [])
    if not isinstance(found, list) or not all(isinstance(d, str) for d in found):
        raise ScriptMetadataError(
            f"{path}:{line}: 'dependencies' in the '# /// script' block must be a list of "
            'strings, such as ["requests<3", "rich"]'
        )
    for text in found:
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            raise ScriptMetadataError(
                f"{path}:{line}: invalid dependency {text!r} in the '# /// script' block: "
                f"{str(exc).splitlines()[0]}"
            ) from None
    return tuple(found)


def _python(path: Path, line: int, table: dict[str, Any]) -> str | None:
    spec = table.get("requires-python")
    if spec is None:
        return None
    try:
        SpecifierSet(spec) if isinstance(spec, str) else None
    except InvalidSpecifier:
        spec = None
    if not isinstance(spec, str):
        raise ScriptMetadataError(
            f"{path}:{line}: 'requires-python' in the '# /// script' block must be a version "
            'specifier such as ">=3.10"'
        )
    return spec


def _check_unclosed(path: Path, text: str) -> None:
    """A ``# /// script`` line that no ``# ///`` closes (or a line inside that is not a
    comment) is an error, not a script without metadata."""
    for number, line in enumerate(text.splitlines(), start=1):
        opening = _OPENING.match(line)
        if opening is not None and opening.group("type") == "script":
            raise ScriptMetadataError(
                f"{path}:{number}: the '# /// script' block is not closed by a '# ///' line "
                "(every line up to it must start with '#')"
            )


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
