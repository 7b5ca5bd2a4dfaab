"""The ``compat`` command: run probes and print their results as JSON, and a few test aids."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence

from compat import registry

# When set, every run of main() appends a line to this file: a child process that re-runs
# the app (which multiprocessing's children must not do) shows up as an extra line.
MAIN_MARKER_ENV = "COMPAT_MAIN_MARKER"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; the return value is the exit status."""
    record_main_run()
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        return 2
    return int(args.handler(args))


def record_main_run() -> None:
    """Append ``<pid>`` to the file named by ``COMPAT_MAIN_MARKER``, if it is set."""
    marker = os.environ.get(MAIN_MARKER_ENV)
    if marker:
        with open(marker, "a", encoding="utf-8") as stream:
            stream.write(f"{os.getpid()}\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="compat", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser("list", help="name every probe")
    listing.set_defaults(handler=_list)

    probing = commands.add_parser("probe", help="run probes and print their results as JSON")
    probing.add_argument("names", nargs="*", metavar="NAME", help="probes to run")
    probing.add_argument("--all", action="store_true", help="run every general probe")
    probing.set_defaults(handler=_probe, parser=probing)

    sleeping = commands.add_parser("sleep", help="print 'sleeping', then sleep")
    sleeping.add_argument("seconds", type=float)
    sleeping.set_defaults(handler=_sleep)

    exiting = commands.add_parser("exit", help="end with SystemExit or a return value")
    exiting.add_argument("code", help="an exit status, or a message for SystemExit")
    exiting.add_argument(
        "--return", dest="by_return", action="store_true", help="return it from main()"
    )
    exiting.set_defaults(handler=_exit)

    crashing = commands.add_parser("crash", help="print the install root, then raise")
    crashing.set_defaults(handler=_crash)
    return parser


def _list(args: argparse.Namespace) -> int:
    from compat import probes  # noqa: F401 - registers every probe

    for name, registered in registry.PROBES.items():
        scope = "" if registered.in_all else "  (not in --all)"
        print(f"{name:<32} {registered.summary}{scope}")
    return 0


def _probe(args: argparse.Namespace) -> int:
    from compat import probes  # noqa: F401 - registers every probe

    names: list[str] = list(args.names)
    if args.all:
        names += [name for name in registry.names_in_all() if name not in names]
    unknown = [name for name in names if name not in registry.PROBES]
    if unknown or not names:
        args.parser.error(
            f"unknown probe: {', '.join(unknown)}" if unknown else "name probes, or --all"
        )
    results = registry.run_probes(names)
    print(json.dumps(results, sort_keys=True, indent=1, ensure_ascii=True))
    return 0


def _sleep(args: argparse.Namespace) -> int:
    print("sleeping", flush=True)
    time.sleep(args.seconds)
    return 0


def _exit(args: argparse.Namespace) -> int:
    code = int(args.code) if args.code.lstrip("-").isdigit() else args.code
    if args.by_return:
        return int(code)
    raise SystemExit(code)


def _crash(args: argparse.Namespace) -> int:
    from compat.subjects import debugging

    print(json.dumps({"root": registry.install_root()}), flush=True)
    debugging.call_fail()
    return 0
