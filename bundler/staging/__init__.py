"""The staging stage: the project's wheel, built by its backend (``wheel``), installed
with its requirements by pip (``pip``) into a cached directory for the target
interpreter (``stage``), under keys that cover everything that decides it (``keys``)."""

from bundler.staging.stage import Staging, stage

__all__ = ["Staging", "stage"]
