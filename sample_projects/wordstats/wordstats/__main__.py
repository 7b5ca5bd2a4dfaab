"""The wordstats command line: count a text, or list the counters that are installed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import version

from inkwell import InkwellError, Table, get_formatter, load_theme
from tallyho import (
    Counter,
    UnknownCounterError,
    load_counters,
    render_table,
    tally,
    to_json,
)

from wordstats.reading import STDIN, read_text


def main(argv: Sequence[str] | None = None) -> int:
    """Run wordstats with `argv` (default: sys.argv[1:]) and return the exit code."""
    arguments = _build_parser().parse_args(argv)
    formatter = "plain" if arguments.plain else "ansi"
    try:
        counters = load_counters(arguments.only.split(",") if arguments.only else None)
        if arguments.list_counters:
            print(_counter_table(counters, formatter, arguments.theme))
            return 0
        counts = tally(read_text(arguments.file), counters)
        if arguments.json:
            print(to_json(counts))
        else:
            print(render_table(counts, formatter=formatter, theme=arguments.theme))
    except (OSError, UnknownCounterError, InkwellError) as error:
        print(f"wordstats: error: {_describe(error)}", file=sys.stderr)
        return 1
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wordstats", description="Count the words, lines and characters of a text."
    )
    parser.add_argument("file", nargs="?", default=STDIN, help="the text (default: stdin)")
    parser.add_argument("--plain", action="store_true", help="no ANSI colours")
    parser.add_argument("--theme", default="default", help="an inkwell theme (default, mono)")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated counters to run")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.add_argument(
        "--list-counters", action="store_true", help="list the installed counters and exit"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('wordstats')}")
    return parser


def _counter_table(counters: Mapping[str, Counter], formatter: str, theme: str) -> str:
    table = Table(["counter", "description"], theme=load_theme(theme))
    for name, counter in counters.items():
        table.add_row(name, counter.description)
    return table.render(get_formatter(formatter))


def _describe(error: Exception) -> str:
    if isinstance(error, OSError) and error.filename is not None:
        return f"cannot read {error.filename}: {error.strerror}"
    return str(error)


if __name__ == "__main__":
    raise SystemExit(main())
