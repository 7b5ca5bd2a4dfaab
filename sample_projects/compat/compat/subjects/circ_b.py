"""The other half of the working circular import."""

from compat.subjects import circ_a

NAME = "b"
SAW_PARTIAL_MODULE = not hasattr(circ_a, "NAME")


def partner() -> str:
    """The other module's name, looked up after both have finished importing."""
    return circ_a.NAME
