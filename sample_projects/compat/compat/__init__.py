"""Probes that show whether an app can tell it runs from an archive or from a virtualenv."""

__version__ = "1.0.0"
