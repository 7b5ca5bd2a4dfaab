"""A counter that wordstats registers with tallyho through its own entry points."""

from __future__ import annotations

from tallyho import split_words


class LongestWordCounter:
    """Measures the longest word."""

    description = "Letters in the longest word"

    def count(self, text: str) -> int:
        """Return the length of the longest word in `text`, or 0 when it has none."""
        return max((len(word) for word in split_words(text)), default=0)
