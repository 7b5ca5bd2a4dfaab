"""Imported successfully by ``broken`` before ``broken`` fails: it stays imported."""

NAME = "broken_dependency"
