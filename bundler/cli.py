"""The ``bundle`` command: parse arguments, run the pipeline, report. Nothing else."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bundler.arguments import DEBUG_ENV, make_parser
from bundler.caches.user import AREAS, cache_locations, list_entries, remove_entries
from bundler.check import run_check
from bundler.config import Overrides, load_config
from bundler.documents import build_document, cache_document, error_document
from bundler.dryrun import dry_run_lines
from bundler.errors import BundleError
from bundler.inspection.command import run_inspect, write_report
from bundler.pipeline import build, dry_run
from bundler.progress import Console, Steps
from bundler.report import build_report, cache_listing, file_sha256, removal_lines
from bundler.reproducible import check_reproducible

__all__ = ["main"]

# The console that --debug shows the commands run on, while ``main`` runs.
_DEBUGGING: list[Console] = []


@dataclass
class _Session:
    """One run of ``bundle``: where lines go, the steps timed so far, what was asked."""

    console: Console
    steps: Steps
    started: float
    json: bool


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bundle`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = make_parser()
    args = _parse(parser, list(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    console = Console.for_stderr(quiet=args.quiet, verbose=args.verbose)
    session = _Session(console, Steps(console), time.monotonic(), args.json)
    if debug:
        _show_commands(console)
    # SIGTERM unwinds like Ctrl-C, so that temporary files (the output's) are removed.
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(_HANDLERS[args.command_name](args, session))
    except Terminated:
        session.steps.finish()
        console.error("terminated")
        return 143
    except BundleError as exc:
        session.steps.finish()
        console.error(str(exc), exc.details)
        if debug:
            _show_traceback(console, exc)
        if args.json:
            seconds = time.monotonic() - session.started
            kind = args.command
            _print_json(
                error_document(exc, kind=kind, seconds=seconds, steps=session.steps.timings)
            )
        return exc.exit_status
    except KeyboardInterrupt:
        session.steps.finish()
        console.error("interrupted")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        _DEBUGGING.clear()
        console.close()


def _parse(parser: argparse.ArgumentParser, raw: list[str]) -> argparse.Namespace:
    """The arguments; for ``bundle check ARCHIVE -- ARGS``, ARGS are the app's, untouched."""
    if "--" in raw:
        cut = raw.index("--")
        args = parser.parse_args(raw[:cut])
        if args.command == "check":
            args.args, args.run_app = raw[cut + 1 :], True
            return args
    return parser.parse_args(raw)


class Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` runs (the tools the build
    started are stopped, its temporary files removed); not an Exception, so nothing
    swallows it."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def _build(args: argparse.Namespace, session: _Session) -> int:
    given = vars(args)
    names = [field.name for field in dataclasses.fields(Overrides) if field.name in given]
    # Repeatable options arrive as lists; the configuration keeps tuples.
    values: dict[str, Any] = {
        name: tuple(v) if isinstance(v := given[name], list) else v for name in names
    }
    config = load_config(args.project, Overrides(**values))
    if args.dry_run:
        plan = dry_run(config, session.steps, verbose=args.verbose)
        session.steps.finish()
        for line in dry_run_lines(plan, config.output):
            print(line, flush=True)
        return 0
    result = build(config, session.steps, verbose=args.verbose)
    if args.check_reproducible:
        check_reproducible(config, session.steps)
    if args.report is not None:
        write_report(result.archive.path, args.report)
    session.steps.finish()
    seconds = time.monotonic() - session.started
    sha256 = file_sha256(result.archive.path)
    for line in build_report(result, verbose=args.verbose, seconds=seconds, sha256=sha256):
        _show(session.console, line)
    if args.json:
        steps = session.steps.timings
        _print_json(build_document(result, sha256=sha256, seconds=seconds, steps=steps))
    else:
        print(result.archive.path, flush=True)
    return 0


def _cache(args: argparse.Namespace, session: _Session) -> int:
    if args.older_than is not None and not (args.prune or args.clear):
        args.usage_error("--older-than needs --prune (or --clear)")
    if args.prune and args.older_than is None:
        args.usage_error("--prune needs --older-than DAYS (--clear removes everything)")
    areas = tuple(args.area or AREAS)
    removal = None
    if args.prune or args.clear:
        removal = remove_entries(args.older_than, areas=areas)
        lines = list(removal_lines(removal, verbose=args.verbose))
    entries = list_entries(areas=areas)
    if args.json:
        _print_json(cache_document(cache_locations(), entries, removal))
        return 0
    if removal is None:
        where = ", ".join(str(root) for root in cache_locations())
        lines = list(cache_listing(entries)) if entries else [f"no cache entries (in {where})"]
    for line in lines:
        print(line)
    return 0


def _show(console: Console, line: str) -> None:
    if line.startswith("warning: "):
        console.warning(line[len("warning: ") :])
    else:
        console.say(line)


def _print_json(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2, sort_keys=True), flush=True)


def _show_commands(console: Console) -> None:
    """Show every command bundle runs (pip, the build backend, interpreters) as it starts."""
    _DEBUGGING.append(console)
    if not getattr(_show_commands, "hooked", False):
        sys.addaudithook(_audit)  # cannot be removed: it does nothing once main returns
        _show_commands.hooked = True  # type: ignore[attr-defined]


def _audit(event: str, arguments: tuple[Any, ...]) -> None:
    if event == "subprocess.Popen" and _DEBUGGING:
        command = [str(os.fspath(a)) for a in arguments[1]] if arguments[1] else [arguments[0]]
        # A script given with -c is many lines: its size says enough.
        shown = [f"<{len(a.splitlines())}-line script>" if "\n" in a else a for a in command]
        _DEBUGGING[0].say(f"debug: running {shlex.join(shown)}", minimum=0)


def _show_traceback(console: Console, error: BaseException) -> None:
    """The traceback behind a ``bundle: error:`` line, with the exceptions it hides."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for exc in reversed(chain):
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, chain=False))
        console.raw(text)


def _inspect(args: argparse.Namespace, session: _Session) -> int:
    return run_inspect(args.archive, sys.stdout, why=args.why, sbom=args.sbom, as_json=args.json)


def _check(args: argparse.Namespace, session: _Session) -> int:
    return run_check(
        args.archive,
        sys.stdout,
        pythons=args.pythons,
        skip=args.skip,
        app_args=args.args if args.run_app else None,
        as_json=args.json,
        progress=session.console.say,
    )


_HANDLERS = {"build": _build, "cache": _cache, "inspect": _inspect, "check": _check}
