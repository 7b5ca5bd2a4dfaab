"""Keep notes in one JSON file, written atomically so an interrupted save loses nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from notekeeper.storage.models import Note

_FORMAT_VERSION = 1


class StoreError(Exception):
    """The notes file cannot be read, or holds something that is not a notes file."""


class NoteStore:
    """The notes in one file; a file that does not exist yet holds no notes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[Note]:
        """Return every note, by id."""
        if not self.path.exists():
            return []
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise StoreError(f"cannot read {self.path}: {error}") from error
        if not isinstance(document, dict) or document.get("version") != _FORMAT_VERSION:
            raise StoreError(f"{self.path} is not a notekeeper file (version {_FORMAT_VERSION})")
        return sorted((Note.from_json(fields) for fields in document["notes"]), key=_note_id)

    def add(self, title: str, body: str, tags: Iterable[str]) -> Note:
        """Save a new note with the next free id and return it."""
        notes = self.load()
        note = Note(
            id=max((n.id for n in notes), default=0) + 1,
            title=title,
            body=body,
            tags=tuple(sorted(set(tags))),
        )
        self._save([*notes, note])
        return note

    def get(self, note_id: int) -> Note | None:
        """Return the note with `note_id`, or None."""
        return next((note for note in self.load() if note.id == note_id), None)

    def _save(self, notes: list[Note]) -> None:
        document = {"version": _FORMAT_VERSION, "notes": [note.to_json() for note in notes]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.partial")
        partial.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(partial, self.path)


def _note_id(note: Note) -> int:
    return note.id
