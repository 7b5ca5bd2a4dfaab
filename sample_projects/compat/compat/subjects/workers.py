"""Functions that worker processes run: they report where their code came from."""

from __future__ import annotations

import os
from typing import Any

from compat import registry

# The parent's install root, so a worker can tell whether it imports from the same place.
PARENT_ROOT_ENV = "COMPAT_PARENT_ROOT"


def square(number: int) -> dict[str, Any]:
    """``number`` squared, with where this module and the compat package were found."""
    return {
        "square": number * number,
        "module": registry.normalise(__file__),
        "same_root_as_parent": registry.install_root() == os.environ.get(PARENT_ROOT_ENV),
    }


def touch(path: str) -> None:
    """Create ``path``: the cheapest proof that a child process could run bundled code."""
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(registry.normalise(__file__))
