"""The ``bundle`` command: parse arguments, run the pipeline, report. Nothing else."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import bundler
from bundler.build import BuildResult, build
from bundler.config import Overrides, load_config
from bundler.errors import BundleError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bundle`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.handler(args))
    except BundleError as exc:
        print(f"bundle: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bundle: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bundle", description="Turn a Python project into one self-contained zip app."
    )
    parser.add_argument("--version", action="version", version=f"bundle {bundler.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub = commands.add_parser("build", help="build a .pyz archive from a project")
    sub.add_argument(
        "project",
        nargs="?",
        default=".",
        type=Path,
        help="project directory (default: the current directory)",
    )
    sub.add_argument("-o", "--output", type=Path, help="archive to write, e.g. app.pyz")
    sub.add_argument("-e", "--entry", metavar="MODULE[:FUNC]", help="entry point to run")
    sub.add_argument(
        "-c",
        "--console-script",
        dest="script",
        metavar="SCRIPT",
        help="run the [project.scripts] entry with this name",
    )
    sub.add_argument(
        "--python",
        metavar="INTERPRETER",
        help="interpreter whose environment imports resolve against",
    )
    sub.add_argument("--shebang", metavar="LINE", help="first line of the archive")
    sub.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="MODULE",
        help="also bundle MODULE and what it imports (repeatable)",
    )
    sub.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="MODULE",
        help="leave MODULE and its submodules out (repeatable)",
    )
    sub.add_argument(
        "--strict", action="store_true", default=None, help="fail when an import cannot be resolved"
    )
    sub.add_argument(
        "--inherit-path",
        action="store_true",
        default=None,
        help="let the app see the host's site-packages",
    )
    sub.add_argument(
        "--no-compile",
        dest="compile",
        action="store_false",
        default=None,
        help="store sources only, no bytecode",
    )
    verbosity = sub.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", help="list every bundled module and why"
    )
    sub.set_defaults(handler=_build)
    return parser


def _build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    overrides = Overrides(
        entry=args.entry,
        script=args.script,
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        shebang=args.shebang,
        output=args.output,
        python=args.python,
        strict=args.strict,
        inherit_path=args.inherit_path,
        compile=args.compile,
    )
    config = load_config(args.project, overrides)
    progress = _say if args.verbose else (lambda _: None)
    result = build(config, progress)
    if not args.quiet:
        _report(result, verbose=args.verbose, seconds=time.monotonic() - started)
    return 0


def _report(result: BuildResult, *, verbose: bool, seconds: float) -> None:
    for message in (*result.graph.warnings, *result.archive.warnings):
        _say(f"warning: {message}")
    for missing in result.graph.missing:
        if verbose or not missing.optional:
            _say(f"warning: {missing.describe()}")
    if verbose:
        for module in result.graph.bundled():
            via = ", ".join(module.importers) or "-"
            _say(f"  {module.kind.value:<11} {module.name}  (imported by {via})")
    archive = result.archive
    _say(
        f"wrote {archive.path} ({archive.size / 1024:.0f} KiB, {archive.modules} modules, "
        f"{len(result.payload.distributions)} distributions) in {seconds:.1f} s"
    )


def _say(message: str) -> None:
    print(f"bundle: {message}", file=sys.stderr)
