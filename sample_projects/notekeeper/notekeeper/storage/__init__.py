"""Notes and the JSON file they are kept in."""

from notekeeper.storage.jsonstore import NoteStore, StoreError
from notekeeper.storage.models import Note

__all__ = ["Note", "NoteStore", "StoreError"]
