"""A plugin package, which ``pkgutil.walk_packages`` enters."""

NAME = "nested"
