"""The ``bundle`` command: parse arguments, run the pipeline, report. Nothing else."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import bundler
from bundler.build import BuildResult, build
from bundler.cachedir import cache_locations, clear_entries, list_entries
from bundler.config import Overrides, load_config
from bundler.errors import BundleError, CacheDirError
from bundler.runtime import CACHE_ENV
from bundler.staging import Staging

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
        for line in exc.details:
            print(f"  | {line}", file=sys.stderr)
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
    _add_install_arguments(sub)
    verbosity = sub.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every bundled module and why; show pip's and the build backend's output",
    )
    sub.set_defaults(handler=_build)
    _add_cache_command(commands)
    return parser


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


def _cache(args: argparse.Namespace) -> int:
    if args.older_than is not None and not args.clear:
        raise CacheDirError("--older-than only applies to --clear")
    if args.clear:
        removed = clear_entries(args.older_than)
        size = sum(entry.size for entry in removed)
        print(f"removed {len(removed)} cache entries ({_mib(size)})")
        return 0
    entries = list_entries()
    if not entries:
        where = ", ".join(str(root) for root in cache_locations())
        print(f"no cache entries (looked in {where})")
        return 0
    width = max(len(entry.app) for entry in entries)
    for entry in entries:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.last_used))
        print(
            f"{entry.app:<{width}}  {entry.build}  {_mib(entry.size):>10}  "
            f"last used {used}  {entry.path}"
        )
    total = sum(entry.size for entry in entries)
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, {_mib(total)}")
    return 0


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def _add_install_arguments(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group(
        "installing",
        "By default the project is built into a wheel and installed, with its dependencies "
        "and any --with/-r requirements, by pip into a cached staging directory.",
    )
    group.add_argument(
        "--with",
        dest="requirements",
        action="append",
        default=[],
        metavar="REQUIREMENT",
        help="also install this distribution, e.g. 'black==26.10.1' (repeatable)",
    )
    group.add_argument(
        "-r",
        "--requirement",
        dest="requirement_files",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="also install what this requirements file lists (repeatable)",
    )
    group.add_argument(
        "--constraint",
        dest="constraint_files",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="constrain versions with this constraints file (repeatable)",
    )
    group.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="DIR",
        help="let pip and the build environment look for wheels here (repeatable)",
    )
    group.add_argument(
        "--no-index",
        action="store_true",
        default=None,
        help="do not use the package index: only --find-links (offline builds)",
    )
    group.add_argument(
        "--no-build-isolation",
        dest="build_isolation",
        action="store_false",
        default=None,
        help="run the build backend in the target interpreter's environment",
    )
    group.add_argument(
        "--no-cache",
        dest="use_cache",
        action="store_false",
        help="build the wheel and install afresh, replacing the cached staging directory",
    )
    group.add_argument(
        "--no-install",
        dest="install",
        action="store_false",
        default=None,
        help="build and install nothing: resolve against the target interpreter's environment",
    )


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
        install=args.install,
        requirements=tuple(args.requirements),
        requirement_files=tuple(args.requirement_files),
        constraint_files=tuple(args.constraint_files),
        find_links=tuple(args.find_links),
        no_index=args.no_index,
        build_isolation=args.build_isolation,
        use_cache=args.use_cache,
    )
    config = load_config(args.project, overrides)
    result = build(
        config,
        progress=_say if args.verbose else _silent,
        status=_silent if args.quiet else _say,
        verbose=args.verbose,
    )
    if not args.quiet:
        _report(result, verbose=args.verbose, seconds=time.monotonic() - started)
    return 0


def _report(result: BuildResult, *, verbose: bool, seconds: float) -> None:
    warnings = (*result.graph.warnings, *result.extraction.warnings, *result.archive.warnings)
    for message in warnings:
        _say(f"warning: {message}")
    for missing in result.graph.missing:
        if verbose or not missing.optional:
            _say(f"warning: {missing.describe()}")
    if verbose:
        for module in result.graph.bundled():
            via = ", ".join(module.importers) or "-"
            _say(f"  {module.kind.value:<11} {module.name}  (imported by {via})")
    reasons = result.extraction.reasons
    for extracted in reasons:
        if verbose or not extracted.dynamic:
            _say(f"extracts at first import: {extracted.describe()}")
    by_name = [extracted.name for extracted in reasons if extracted.dynamic]
    if by_name and not verbose:
        _say(f"extracts if imported by name: {', '.join(by_name)} (zip-unsafe; -v says why)")
    staging = result.staging
    if staging is not None:
        _say(_staging_report(staging, len(result.environment.distributions)))
    archive = result.archive
    _say(
        f"wrote {archive.path} ({archive.size / 1024:.0f} KiB, {archive.modules} modules, "
        f"{len(result.payload.distributions)} distributions) in {seconds:.1f} s"
    )


def _staging_report(staging: Staging, distributions: int) -> str:
    where = staging.site_dir.parent
    if staging.reused:
        return f"reused the cached staging directory (no build, no pip): {where}"
    if not staging.installed:
        return (
            f"built {staging.wheel}; its contents are unchanged, so the cached staging "
            f"directory was reused (no pip): {where}"
        )
    built = f"built {staging.wheel}, " if staging.wheel_built else ""
    plural = "" if distributions == 1 else "s"
    return (
        f"staged {distributions} distribution{plural} ({built}pip install) "
        f"in {staging.seconds:.1f} s"
    )


def _say(message: str) -> None:
    print(f"bundle: {message}", file=sys.stderr)


def _silent(message: str) -> None:
    """A progress callback for what the chosen verbosity does not show."""
