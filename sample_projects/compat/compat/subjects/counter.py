"""Counts how many times its code has run: ``importlib.reload`` runs it again in place."""

LOADS = globals().get("LOADS", 0) + 1
