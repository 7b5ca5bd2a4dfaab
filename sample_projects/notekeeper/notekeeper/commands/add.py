"""`notekeeper add TITLE`: save a new note."""

from __future__ import annotations

import argparse

from notekeeper.settings import load_template
from notekeeper.storage import NoteStore


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Describe the arguments of `add`."""
    parser = subparsers.add_parser("add", help="save a new note")
    parser.add_argument("title", help="a one-line title")
    parser.add_argument("--body", default="", help="the text of the note")
    parser.add_argument(
        "--tag", dest="tags", action="append", default=[], help="a tag (repeat for more)"
    )
    return parser


def run(arguments: argparse.Namespace, store: NoteStore) -> int:
    """Save the note and say which id it got."""
    note = store.add(arguments.title, arguments.body, arguments.tags)
    print(load_template("added").substitute(id=note.id, title=note.title).rstrip("\n"))
    return 0
