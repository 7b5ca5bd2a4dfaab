"""The note record, and its conversion to and from JSON-ready dictionaries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Note:
    """One note: a title, an optional body and sorted, distinct tags."""

    id: int
    title: str
    body: str = ""
    tags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the note as a dictionary for json.dump."""
        return {"id": self.id, "title": self.title, "body": self.body, "tags": list(self.tags)}

    @classmethod
    def from_json(cls, fields: Mapping[str, Any]) -> Note:
        """Build a note from what `to_json` wrote."""
        return cls(
            id=int(fields["id"]),
            title=str(fields["title"]),
            body=str(fields.get("body", "")),
            tags=tuple(sorted(set(fields.get("tags", ())))),
        )
