"""The command line's grammar: every option of ``bundle build`` and ``bundle cache``, with
its help, grouped as ``--help`` shows them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import bundler
from bundler import helptext
from bundler.caches.user import AREAS
from bundler.errors import did_you_mean
from bundler.installers import INSTALLERS

__all__ = ["DEBUG_ENV", "make_parser"]

# Set to 1 for what --debug shows.
DEBUG_ENV = "BUNDLER_DEBUG"

# Options that may be given several times, each adding to a list.
_REPEATED: dict[str, Any] = {"action": "append", "default": []}


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


def make_parser() -> argparse.ArgumentParser:
    """The parser of ``bundle`` and its subcommands; each sets ``command_name``."""
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
    _add_build_report_arguments(sub)
    sub.set_defaults(command_name="build")
    _add_cache_command(commands)
    _add_inspect_command(commands)
    _add_check_command(commands)
    return parser


def _add_what_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group("what to bundle")
    group.add_argument(
        "project",
        nargs="?",
        default=None,
        type=Path,
        help="project directory (default: the current directory, if it has a pyproject.toml), "
        "or a single-file script whose '# /// script' block (PEP 723) names its dependencies",
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
    _add_target_arguments(group)
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
    group.add_argument(
        "--prune",
        action="store_true",
        default=None,
        help="leave out the installed distributions no import reaches, and say which "
        "(default: every distribution pip installed goes in)",
    )


def _add_target_arguments(group: argparse._ArgumentGroup) -> None:
    """The interpreters, and the targets staged without one: other Pythons, machines."""
    group.add_argument(
        "--python",
        dest="pythons",
        **_REPEATED,
        metavar="PYTHON",
        help="the interpreter the archive is for: a path, a command, or a version such as 3.12 "
        "found through pyenv, py or PATH (default: the one running bundle); repeat it for an "
        "archive that runs on each",
    )
    group.add_argument(
        "--target-python",
        dest="target_pythons",
        **_REPEATED,
        metavar="X.Y",
        help="build for CPython X.Y, installed here or not: pip picks its wheels "
        "(--python-version, --only-binary :all:); with --python, that one too (repeatable)",
    )
    group.add_argument(
        "--platform",
        dest="platforms",
        **_REPEATED,
        metavar="TAG",
        help="build for the platform TAG (manylinux_2_28_x86_64, macosx_11_0_arm64, "
        "win_amd64, ...) with each --target-python, or the build's Python (repeatable)",
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
        "--force",
        action="store_true",
        default=False,
        help="replace the output even if it is not an archive bundle wrote",
    )
    group.add_argument(
        "--shebang",
        metavar="LINE",
        help="first line of the archive, e.g. '#!/usr/bin/env python3' (default: a /bin/sh "
        "header that runs the app with the first Python of its range on PATH, or "
        "$BUNDLER_PYTHON, without runpy)",
    )
    group.add_argument(
        "--inherit-path",
        dest="inherit_path",
        action="store_true",
        default=None,
        help="let the app see the host's site-packages (default: hidden)",
    )
    _switch(group, "--no-compile", "compile", "store sources only, no bytecode")
    _add_release_arguments(group)
    # Size (issue 14): what gets bytecode, how sources are stored.
    group.add_argument(
        "--bytecode",
        choices=("imported", "all"),
        help="bytecode for the modules import statements reach from the entry point, the "
        "rest compiled on first import and cached per user (imported, the default), or for "
        "every module (all: larger)",
    )
    group.add_argument(
        "--sources",
        choices=("packed", "files"),
        help="keep sources LZMA-compressed in packs (packed, the default: smallest), or each "
        "deflated on its own (files: for Pythons built without the lzma module)",
    )
    for flag, help_text in (
        ("--extract", "run PACKAGE from extracted files, whatever the analysis says"),
        ("--zip-safe", "import PACKAGE from the archive, whatever the analysis says"),
    ):
        group.add_argument(flag, **_REPEATED, metavar="PACKAGE", help=f"{help_text} (repeatable)")


def _add_release_arguments(group: argparse._ActionsContainer) -> None:
    """Release checks and records: the SBOM, the reproducibility check."""
    sbom = "also write the archive's SBOM (CycloneDX 1.6 JSON, stored in it in any case) to FILE"
    group.add_argument("--sbom", type=Path, metavar="FILE", help=sbom)
    group.add_argument(
        "--check-reproducible",
        action="store_true",
        help="build a second time in another cache, temporary directory, umask, time zone "
        "and locale, and fail naming the first member that differs",
    )


def _add_install_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group(
        "installing",
        "By default the project is built into a wheel and installed, with its dependencies "
        "and any --with/-r requirements, by uv or pip into a cached staging directory.",
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
    group.add_argument(
        "--extra",
        dest="extras",
        **_REPEATED,
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
    group.add_argument("--installer", choices=INSTALLERS, help=helptext.INSTALLER_HELP)
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
    sub.set_defaults(command_name="cache", usage_error=sub.error)


# -- bundle build --dry-run/--report, bundle inspect, bundle check (issue 12) -------------


def _add_build_report_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group("what the build shows of the archive")
    dry = "print what would be bundled, extracted and pruned, and write nothing"
    report = "also write what bundle inspect --json says of the archive to FILE.json"
    group.add_argument("--dry-run", action="store_true", help=dry)
    group.add_argument("--report", type=Path, metavar="FILE.json", help=report)


_CHECK_USAGE = "bundle check [options] ARCHIVE [-- ARGS...]"


def _add_inspect_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    summary = "show what an archive holds, and why each module is in it"
    description, epilog = helptext.INSPECT_DESCRIPTION, helptext.INSPECT_EPILOG
    sub = commands.add_parser("inspect", help=summary, description=description, epilog=epilog)
    sub.add_argument("archive", type=Path, metavar="ARCHIVE", help="an archive bundle built")
    what = sub.add_mutually_exclusive_group()
    why = "the chain of imports (file:line) or the rule that brought MODULE in"
    what.add_argument("--why", metavar="MODULE", help=why)
    what.add_argument(
        "--sbom", action="store_true", help="print the SBOM the archive holds (CycloneDX JSON)"
    )
    _add_output_arguments(sub, verbose="no more than without it")
    sub.set_defaults(command_name="inspect")


def _add_check_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    summary = "import every module of an archive on each Python, and run it under an audit hook"
    description, epilog = helptext.CHECK_DESCRIPTION, helptext.CHECK_EPILOG
    sub = commands.add_parser(
        "check", help=summary, usage=_CHECK_USAGE, description=description, epilog=epilog
    )
    sub.add_argument("archive", type=Path, metavar="ARCHIVE", help="an archive bundle built")
    sub.add_argument(
        "--python",
        dest="pythons",
        **_REPEATED,
        metavar="PYTHON",
        help="an interpreter to check on: a path, a command or a version (repeatable)",
    )
    sub.add_argument(
        "--skip",
        **_REPEATED,
        metavar="MODULE",
        help="do not import MODULE nor its submodules (repeatable; adds to check-skip)",
    )
    _add_output_arguments(
        sub, verbose="no more than without it (skipped modules are always listed)"
    )
    # What follows "--" (cli.py takes it off first): the app runs with it, under the hook.
    sub.set_defaults(command_name="check", args=[], run_app=False)
