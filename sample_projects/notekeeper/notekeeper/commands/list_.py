"""`notekeeper list`: one line per note, with its id, title and tags."""

from __future__ import annotations

import argparse

from notekeeper.settings import load_defaults
from notekeeper.storage import Note, NoteStore


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Describe the arguments of `list`."""
    parser = subparsers.add_parser("list", help="list the notes")
    parser.add_argument("--tag", help="only the notes with this tag")
    return parser


def run(arguments: argparse.Namespace, store: NoteStore) -> int:
    """Print the notes as aligned columns, or a hint when there are none."""
    notes = [note for note in store.load() if arguments.tag is None or arguments.tag in note.tags]
    if not notes:
        print(load_defaults().empty_list_message)
        return 0
    id_width = max(len(str(note.id)) for note in notes)
    title_width = max(len(note.title) for note in notes)
    for note in notes:
        line = f"{note.id:>{id_width}}  {note.title:<{title_width}}  {_tag_list(note)}"
        print(line.rstrip())
    return 0


def _tag_list(note: Note) -> str:
    return f"[{load_defaults().tag_separator.join(note.tags)}]" if note.tags else ""
