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


# Apps whose code reaches its files by path, loads modules by dotted strings or any name,
# ships plain scripts, or runs only on some Pythons (tests/ecosystem/test_correctness.py).
CORRECTNESS_REQUIREMENTS = (
    "rich==15.0.0",
    "flask==3.1.3",
    "mypy==2.4.1",
    "requests==2.34.2",
    "pytz==2026.6",
    "faker==40.63.0",
    "alembic==1.20.1",
    "sqlfluff==4.5.0",
    "mkdocs==1.6.1",
    "jmespath==1.1.0",
    "docutils==0.19",
    "setuptools==84.2.1",  # builds the sample and the small projects below
)


@pytest.fixture(scope="session")
def correctness_wheels() -> Path:
    """Wheels of the apps of the correctness suite and their dependencies, for this Python."""
    return download_wheels("correctness", CORRECTNESS_REQUIREMENTS)
