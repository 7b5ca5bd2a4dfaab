"""Every probe, one module per area; importing this package registers them all."""

# The import order is the order of `compat probe --all`: processes last, as they are slowest.
from compat.probes import imports, resources, metadata, debugging, processes  # noqa: I001

__all__ = ["debugging", "imports", "metadata", "processes", "resources"]
