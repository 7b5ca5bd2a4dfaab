"""Parse the command line and run the chosen subcommand against the notes file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from notekeeper.commands import register_all
from notekeeper.settings import load_defaults
from notekeeper.storage import NoteStore, StoreError


def main(argv: Sequence[str] | None = None) -> int:
    """Run notekeeper with `argv` (default: sys.argv[1:]) and return the exit code."""
    arguments = _build_parser().parse_args(argv)
    store = NoteStore(Path(arguments.store))
    try:
        exit_code: int = arguments.run(arguments, store)
    except StoreError as error:
        print(f"notekeeper: error: {error}", file=sys.stderr)
        return 1
    return exit_code


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="notekeeper", description="Keep short notes.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('notekeeper')}")
    parser.add_argument(
        "--store",
        default=load_defaults().store,
        metavar="PATH",
        help="the JSON file that holds the notes (default: %(default)s)",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    register_all(subparsers)
    return parser
