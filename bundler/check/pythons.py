"""The interpreters ``bundle check`` runs an archive on: those named (``--python``), else
every CPython minor version found (pyenv, the py launcher, PATH) that the archive's
``requires-python`` and limits allow, else the one running bundle."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bundler.errors import BundleError, ConfigError, InterpreterError
from bundler.interpreters import find_interpreter
from bundler.runtime.bootstrap import version_matches

__all__ = ["Python", "choose_pythons"]

# The minor versions looked for by default: those an archive may run on.
_MINORS = tuple(f"3.{minor}" for minor in range(9, 15))
_QUERY = "import sys; print('.'.join(map(str, sys.version_info[:3])), sys.executable)"


@dataclass(frozen=True)
class Python:
    """An interpreter to check on."""

    path: str
    version: str  # "3.12.1"

    @property
    def release(self) -> tuple[int, ...]:
        """The version as numbers, as ``version_matches`` takes it."""
        return tuple(int(part) for part in self.version.split(".") if part.isdigit())

    def describe(self) -> str:
        """``Python 3.12.1``."""
        return f"Python {self.version}"


def choose_pythons(
    named: Sequence[str], specifiers: Iterable[str], minors: Iterable[str] = ()
) -> list[Python]:
    """The interpreters ``named`` (each must run), else those found that satisfy every
    one of ``specifiers`` (requires-python and the build's limits) and, when ``minors``
    names some (the targets of an archive that holds several), are one of them, oldest
    first; else the current interpreter."""
    targets = set(minors)
    if named:
        return [_query(find_interpreter(name) or sys.executable, name) for name in named]
    wanted = [spec for spec in specifiers if spec]
    found: dict[str, Python] = {}
    for minor in _MINORS:
        if targets and minor not in targets:
            continue  # the archive has no build for it: it says so in one line
        try:
            path = find_interpreter(minor)
            python = _query(path or sys.executable, minor)
        except BundleError:
            continue  # that version is not on this machine
        if all(version_matches(spec, python.release) for spec in wanted):
            found.setdefault(python.version, python)
    if not found:
        current = _query(sys.executable, sys.executable)
        return [current]
    return sorted(found.values(), key=lambda p: p.release)


def _query(path: str, given: str) -> Python:
    try:
        done = subprocess.run(
            [path, "-I", "-c", _QUERY], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InterpreterError(f"cannot run the interpreter {given!r} ({exc})") from None
    version, _, executable = done.stdout.strip().partition(" ")
    if done.returncode != 0 or not version:
        raise ConfigError(f"{given!r} is not a Python interpreter that runs; name another")
    return Python(executable or path, version)
