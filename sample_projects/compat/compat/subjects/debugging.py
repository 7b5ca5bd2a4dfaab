"""Functions whose source, tracebacks and code objects the debugging probes look at."""

from __future__ import annotations


def sample_function(number: int) -> int:
    """Double ``number``: ``inspect.getsource`` must return exactly these lines."""
    doubled = number * 2
    return doubled


class SampleClass:
    """A class for ``inspect.getsourcelines``."""

    def method(self) -> str:
        """A method, so the class spans several lines."""
        return "method"


def fail(reason: str) -> None:
    """Raise ValueError: the traceback must show this line's source."""
    raise ValueError(f"failing on purpose: {reason}")


def call_fail() -> None:
    """One more frame of bundled code between the caller and the raise."""
    fail("nested")
