"""A circular import that fails: ``tangled_b`` wants a name this module has not bound yet."""

from compat.subjects.tangled_b import B_VALUE

A_VALUE: int = B_VALUE + 1
