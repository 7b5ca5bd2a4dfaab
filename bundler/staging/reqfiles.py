"""Requirements files as pip should read them for a build: flattened into one list of lines
(nested ``-r`` inlined, ``-c`` files gathered as constraints), with every local path made
absolute, relative to the file that names it.

pip itself reads a relative path in a requirements file relative to the current directory,
so ``-r requirements/app.txt`` naming ``../libs/core`` works from one directory and not
from another; a build must not depend on where it was started. A path is taken relative to
its file first and, when nothing is there, relative to the current directory as pip would.
``-e PATH`` becomes ``PATH``: an archive holds an installed copy, never an editable one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from bundler.errors import ConfigError

__all__ = ["RequirementLines", "local_path", "read_requirement_files"]

_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar")
_OPTION = re.compile(r"^(--?[A-Za-z][\w-]*)(?:[=\s]+(.*))?$")
_NESTED = {"-r": "requirements", "--requirement": "requirements"}
_NESTED |= {"-c": "constraints", "--constraint": "constraints"}
_EDITABLE = ("-e", "--editable")
_FIND_LINKS = ("-f", "--find-links")
# Options written after a requirement on its line ("pkg==1.0 --hash=sha256:...").
_LINE_OPTIONS = re.compile(r"\s--(?:hash|config-settings|global-option|install-option)\b")
_EXTRAS = re.compile(r"^(.*?)(\[[^\]]*\])?$")


@dataclass
class RequirementLines:
    """What a set of requirements files asks pip for, flattened."""

    requirements: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)  # local paths pip will read
    hashed: bool = False  # some line pins a hash: pip must require them all

    def add(self, line: str, *, constraint: bool) -> None:
        """Append ``line`` to the requirements, or to the constraints."""
        (self.constraints if constraint else self.requirements).append(line)


def read_requirement_files(
    requirement_files: Sequence[Path], constraint_files: Sequence[Path], cwd: Path
) -> RequirementLines:
    """The lines of ``requirement_files`` and ``constraint_files``, flattened, with local
    paths absolute (``cwd`` is the directory pip would have resolved them against)."""
    found = RequirementLines()
    for path in requirement_files:
        _read(path, found, cwd, constraint=False, seen=())
    for path in constraint_files:
        _read(path, found, cwd, constraint=True, seen=())
    return found


def local_path(spec: str, bases: Sequence[Path]) -> tuple[Path, str] | None:
    """The local directory or archive a requirement names, with what follows it (extras,
    a marker), or None when it names none. ``bases`` are tried in order for a relative
    path; a ``name @ file:///...`` URL needs none."""
    text = spec.strip()
    direct = text.split(";", 1)[0]
    if "@" in direct and not direct.lstrip().startswith(("/", ".")):
        url = direct.split("@", 1)[1].strip()
        return (_file_url_path(url), "") if url.startswith("file:") else None
    if text.startswith("file:"):
        return _file_url_path(text.split(";", 1)[0].strip()), _after(text, ";")
    head, marker = _split_marker(text)
    match = _EXTRAS.match(head.strip())
    candidate, extras = (match.group(1), match.group(2) or "") if match else (head, "")
    if not _looks_like_path(candidate):
        return None
    for base in bases:
        path = Path(os.path.normpath(base / os.path.expanduser(candidate)))
        if path.exists():
            return path, extras + marker
    return None


def _read(
    path: Path, found: RequirementLines, cwd: Path, *, constraint: bool, seen: tuple[Path, ...]
) -> None:
    real = path.resolve()
    if real in seen:
        return  # a file that includes itself, directly or not: pip would loop; we stop
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"cannot read requirements file {path}: {reason}") from None
    for line in _logical_lines(text):
        _line(line, path, found, cwd, constraint=constraint, seen=(*seen, real))


def _line(
    line: str,
    path: Path,
    found: RequirementLines,
    cwd: Path,
    *,
    constraint: bool,
    seen: tuple[Path, ...],
) -> None:
    bases = (path.parent, cwd)
    option = _OPTION.match(line)
    name, value = (option.group(1), (option.group(2) or "").strip()) if option else ("", "")
    if name in _NESTED and "://" not in value:
        nested = next((base / value for base in bases if value and (base / value).is_file()), None)
        if nested is None:
            raise ConfigError(f"{path}: {name} {value} names no file: check the path")
        _read(nested, found, cwd, constraint=_NESTED[name] == "constraints", seen=seen)
    elif name in _EDITABLE:
        found.add(_requirement(value, bases, found), constraint=constraint)
    elif name in _FIND_LINKS:
        link = local_path(value, bases)
        found.add(f"--find-links {link[0] if link else value}", constraint=constraint)
    elif name:
        found.hashed |= name == "--require-hashes"
        found.add(line, constraint=constraint)
    else:
        found.hashed |= "--hash" in line
        found.add(_requirement(line, bases, found), constraint=constraint)


def _requirement(line: str, bases: Sequence[Path], found: RequirementLines) -> str:
    """A requirement line with a local path made absolute (and recorded)."""
    options = _LINE_OPTIONS.search(line)
    spec, rest = (line[: options.start()], line[options.start() :]) if options else (line, "")
    local = local_path(spec, bases)
    if local is None:
        return line
    found.paths.append(local[0])
    if "@" in spec.split(";", 1)[0] and not spec.lstrip().startswith(("/", ".")):
        return line  # name @ file:///absolute: already independent of the directory
    return f"{local[0]}{local[1]}{rest}"


def _logical_lines(text: str) -> list[str]:
    """Lines with continuations joined and comments removed, as pip reads them."""
    joined: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        line = re.sub(r"(^|\s+)#.*$", "", pending + raw).strip()
        pending = ""
        if line:
            joined.append(line)
    if pending.strip():
        joined.append(pending.strip())
    return joined


def _looks_like_path(text: str) -> bool:
    text = text.strip()
    return bool(text) and (
        text.startswith((".", "/", "~"))
        or "/" in text
        or os.sep in text
        or text.endswith(_ARCHIVES)
    )


def _split_marker(text: str) -> tuple[str, str]:
    """``path[extra] ; marker`` -> (``path[extra]``, `` ; marker``)."""
    head, sep, marker = text.partition(";")
    return head, f" ;{marker}" if sep else ""


def _after(text: str, separator: str) -> str:
    _, sep, rest = text.partition(separator)
    return f" {separator}{rest}" if sep else ""


def _file_url_path(url: str) -> Path:
    parsed = urlparse(url)
    return Path(url2pathname(unquote(parsed.path)))
