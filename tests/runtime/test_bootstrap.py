"""Pieces of the runtime that can be checked without building an archive."""

from __future__ import annotations

import pytest

from bundler.runtime.bootstrap import version_matches


@pytest.mark.parametrize(
    ("specifier", "version", "expected"),
    [
        (">=3.9", (3, 9, 0), True),
        (">=3.9", (3, 8, 18), False),
        (">=3.10,<3.13", (3, 12, 1), True),
        (">=3.10,<3.13", (3, 13, 0), False),
        ("!=3.10.*", (3, 10, 13), False),
        ("!=3.10.*", (3, 11, 7), True),
        ("==3.11.*", (3, 11, 7), True),
        ("~=3.9", (3, 13, 0), True),
        ("~=3.9.2", (3, 9, 1), False),
        ("~=3.9.2", (3, 10, 0), False),
        ("~=3.9.2", (3, 9, 18), True),
        ("> 3.9 , <= 3.11", (3, 11, 0), True),
        ("==3.11", (3, 11, 0), True),
        ("", (3, 11, 0), True),
        (">=3.9.0rc1", (3, 11, 0), True),  # a form we do not parse never blocks the app
    ],
)
def test_requires_python_evaluation(
    specifier: str, version: tuple[int, int, int], expected: bool
) -> None:
    assert version_matches(specifier, version) is expected
