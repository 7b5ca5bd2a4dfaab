"""Real wheels from the package index, downloaded once into a cache kept between test runs.

Tests that need published distributions (build backends, the ecosystem suite's apps) get
them from here and then build offline (``--no-index --find-links DIR``), so nothing in a
build depends on this machine's pip configuration. Only the download itself uses it: it
runs ``pip download`` as the user would, so a configured mirror works.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.helpers.shared import create_once

__all__ = ["WHEELS_ENV", "download_wheels", "wheels_cache"]

# Set it to keep the downloaded wheels elsewhere (a CI cache, a copy made on another machine).
WHEELS_ENV = "BUNDLER_TEST_WHEELS"


def wheels_cache() -> Path:
    """``$BUNDLER_TEST_WHEELS``, else ``~/.cache/bundler-tests/wheels``."""
    explicit = os.environ.get(WHEELS_ENV)
    root = Path(explicit) if explicit else Path.home() / ".cache" / "bundler-tests" / "wheels"
    root.mkdir(parents=True, exist_ok=True)
    return root


def download_wheels(
    name: str, requirements: Sequence[str], targets: Sequence[Sequence[str]] = ()
) -> Path:
    """A directory with wheels of ``requirements`` and their dependencies, for this Python
    (or, with ``targets``, for each target: pip's ``--python-version``, ``--platform``...).

    The directory is named after ``name`` and a hash of the requirements, so changing a pin
    downloads into a new one; an existing complete directory is reused without the network.
    """
    listing = "\n".join([*requirements, *(" ".join(target) for target in targets)])
    digest = hashlib.sha256(f"{sys.version_info[:2]}\n{listing}".encode()).hexdigest()[:12]

    def fill(directory: Path) -> None:
        for options in targets or [()]:
            _download(directory, requirements, options)

    return create_once(wheels_cache(), f"{name}-{digest}", fill)


def _download(dest: Path, requirements: Sequence[str], options: Sequence[str] = ()) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--dest",
            str(dest),
            *options,
            *requirements,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        pytest.fail(
            f"cannot download {' '.join(requirements)}; the first run needs the network "
            f"(or point {WHEELS_ENV} at a copy of a wheel cache that has them):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}",
            pytrace=False,
        )
