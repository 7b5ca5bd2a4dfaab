"""The other half of the failing circular import."""

from compat.subjects.tangled_a import A_VALUE

B_VALUE: int = A_VALUE + 1
