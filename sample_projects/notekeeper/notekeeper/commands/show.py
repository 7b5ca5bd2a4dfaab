"""`notekeeper show ID`: print one note in full."""

from __future__ import annotations

import argparse
import sys

from notekeeper.settings import load_defaults, load_template
from notekeeper.storage import NoteStore


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Describe the arguments of `show`."""
    parser = subparsers.add_parser("show", help="print one note in full")
    parser.add_argument("id", type=int, help="the note's id, as `list` shows it")
    return parser


def run(arguments: argparse.Namespace, store: NoteStore) -> int:
    """Print the note through the data/templates/note.txt template."""
    note = store.get(arguments.id)
    if note is None:
        print(f"notekeeper: error: no note with id {arguments.id}", file=sys.stderr)
        return 1
    text = load_template("note").substitute(
        id=note.id,
        title=note.title,
        tags=load_defaults().tag_separator.join(note.tags) or "-",
        body=note.body or "(no text)",
    )
    print(text.rstrip("\n"))
    return 0
