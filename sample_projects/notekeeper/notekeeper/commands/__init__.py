"""The subcommands: each module adds its parser and the function that runs it."""

from __future__ import annotations

import argparse

from notekeeper.commands import add, list_, show

COMMAND_MODULES = (add, list_, show)


def register_all(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add every subcommand's parser, each remembering the function that runs it."""
    for module in COMMAND_MODULES:
        parser = module.add_parser(subparsers)
        parser.set_defaults(run=module.run)
