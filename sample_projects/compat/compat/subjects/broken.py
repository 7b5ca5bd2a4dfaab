"""A module whose import fails half-way: it must not be left in ``sys.modules``."""

from compat.subjects import broken_dependency

DEFINED_BEFORE_FAILING = broken_dependency.NAME

raise RuntimeError("compat.subjects.broken fails to import on purpose")
