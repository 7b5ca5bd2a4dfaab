"""One half of a circular import that works: ``circ_b`` imports this module half-done."""

from compat.subjects import circ_b

NAME = "a"


def partner() -> str:
    """The other module's name, looked up after both have finished importing."""
    return circ_b.NAME
