"""Greet, transform and checksum text, with transforms from the nsplug namespace package."""
