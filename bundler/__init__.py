"""bundler: turn a Python project into one self-contained zip application."""

__all__ = ["__version__"]

__version__ = "0.1.0"
