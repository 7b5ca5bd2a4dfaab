"""``bundle build --check-reproducible``: build the same inputs a second time somewhere else
and compare the two archives byte for byte.

The second build runs in this process with a new, empty build cache and temporary
directory, another umask, time zone and locale, so every wheel is built and every
distribution installed afresh: whatever of the machine, the place or the moment leaks into
the archive (a build stamp, a path, a random value, a file mode) shows up as a difference.
The first differing member is named, inside the payload when that is where it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from bundler.archive.members import open_members
from bundler.caches.build import BUILD_CACHE_ENV
from bundler.config import Config
from bundler.errors import NotReproducibleError
from bundler.pipeline import build
from bundler.progress import Progress, quiet_progress
from bundler.runtime import PAYLOAD_MEMBER

__all__ = ["check_reproducible", "first_difference"]

# The second build's conditions: each differs from the usual ones (and from the first
# build's, when that already ran under them: see ``_other``).
_ZONES = ("AAA-14", "ZZZ+12")  # POSIX TZ strings: UTC+14 and UTC-12, no tz database needed
_LOCALES = ("C", "C.UTF-8")


def check_reproducible(config: Config, progress: Progress | None = None) -> None:
    """Build ``config`` again in another cache, temporary directory, umask, time zone and
    locale, and raise ``NotReproducibleError`` naming the first member where the archive
    differs from ``config.output`` (which the first build wrote)."""
    shown = progress or quiet_progress()
    shown.step("building again in another cache and temporary directory, to compare")
    with tempfile.TemporaryDirectory(prefix="bundle-reproducible-") as scratch:
        root = Path(scratch)
        second = root / "second" / config.output.name
        again = dataclasses.replace(config, output=second, force=False, sbom=None)
        with _elsewhere(root):
            build(again, quiet_progress())
        difference = first_difference(config.output, second)
    if difference is not None:
        raise NotReproducibleError(
            f"{config.output} is not reproducible: a second build in another cache and "
            f"temporary directory differs in {difference}; something in the build depends "
            "on the time, the place or chance (set SOURCE_DATE_EPOCH for tools that stamp "
            "the time)"
        )
    shown.done("identical")


def first_difference(first: Path, second: Path) -> str | None:
    """Where ``second`` first differs from ``first`` ("payload member pkg/x.py (contents)",
    "member .bundle/index"), or None when the files are identical."""
    a, b = first.read_bytes(), second.read_bytes()
    if a == b:
        return None
    if a.split(b"\n", 1)[0] != b.split(b"\n", 1)[0]:
        return "the first line (the shebang)"
    try:
        found = _payload_differences(first, second)
        if found:
            return _named(found)
        return _zip_difference(io.BytesIO(a), io.BytesIO(b), "member") or "the zip's directory"
    except zipfile.BadZipFile:
        return "its bytes (one of them is not a zip archive)"


def _payload_differences(first: Path, second: Path) -> list[str]:
    """Each payload member that differs, read through the index, so that sources kept
    in packs are named too; empty when the payloads are equal or cannot be read so."""
    a, b = open_members(first), open_members(second)
    if a is None or b is None:
        return []
    names_a, names_b = set(a.files), set(b.files)
    if names_a != names_b:
        only = sorted(names_a ^ names_b)[0]
        side = "first" if only in names_a else "second"
        return [f"payload member {only} (only in the {side} build)"]
    return [f"payload member {n} (contents)" for n in sorted(names_a) if a.read(n) != b.read(n)]


def _named(found: list[str]) -> str:
    """The cause among the differences (a source, not its RECORD line or bytecode), and
    how many more there are."""
    causes = [d for d in found if not _derived(d)] or found
    more = len(found) - 1
    return causes[0] + (f" and {more} more member{'s' if more > 1 else ''}" if more else "")


def _zip_difference(a: io.BytesIO, b: io.BytesIO, what: str) -> str | None:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names_a, names_b = za.namelist(), zb.namelist()
        if names_a != names_b:
            only = sorted(set(names_a) ^ set(names_b))
            if only:
                side = "first" if only[0] in names_a else "second"
                return f"{what} {only[0]} (only in the {side} build)"
            return f"the order of the {what}s"
        # The payload holds the cause; the index and manifest differ only through its hash.
        ordered = sorted(names_a, key=lambda name: name != PAYLOAD_MEMBER)
        found = [d for d in (_member_difference(za, zb, n, what) for n in ordered) if d]
    if not found:
        return None
    if found[0].startswith("payload") and what == "member":
        return found[0]  # the payload's own difference, counted there
    # A source that differs is the cause; its RECORD line and bytecode only follow it.
    return _named(found)


def _derived(difference: str) -> bool:
    name = difference.split(" ")[2 if difference.startswith("payload") else 1]
    return name.endswith(("/RECORD", ".pyc"))


def _member_difference(
    za: zipfile.ZipFile, zb: zipfile.ZipFile, name: str, what: str
) -> str | None:
    info_a, info_b = za.getinfo(name), zb.getinfo(name)
    data_a, data_b = za.read(name), zb.read(name)
    if data_a != data_b:
        if name == PAYLOAD_MEMBER and what == "member":
            inner = _zip_difference(io.BytesIO(data_a), io.BytesIO(data_b), "payload member")
            if inner is not None:
                return inner
        return f"{what} {name} (contents)"
    for field in ("date_time", "external_attr", "compress_type", "extra", "comment"):
        if getattr(info_a, field) != getattr(info_b, field):
            return f"{what} {name} ({field.replace('_', ' ')})"
    return None


@contextlib.contextmanager
def _elsewhere(root: Path) -> Iterator[None]:
    """Run the block with a new build cache and temporary directory under ``root``, and
    another umask, time zone and locale; everything is restored afterwards."""
    cache, temp = root / "cache", root / "tmp"
    for directory in (cache, temp):
        directory.mkdir(mode=0o700)
    changes = {
        BUILD_CACHE_ENV: str(cache),
        "TMPDIR": str(temp),
        "TEMP": str(temp),
        "TMP": str(temp),
        "TZ": _other(os.environ.get("TZ"), _ZONES),
        "LC_ALL": _other(os.environ.get("LC_ALL"), _LOCALES),
    }
    saved = {name: os.environ.get(name) for name in changes}
    umask = os.umask(0o077)
    os.umask(0o022 if umask == 0o077 else 0o077)
    os.environ.update(changes)
    tempfile.tempdir = None  # tempfile caches the directory it found first
    _tzset()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        os.umask(umask)
        tempfile.tempdir = None
        _tzset()


def _other(current: str | None, choices: tuple[str, str]) -> str:
    return choices[1] if current == choices[0] else choices[0]


def _tzset() -> None:
    if hasattr(time, "tzset"):  # not on Windows
        time.tzset()
