"""The srctool command line: greet, transform, checksum and info subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nsplug import core, extra

from acme.greet import greeting
from srctool.checksums import checksum

# Importing nsplug.extra registers its transforms with nsplug.core.
_TRANSFORM_PROVIDERS = (core, extra)


def run(argv: Sequence[str] | None = None) -> int:
    """Run srctool with `argv` (default: sys.argv[1:]) and return the exit code."""
    arguments = _build_parser().parse_args(argv)
    if arguments.command == "greet":
        print(greeting(arguments.name, excited=arguments.excited))
    elif arguments.command == "transform":
        return _transform(arguments.steps, " ".join(arguments.text))
    elif arguments.command == "checksum":
        print(checksum(" ".join(arguments.text)))
    else:
        _print_info()
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srctool", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    greet = commands.add_parser("greet", help="greet someone")
    greet.add_argument("name")
    greet.add_argument("--excited", action="store_true", help="end with an exclamation mark")
    transform = commands.add_parser("transform", help="run text through nsplug transforms")
    transform.add_argument(
        "--with",
        dest="steps",
        default="",
        metavar="NAMES",
        help=f"comma-separated transforms, in order (known: {', '.join(core.registered())})",
    )
    transform.add_argument("text", nargs="+")
    checksum_parser = commands.add_parser("checksum", help="print the CRC-32 of some text")
    checksum_parser.add_argument("text", nargs="+")
    commands.add_parser("info", help="describe this build of srctool")
    return parser


def _transform(steps: str, text: str) -> int:
    try:
        print(core.apply([step for step in steps.split(",") if step], text))
    except core.UnknownTransformError as error:
        print(f"srctool: error: {error}", file=sys.stderr)
        return 1
    return 0


def _print_info() -> None:
    # Imported here so that the other commands never pay for importlib.metadata.
    from srctool.report import describe

    print("\n".join(describe()))
