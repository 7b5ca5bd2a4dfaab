"""The ecosystem suite: real published CLIs, bundled from wheels downloaded once.

``pytest -m ecosystem`` runs only this suite. The first run downloads the pinned apps and
their dependencies with ``pip download`` (tests/helpers/downloads.py); every build and
install after that is offline, from that directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.downloads import download_wheels

# The apps, pinned: the archive and the virtualenv it is compared with get the same wheels.
ECOSYSTEM_REQUIREMENTS = (
    "black==26.10.1",
    "flake8==7.5.0",
    "isort==9.0.2",
    "pygments==2.21.0",
    "httpie==3.2.4",
    "docutils==0.23",
    "sqlparse==0.6.1",
    "markdown==3.11.3",
    "cookiecutter==2.7.1",
    "yamllint==1.38.0",
)


@pytest.fixture(scope="session")
def ecosystem_wheels() -> Path:
    """Wheels of every ecosystem app and its dependencies, for this Python."""
    return download_wheels("ecosystem", ECOSYSTEM_REQUIREMENTS)
