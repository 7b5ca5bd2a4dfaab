"""Modules that the probes import, reload, break, inspect and run in other processes."""
