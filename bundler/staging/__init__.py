"""The staging stage: the project's wheel, built by its backend (``backend``, ``wheel``,
``buildenv``), what it needs installed by pip apart from it (``requirements``, ``pip``),
both in cached directories for the target interpreter (``stage``), under keys that cover
everything that decides them (``keys``, ``vcs``); and, with ``--no-install``, the
interpreter's own environment with the project's real metadata (``inplace``)."""

from bundler.staging.inplace import unstaged_environment
from bundler.staging.stage import Staging, stage

__all__ = ["Staging", "stage", "unstaged_environment"]
