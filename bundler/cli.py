"""The ``bundle`` command: parse arguments, run the pipeline, report. Nothing else."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import bundler
from bundler import helptext
from bundler.caches.user import AREAS, cache_locations, list_entries, remove_entries
from bundler.config import Overrides, load_config
from bundler.documents import build_document, cache_document, error_document
from bundler.errors import BundleError, did_you_mean
from bundler.pipeline import build
from bundler.progress import Console, Steps
from bundler.report import build_report, cache_listing, file_sha256, removal_lines

__all__ = ["main"]

DEBUG_ENV = "BUNDLER_DEBUG"
# Options that may be given several times, each adding to a list.
_REPEATED: dict[str, Any] = {"action": "append", "default": []}
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
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    console = Console.for_stderr(quiet=args.quiet, verbose=args.verbose)
    session = _Session(console, Steps(console), time.monotonic(), args.json)
    if debug:
        _show_commands(console)
    try:
        return int(args.handler(args, session))
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
        _DEBUGGING.clear()
        console.close()


class _Parser(argparse.ArgumentParser):
    """argparse without abbreviations, with "did you mean" for a misspelt option."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(allow_abbrev=False, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        unknown = [arg for arg in extras if arg.startswith("-")]
        if unknown and self._subparsers is None:
            # Said by the subcommand's parser, which knows its own options.
            flags = [s for action in self._actions for s in action.option_strings]
            hint = did_you_mean(unknown[0].split("=")[0], flags)
            self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        """Usage, then ``bundle: error: message``; exit status 2."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bundle", description=helptext.MAIN_DESCRIPTION, epilog=helptext.MAIN_EPILOG
    )
    parser.add_argument(
        "-V", "--version", action="version", version=f"bundle {bundler.__version__}"
    )
    parser.set_defaults(debug=False, quiet=False, verbose=False, json=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub = commands.add_parser(
        "build",
        help="build a .pyz archive from a project",
        description=helptext.BUILD_DESCRIPTION,
        epilog=helptext.BUILD_EPILOG,
    )
    _add_what_arguments(sub)
    _add_archive_arguments(sub)
    _add_install_arguments(sub)
    _add_index_arguments(sub)
    _add_output_arguments(
        sub,
        verbose="also list every bundled module and every missing "
        "import, and show pip's and the build backend's output",
    )
    sub.set_defaults(handler=_build)
    _add_cache_command(commands)
    return parser


def _add_what_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group("what to bundle")
    group.add_argument(
        "project",
        nargs="?",
        default=None,
        type=Path,
        help="project directory (default: the current directory, if it has a pyproject.toml)",
    )
    group.add_argument(
        "-e",
        "--entry",
        metavar="MODULE[:FUNC]",
        help="entry point to run (default: the project's only script)",
    )
    group.add_argument(
        "-c",
        "--console-script",
        dest="script",
        metavar="SCRIPT",
        help="run the console script with this name, of the project or an installed distribution",
    )
    group.add_argument(
        "--python",
        metavar="PYTHON",
        help="the interpreter the archive is for: a path, a command, or a version such as 3.12 "
        "found through pyenv, py or PATH (default: the one running bundle)",
    )
    for flag, help_text in (
        ("--include", "also bundle MODULE and what it imports (repeatable)"),
        ("--exclude", "leave MODULE and its submodules out (repeatable)"),
        ("--ignore-missing", "do not report imports of MODULE, known to be absent (repeatable)"),
    ):
        group.add_argument(flag, **_REPEATED, metavar="MODULE", help=help_text)
    group.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="fail when an import cannot be resolved (default: warn)",
    )


def _add_archive_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group("the archive")
    group.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        help="archive to write, e.g. dist/app.pyz; missing directories are created",
    )
    group.add_argument(
        "--shebang",
        metavar="LINE",
        help="first line of the archive (default: #!/usr/bin/env python3, or python3.X when "
        "native code needs that version)",
    )
    group.add_argument(
        "--inherit-path",
        dest="inherit_path",
        action="store_true",
        default=None,
        help="let the app see the host's site-packages (default: hidden)",
    )
    _switch(group, "--no-compile", "compile", "store sources only, no bytecode")


def _add_install_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group(
        "installing",
        "By default the project is built into a wheel and installed, with its dependencies "
        "and any --with/-r requirements, by pip into a cached staging directory.",
    )
    group.add_argument(
        "--with",
        dest="requirements",
        **_REPEATED,
        metavar="REQUIREMENT",
        help="also install this distribution, e.g. 'black==26.10.1' (repeatable)",
    )
    for flags, dest, help_text in (
        (("-r", "--requirement"), "requirement_files", "also install what FILE lists"),
        (("--constraint",), "constraint_files", "constrain versions with FILE"),
    ):
        group.add_argument(
            *flags,
            dest=dest,
            **_REPEATED,
            type=Path,
            metavar="FILE",
            help=f"{help_text} (repeatable)",
        )
    _switch(
        group,
        "--no-install",
        "install",
        "build and install nothing: resolve against the target interpreter's environment",
    )
    group.add_argument(
        "--no-cache",
        dest="use_cache",
        action="store_false",
        help="build the wheel and install afresh, replacing the cached staging directory",
    )


def _add_index_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group("where pip and the build backend look")
    group.add_argument(
        "--find-links",
        **_REPEATED,
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


def _add_output_arguments(sub: argparse.ArgumentParser, verbose: str) -> None:
    group = sub.add_argument_group("what bundle prints")
    verbosity = group.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    verbosity.add_argument("-v", "--verbose", action="store_true", help=verbose)
    group.add_argument(
        "--json", action="store_true", help="print a JSON report on stdout (schema: see the README)"
    )
    group.add_argument(
        "--debug",
        action="store_true",
        help=f"show the commands run and, on error, the full traceback (or set {DEBUG_ENV}=1)",
    )


def _switch(group: argparse._ActionsContainer, flag: str, dest: str, help_text: str) -> None:
    """A ``--no-X`` flag that turns a setting off; not given, the configuration decides."""
    group.add_argument(flag, dest=dest, action="store_false", default=None, help=help_text)


def _add_cache_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    sub = commands.add_parser(
        "cache",
        help="show, prune or clear bundler's caches",
        description=helptext.CACHE_DESCRIPTION,
        epilog=helptext.CACHE_EPILOG,
    )
    group = sub.add_argument_group("what to do")
    action = group.add_mutually_exclusive_group()
    action.add_argument(
        "--prune", action="store_true", help="remove the entries unused for --older-than DAYS"
    )
    action.add_argument("--clear", action="store_true", help="remove every entry")
    group.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="with --prune (or --clear): only entries unused for DAYS days",
    )
    group.add_argument(
        "--area",
        action="append",
        choices=list(AREAS),
        help="only this area (repeatable; default: all)",
    )
    _add_output_arguments(sub, verbose="list each entry removed")
    sub.set_defaults(handler=_cache, usage_error=sub.error)


def _build(args: argparse.Namespace, session: _Session) -> int:
    given = vars(args)
    names = [field.name for field in dataclasses.fields(Overrides) if field.name in given]
    # Repeatable options arrive as lists; the configuration keeps tuples.
    values: dict[str, Any] = {
        name: tuple(v) if isinstance(v := given[name], list) else v for name in names
    }
    config = load_config(args.project, Overrides(**values))
    result = build(config, session.steps, verbose=args.verbose)
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
