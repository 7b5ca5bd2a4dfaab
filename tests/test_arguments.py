"""The command line's grammar: subcommands, option groups, no abbreviations, suggestions."""

from __future__ import annotations

import pytest

from bundler.arguments import make_parser


def test_each_subcommand_names_its_handler() -> None:
    parser = make_parser()
    assert parser.parse_args(["build", "-o", "app.pyz"]).command_name == "build"
    assert parser.parse_args(["cache"]).command_name == "cache"


def test_repeatable_options_accumulate_and_switches_default_to_unset() -> None:
    args = make_parser().parse_args(
        ["build", "--with", "a", "--with", "b", "--exclude", "x", "--no-compile"]
    )
    assert (args.requirements, args.exclude, args.compile, args.install) == (
        ["a", "b"],
        ["x"],
        False,
        None,
    )


def test_abbreviations_are_refused_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        make_parser().parse_args(["build", "--out", "app.pyz"])
    assert caught.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == ("bundle build: error: unrecognized arguments: --out (did you mean --output?)")


def test_cache_actions_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        make_parser().parse_args(["cache", "--prune", "--clear"])
    assert caught.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "bundle cache: error: argument --clear: not allowed with argument --prune"
    )
