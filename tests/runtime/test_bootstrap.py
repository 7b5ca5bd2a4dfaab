"""Pieces of the runtime that can be checked without building an archive."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from bundler.runtime import BootError, bootstrap
from bundler.runtime.bootstrap import check_python, install, version_matches


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


def _index(**fields: object) -> dict[str, object]:
    return {
        "name": "app",
        "requires_python": None,
        "pythons": (),
        "python_range": "any Python 3.9+",
        **fields,
    }


def test_check_python_passes_inside_every_limit() -> None:
    running = ".".join(map(str, sys.version_info[:2]))
    check_python(_index(pythons=((f"=={running}.*", "built here"),)))  # type: ignore[arg-type]


def test_check_python_names_the_first_limit_it_breaks() -> None:
    running = ".".join(map(str, sys.version_info[:3]))
    index = _index(
        pythons=((">=3.0", "anything goes"), ("<3.0", "dep 1.0 requires Python <3.0")),
        python_range="<3.0",
    )
    with pytest.raises(BootError) as raised:
        check_python(index)  # type: ignore[arg-type]
    assert str(raised.value) == (
        f"app cannot run on Python {running} ({sys.executable}): dep 1.0 requires Python "
        "<3.0; it runs on Python <3.0"
    )


def test_requires_python_of_the_app_is_checked_first() -> None:
    index = _index(requires_python="<3.0", pythons=(("<3.0", "other reason"),))
    with pytest.raises(BootError, match=r"^app requires Python <3.0, but this is Python"):
        check_python(index)  # type: ignore[arg-type]


@pytest.mark.parametrize("isolate", [True, False])
def test_install_hides_site_packages_except_in_a_multiprocessing_child(
    isolate: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spawn child's path is its parent's, set by multiprocessing before the runtime
    starts: what the app put there (uvicorn's app directory) must stay."""
    stdlib = os.path.dirname(os.__file__)
    site = os.path.join(sys.prefix, "lib", "site-packages")
    path = ["/srv/app.pyz", "/srv/project", stdlib, site]
    monkeypatch.setattr(sys, "path", list(path))
    monkeypatch.setattr(bootstrap, "install_importer", lambda archive, index: None)
    index: Any = {"inherit_path": False, "extract": {"units": {}}}

    install("/srv/app.pyz", index, isolate)

    assert sys.path == (["/srv/app.pyz", stdlib] if isolate else path)
