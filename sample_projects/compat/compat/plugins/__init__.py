"""Plugins found by walking this package with ``pkgutil``, never imported by name."""
