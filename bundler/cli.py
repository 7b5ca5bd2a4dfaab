"""The ``bundle`` command: parse arguments, run the pipeline, report. Nothing else."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bundler
from bundler.caches.user import cache_locations, clear_entries, list_entries
from bundler.config import Overrides, load_config
from bundler.errors import BundleError, CacheDirError
from bundler.pipeline import build
from bundler.report import build_report, cache_listing, mib
from bundler.runtime import CACHE_ENV

__all__ = ["main"]

_VERBOSE_HELP = "list every bundled module and why; show pip's and the build backend's output"
# Options that may be given several times, each adding to a list.
_REPEATED = {"action": "append", "default": []}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bundle`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.handler(args))
    except BundleError as exc:
        for line in exc.details:
            print(f"  | {line}", file=sys.stderr)
        print(f"bundle: error: {exc}", file=sys.stderr)
        return 1
    except Terminated:
        print("bundle: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("bundle: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` runs: the tools the build
    started are stopped and its temporary files removed."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bundle", description="Turn a Python project into one self-contained zip app."
    )
    parser.add_argument("--version", action="version", version=f"bundle {bundler.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub = commands.add_parser("build", help="build a .pyz archive from a project")
    _add_what_arguments(sub)
    _add_install_arguments(sub)
    _add_index_arguments(sub)
    verbosity = sub.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    verbosity.add_argument("-v", "--verbose", action="store_true", help=_VERBOSE_HELP)
    sub.set_defaults(handler=_build)
    _add_cache_command(commands)
    return parser


def _add_what_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "project",
        nargs="?",
        default=None,
        type=Path,
        help="project directory (default: the current directory, if it has a pyproject.toml)",
    )
    sub.add_argument("-o", "--output", type=Path, help="archive to write, e.g. app.pyz")
    sub.add_argument("-e", "--entry", metavar="MODULE[:FUNC]", help="entry point to run")
    sub.add_argument(
        "-c",
        "--console-script",
        dest="script",
        metavar="SCRIPT",
        help="run the console script with this name, of the project or an installed distribution",
    )
    sub.add_argument(
        "--python",
        metavar="INTERPRETER",
        help="the interpreter the archive is for: pip installs for it (default: this one)",
    )
    sub.add_argument("--shebang", metavar="LINE", help="first line of the archive")
    for flag, help_text in (
        ("--include", "also bundle MODULE and what it imports (repeatable)"),
        ("--exclude", "leave MODULE and its submodules out (repeatable)"),
    ):
        sub.add_argument(flag, **_REPEATED, metavar="MODULE", help=help_text)  # type: ignore[arg-type]
    for flag, dest, help_text in (
        ("--strict", "strict", "fail when an import cannot be resolved"),
        ("--inherit-path", "inherit_path", "let the app see the host's site-packages"),
    ):
        sub.add_argument(flag, dest=dest, action="store_true", default=None, help=help_text)
    _switch(sub, "--no-compile", "compile", "store sources only, no bytecode")


def _add_install_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group(
        "installing",
        "By default the project is built into a wheel and installed, with its dependencies "
        "and any --with/-r requirements, by pip into a cached staging directory.",
    )
    group.add_argument(
        "--with",
        dest="requirements",
        **_REPEATED,  # type: ignore[arg-type]
        metavar="REQUIREMENT",
        help="also install this distribution, e.g. 'black==26.10.1' (repeatable)",
    )
    for flags, dest, help_text in (
        (
            ("-r", "--requirement"),
            "requirement_files",
            "also install what FILE lists; --hash pins or a pylock.toml make it the lock",
        ),
        (("--constraint",), "constraint_files", "constrain versions with FILE"),
    ):
        group.add_argument(
            *flags,
            dest=dest,
            **_REPEATED,  # type: ignore[arg-type]
            type=Path,
            metavar="FILE",
            help=f"{help_text} (repeatable)",
        )
    group.add_argument(
        "--extra",
        dest="extras",
        **_REPEATED,  # type: ignore[arg-type]
        metavar="NAME",
        help="also install the project's extra NAME, as pip install 'proj[NAME]' (repeatable)",
    )
    group.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="bundle what links in the project point to outside it (refused by default)",
    )
    _switch(
        group,
        "--no-install",
        "install",
        "build and install nothing: resolve against the target interpreter's environment",
    )


def _add_index_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group("where pip and the build backend look")
    group.add_argument(
        "--find-links",
        **_REPEATED,  # type: ignore[arg-type]
        metavar="DIR",
        help="let pip and the build environment look for wheels here (repeatable)",
    )
    group.add_argument(
        "--no-index",
        action="store_true",
        default=None,
        help="do not use the package index: only --find-links (offline builds)",
    )
    _switch(
        group,
        "--no-build-isolation",
        "build_isolation",
        "run the build backend in the target interpreter's own environment",
    )
    group.add_argument(
        "--no-cache",
        dest="use_cache",
        action="store_false",
        help="build the wheel and install afresh, replacing the cached staging directory",
    )


def _switch(group: argparse._ActionsContainer, flag: str, dest: str, help_text: str) -> None:
    """A ``--no-X`` flag that turns a setting off; not given, the configuration decides."""
    group.add_argument(flag, dest=dest, action="store_false", default=None, help=help_text)


def _add_cache_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser(
        "cache",
        help="list or clear what archives extracted into the per-user cache",
        description="List the per-user cache entries that archives extracted native code "
        f"and zip-unsafe packages into (set {CACHE_ENV} to use another directory).",
    )
    sub.add_argument("--clear", action="store_true", help="remove the entries (only bundler's)")
    sub.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="with --clear: only entries no app has used for DAYS days",
    )
    sub.set_defaults(handler=_cache)


def _build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    given = vars(args)
    names = [field.name for field in dataclasses.fields(Overrides) if field.name in given]
    # Repeatable options arrive as lists; the configuration keeps tuples.
    values: dict[str, Any] = {
        name: tuple(v) if isinstance(v := given[name], list) else v for name in names
    }
    overrides = Overrides(**values)
    config = load_config(args.project, overrides)
    result = build(
        config,
        progress=_say if args.verbose else _silent,
        status=_silent if args.quiet else _say,
        verbose=args.verbose,
    )
    if not args.quiet:
        for line in build_report(result, verbose=args.verbose, seconds=time.monotonic() - started):
            _say(line)
    return 0


def _cache(args: argparse.Namespace) -> int:
    if args.older_than is not None and not args.clear:
        raise CacheDirError("--older-than only applies to --clear")
    if args.clear:
        removed = clear_entries(args.older_than)
        size = sum(entry.size for entry in removed)
        print(f"removed {len(removed)} cache entries ({mib(size)})")
        return 0
    entries = list_entries()
    if not entries:
        where = ", ".join(str(root) for root in cache_locations())
        print(f"no cache entries (looked in {where})")
        return 0
    for line in cache_listing(entries):
        print(line)
    return 0


def _say(message: str) -> None:
    print(f"bundle: {message}", file=sys.stderr)


def _silent(message: str) -> None:
    """A progress callback for what the chosen verbosity does not show."""
