"""A module first imported after ``importlib.invalidate_caches()``."""

NAME = "late"
