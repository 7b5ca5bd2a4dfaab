"""Find, in the output of a failed pip or build backend, the line that says why.

The last line is rarely it: setuptools ends a discovery error with a pointer to its docs,
pip ends a failed build with "note: This error originates from a subprocess", and an
exception inside pip puts ``ERROR: Exception:`` above its traceback. What counts, in order:
the ``error:`` line a backend printed (inside pip's "lines of output" block when pip ran
it), pip's own ``ERROR:`` line, the exception that ended the last traceback (with file
and line for a syntax error), and only then the last line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["IndexFailure", "backend_reason", "index_failure", "pip_reason"]

# pip's frame around the output of a build subprocess it ran.
_BLOCK_START = re.compile(r"╰─> \[\d+ lines? of output\]")
_BLOCK_END = "[end of output]"
# What pip was working on when a build subprocess failed.
_SUBJECT = re.compile(
    r"^\s*(?:Processing|Collecting|Obtaining|Building wheel for|Preparing metadata \(\S+\) for)"
    r"\s+(\S+)"
)
_BACKEND_ERROR = re.compile(r"^\s*error: (?!subprocess-exited-with-error)(.+)")
_PIP_ERROR = re.compile(r"^ERROR: (.+)")
_FRAME_FILE = re.compile(r'^\s+File "([^"]+)", line (\d+)')
_SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
# pip's retries of an index it cannot reach, and the cause it gives.
_RETRY = re.compile(r"Retrying \(.*\) after connection broken by '(\w+)\((.*)\)': (\S+)")
_FETCH = re.compile(r"Could not fetch URL (\S+): (.+?)(?: - skipping)?$")
_INDEXES = re.compile(r"^Looking in indexes: (.+)")
_DEFAULT_INDEX = "https://pypi.org/simple"
_HASHES_DIFFER = "DO NOT MATCH THE HASHES"


@dataclass(frozen=True)
class IndexFailure:
    """pip could not reach a package index: which one, and why."""

    index: str
    cause: str


def pip_reason(lines: Sequence[str]) -> str:
    """Why pip failed, in one line."""
    block = _subprocess_block(lines)
    if block is not None:
        subject, output = block
        reason = backend_reason(output)
        return f"building {subject} failed: {reason}" if subject else reason
    mismatch = _hash_mismatch(lines)
    if mismatch is not None:
        return mismatch
    for line in reversed(lines):
        match = _PIP_ERROR.match(line.strip())
        if match is None or "for help visit" in line:
            continue
        if match.group(1).strip() == "Exception:":
            return _exception_line(lines) or "pip stopped with an internal error"
        return match.group(1).strip()
    return backend_reason(lines)


def backend_reason(lines: Sequence[str]) -> str:
    """Why a build backend failed, in one line: its ``error:`` line, else the exception
    that ended its traceback, else its last line."""
    for line in reversed(lines):
        match = _BACKEND_ERROR.match(line)
        if match is not None:
            return f"error: {match.group(1).strip()}"
    exception = _exception_line(lines)
    if exception is not None:
        return exception
    useful = [line.strip() for line in lines if line.strip()]
    return useful[-1] if useful else "no output"


def index_failure(lines: Sequence[str]) -> IndexFailure | None:
    """The index pip could not reach, if its output shows it retried or gave up on one."""
    cause = fetched = None
    for line in lines:
        retry = _RETRY.search(line)
        fetch = _FETCH.search(line)
        if retry is not None:
            cause = _connection_cause(retry.group(1), retry.group(2))
        elif fetch is not None and "connection error" in fetch.group(2):
            cause, fetched = _connection_cause("", fetch.group(2)), fetch.group(1)
    if cause is None:
        return None
    index = fetched.rstrip("/").rsplit("/", 1)[0] if fetched else _DEFAULT_INDEX
    for line in lines:
        match = _INDEXES.match(line.strip())
        if match is not None:
            index = match.group(1).split(",")[0].strip()
    return IndexFailure(index, cause)


def _subprocess_block(lines: Sequence[str]) -> tuple[str | None, list[str]] | None:
    """The last output pip framed as a build subprocess's, and the project it was for."""
    start = None
    for number, line in enumerate(lines):
        if _BLOCK_START.search(line):
            start = number
    if start is None:
        return None
    block = []
    for line in lines[start + 1 :]:
        if line.strip() == _BLOCK_END:
            break
        block.append(line)
    subject = None
    for line in reversed(lines[:start]):
        match = _SUBJECT.match(line)
        if match is not None:
            subject = match.group(1).rstrip(":")
            break
    return subject, block


def _hash_mismatch(lines: Sequence[str]) -> str | None:
    """The first distribution whose hash is not the one a lock pins, and both hashes."""
    start = next((n for n, line in enumerate(lines) if _HASHES_DIFFER in line), None)
    if start is None:
        return None
    subject = expected = got = None
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if subject is None and " from " in stripped:
            subject = stripped.split(" from ", 1)[0]
        elif stripped.startswith("Expected ") and expected is None:
            expected = " ".join(stripped.split()[1:])
        elif stripped.startswith("Got ") and got is None:
            got = stripped.split()[-1]
            break
    if subject is None or expected is None or got is None:
        return None
    return f"{subject} does not have the hash the lock pins (expected {expected}, got {got})"


def _exception_line(lines: Sequence[str]) -> str | None:
    """The ``Type: message`` line that ends the last traceback, with the file and line of
    a syntax error."""
    starts = [n for n, line in enumerate(lines) if line.strip().startswith("Traceback (most")]
    if not starts:
        return None
    where = None
    indent = len(lines[starts[-1]]) - len(lines[starts[-1]].lstrip())
    for line in lines[starts[-1] + 1 :]:
        frame = _FRAME_FILE.match(line)
        if frame is not None:
            where = (frame.group(1), frame.group(2))
            continue
        stripped = line.strip()
        if not stripped or len(line) - len(line.lstrip()) > indent:
            continue  # source lines and carets of a frame
        if stripped.split(":")[0].split(".")[-1] in _SYNTAX_ERRORS and where is not None:
            return f"{stripped} ({_file_name(where[0], lines)}, line {where[1]})"
        return stripped
    return None


def _file_name(path: str, lines: Sequence[str]) -> str:
    """The name of the file a frame shows; setuptools runs setup.py as ``<string>``."""
    if path == "<string>" and any("run_setup" in line for line in lines):
        return "setup.py"
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _connection_cause(kind: str, text: str) -> str:
    """A short cause from urllib3's words: "Name or service not known", "timed out"..."""
    for pattern in (r"\[Errno -?\d+\] ([^'\"\)]+)", r"(timed out)", r"(Connection refused)"):
        match = re.search(pattern, text)
        if match is not None:
            return match.group(1).strip()
    if "SSL" in kind or "certificate" in text:
        return "SSL error"
    return kind or text.strip()[:120]
