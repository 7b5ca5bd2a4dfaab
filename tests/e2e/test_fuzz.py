"""Damaged archives, bounded and seeded: a byte flipped or the file cut in every region.

Whatever the damage, the archive either runs exactly as built, or exits non-zero, and
then says so in one line (no traceback from our code, no output). The regions that only
Python's zipimport reads (the zip's own headers and directory, the ``__main__`` stub) may
also fail with Python's own error, still non-zero and never with a wrong output; a file
cut inside its first line is, to Python, a one-line comment (README, "Security").
"""

from __future__ import annotations

import random
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Runner, pyproject, run_bundle, write_project
from tests.helpers.pythons import clean_env

# Seeded and bounded: FLIPS flipped bytes and CUTS truncations in each of the REGIONS.
SEED = 20261201
FLIPS = 10
CUTS = 4
# Python's marshal, reading a damaged __main__.pyc for zipimport, can run for a minute
# before it fails: Python's own (README), cut short here.
TIMEOUT = 10
REGIONS = ("shebang", "zip headers", "__main__", "runtime", "index", "chunks", "payload")
# Regions read by Python's zipimport before any code of ours runs.
PYTHONS_OWN = {"shebang", "zip headers", "__main__"}
EXPECTED = "total 6 from 3 words\n"

APP = """\
from demo import words


def main():
    print(f"total {words.total()} from {len(words.WORDS)} words")
"""
WORDS = """\
WORDS = ["a", "bb", "ccc"]


def total():
    return sum(len(word) for word in WORDS)
"""


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(
        tmp_path_factory.mktemp("fuzz"),
        {
            "pyproject.toml": pyproject(scripts={"demo": "demo.cli:main"}),
            "demo/__init__.py": "",
            "demo/cli.py": APP,
            "demo/words.py": WORDS,
        },
    )
    built = run_bundle("build", root, "-o", root / "app.pyz", "-q", "--no-install")
    assert (built.returncode, built.stderr) == (0, "")
    return root / "app.pyz"


def regions(data: bytes, path: Path) -> dict[str, list[tuple[int, int]]]:
    """Byte ranges of each region of an archive: [start, end) pairs."""
    found: dict[str, list[tuple[int, int]]] = {name: [] for name in REGIONS}
    with zipfile.ZipFile(path) as outer:
        infos = outer.infolist()
        directory_start = min(info.header_offset for info in infos)
    found["shebang"].append((0, directory_start))  # the /bin/sh header (archive/header.py)
    for info in infos:
        header = info.header_offset
        start = header + 30 + int.from_bytes(data[header + 26 : header + 28], "little")
        start += int.from_bytes(data[header + 28 : header + 30], "little")
        found["zip headers"].append((header, start))
        region = _region_of(info.filename)
        if region is not None:
            found[region].append((start, start + info.compress_size))
    central = max(info.header_offset + info.compress_size for info in infos)
    found["zip headers"].append((central, len(data)))
    assert data[:directory_start].startswith(b"#!/bin/sh\n")
    return found


def _region_of(member: str) -> str | None:
    if member.startswith("__main__.py"):
        return "__main__"
    if member in (".bundle/runtime", ".bundle/runtime-rest", "_bundler_runtime/__init__.pyc"):
        return "runtime"
    return {
        ".bundle/index": "index",
        ".bundle/chunks": "chunks",
        ".bundle/payload.zip": "payload",
    }.get(member)


def damaged_copies(data: bytes, path: Path) -> Iterator[tuple[str, str, bytes]]:
    """(region, what was done, damaged bytes), FLIPS + CUTS per region, seeded."""
    rng = random.Random(SEED)
    for region, ranges in regions(data, path).items():
        offsets = [offset for start, end in ranges for offset in range(start, end)]
        for _ in range(FLIPS):
            offset = rng.choice(offsets)
            damaged = bytearray(data)
            damaged[offset] ^= rng.randrange(1, 256)
            yield region, f"flip at {offset}", bytes(damaged)
        for _ in range(CUTS):
            offset = rng.choice(offsets)
            if region == "shebang":
                offset = max(offset, data.index(b"\n") + 2)  # only line 1 left: README
            yield region, f"cut at {offset}", data[:offset]


def test_damaged_archives_run_right_or_fail_in_one_line(
    archive: Path, run_app: Runner, clean_python: Path, tmp_path: Path
) -> None:
    assert run_app(archive).stdout == EXPECTED
    data = archive.read_bytes()
    outcomes: dict[str, int] = {"ran as built": 0, "one line": 0, "Python's own error": 0}
    count = 0
    for region, what, damaged in damaged_copies(data, archive):
        count += 1
        target = tmp_path / "app.pyz"
        target.write_bytes(damaged)
        try:
            result = subprocess.run(
                [str(clean_python), str(target)],
                capture_output=True,
                text=True,
                env=clean_env(),
                timeout=TIMEOUT,
                errors="replace",
            )
        except subprocess.TimeoutExpired:
            assert region == "__main__", f"{region}: {what}: timed out"
            outcomes["Python's own error"] += 1
            continue
        where = f"{region}: {what}: {result.returncode} {result.stdout!r} {result.stderr!r}"
        if result.returncode == 0:
            assert (result.stdout, result.stderr) == (EXPECTED, ""), where
            outcomes["ran as built"] += 1
            continue
        assert result.stdout == "", where  # never a wrong output
        one_line = result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        if one_line:
            outcomes["one line"] += 1
            continue
        assert region in PYTHONS_OWN or what.startswith("cut"), where
        assert "_bundler_runtime" not in result.stderr, where  # no traceback from our code
        outcomes["Python's own error"] += 1
    assert count == len(REGIONS) * (FLIPS + CUTS)  # the number the README gives
    assert outcomes["one line"] > 0
