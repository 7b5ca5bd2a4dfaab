"""The ``bundle`` command, run in-process: arguments, what reaches the configuration, the
messages and exit statuses of each outcome, and ``bundle cache``."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import bundler
from bundler import cli
from bundler.config import Overrides
from bundler.errors import ConfigError, StagingError

MiB = 1024 * 1024
DAY = 24 * 60 * 60


@dataclass
class Pipeline:
    """What the fake configuration and build were given, and what the build should do."""

    raises: BaseException | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def given(self, name: str) -> Any:
        return dict(self.calls)[name]


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    """``load_config``, ``build`` and ``build_report`` replaced by recorders.

    The fake build says one progress detail and one status line, then returns or raises.
    """
    fake = Pipeline()
    config, result = object(), object()

    def load_config(project: Path | None, overrides: Overrides) -> object:
        fake.calls += [("project", project), ("overrides", overrides)]
        return config

    def build(given: object, progress: Any, status: Any, *, verbose: bool) -> object:
        assert given is config
        fake.calls.append(("build verbose", verbose))
        progress("a detail")
        status("a slow step")
        if fake.raises is not None:
            raise fake.raises
        return result

    def build_report(given: object, *, verbose: bool, seconds: float) -> Iterator[str]:
        assert given is result
        fake.calls.append(("report verbose", verbose))
        yield "wrote app.pyz"

    monkeypatch.setattr(cli, "load_config", load_config)
    monkeypatch.setattr(cli, "build", build)
    monkeypatch.setattr(cli, "build_report", build_report)
    return fake


# ---------------------------------------------------------------- arguments


def test_no_command_prints_help_and_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: bundle [-h] [--version] COMMAND ...\n")
    assert "build     build a .pyz archive from a project" in err


def test_main_reads_sys_argv_without_arguments(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["bundle"])
    assert cli.main() == 2
    assert capsys.readouterr().err.startswith("usage: bundle ")


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"bundle {bundler.__version__}\n"


def test_unknown_flag_is_a_usage_error(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["build", "--bogus"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: bundle ")
    assert err.splitlines()[-1] == "bundle: error: unrecognized arguments: --bogus"
    assert pipeline.calls == []


def test_quiet_and_verbose_exclude_each_other(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["build", "-q", "-v"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "bundle build: error: argument -v/--verbose: not allowed with argument -q/--quiet"
    )
    assert pipeline.calls == []


def test_every_build_flag_lands_in_the_overrides(pipeline: Pipeline) -> None:
    argv = [
        "build", "proj", "-o", "app.pyz", "-e", "demo.cli:main", "-c", "demo",
        "--python", "/usr/bin/python3.12", "--shebang", "/usr/bin/env python3",
        "--include", "demo.extra", "--include", "demo.more", "--exclude", "demo.tests",
        "--strict", "--inherit-path", "--no-compile",
        "--with", "inkwell>=1", "--with", "tallyho", "-r", "a.txt", "--requirement", "b.txt",
        "--constraint", "pins.txt", "--find-links", "wheels", "--find-links", "more",
        "--no-index", "--no-build-isolation", "--no-cache",
        "--extra", "cli", "--extra", "color", "--follow-symlinks",
    ]  # fmt: skip
    assert cli.main(argv) == 0
    assert pipeline.given("project") == Path("proj")
    assert pipeline.given("overrides") == Overrides(
        entry="demo.cli:main",
        script="demo",
        include=("demo.extra", "demo.more"),
        exclude=("demo.tests",),
        shebang="/usr/bin/env python3",
        output=Path("app.pyz"),
        python="/usr/bin/python3.12",
        strict=True,
        inherit_path=True,
        compile=False,
        install=None,
        requirements=("inkwell>=1", "tallyho"),
        requirement_files=(Path("a.txt"), Path("b.txt")),
        constraint_files=(Path("pins.txt"),),
        find_links=("wheels", "more"),
        no_index=True,
        build_isolation=False,
        use_cache=False,
        extras=("cli", "color"),
        follow_symlinks=True,
    )


def test_no_install_turns_installing_off(pipeline: Pipeline) -> None:
    assert cli.main(["build", "--no-install"]) == 0
    assert pipeline.given("overrides").install is False


def test_unset_flags_leave_the_configuration_to_decide(pipeline: Pipeline) -> None:
    assert cli.main(["build"]) == 0
    assert pipeline.given("project") is None
    overrides = pipeline.given("overrides")
    assert overrides == Overrides()
    assert (overrides.strict, overrides.compile, overrides.install, overrides.no_index) == (
        None,
        None,
        None,
        None,
    )
    assert (overrides.include, overrides.requirements, overrides.find_links) == ((), (), ())


# ---------------------------------------------------------------- what a build prints


def test_default_build_shows_slow_steps_and_the_report(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["build"]) == 0
    assert capsys.readouterr() == ("", "bundle: a slow step\nbundle: wrote app.pyz\n")
    assert (pipeline.given("build verbose"), pipeline.given("report verbose")) == (False, False)


def test_verbose_build_also_shows_progress_details(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["build", "-v"]) == 0
    assert capsys.readouterr() == (
        "",
        "bundle: a detail\nbundle: a slow step\nbundle: wrote app.pyz\n",
    )
    assert (pipeline.given("build verbose"), pipeline.given("report verbose")) == (True, True)


def test_quiet_build_prints_nothing(pipeline: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["build", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    assert pipeline.given("build verbose") is False


def test_bundle_error_is_one_line_and_exit_status_1(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline.raises = ConfigError("invalid entry point 'x-y': expected MODULE or MODULE:FUNCTION")
    assert cli.main(["build", "-q"]) == 1
    assert capsys.readouterr() == (
        "",
        "bundle: error: invalid entry point 'x-y': expected MODULE or MODULE:FUNCTION\n",
    )


def test_tool_output_of_an_error_comes_above_its_line(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline.raises = StagingError(
        "pip could not install 'nosuch': No matching distribution found for nosuch; ...",
        details=("Looking in links: wheels", "ERROR: No matching distribution found for nosuch"),
    )
    assert cli.main(["build", "-q"]) == 1
    assert capsys.readouterr().err == (
        "  | Looking in links: wheels\n"
        "  | ERROR: No matching distribution found for nosuch\n"
        "bundle: error: pip could not install 'nosuch': No matching distribution found for "
        "nosuch; ...\n"
    )


def test_interrupt_exits_130(pipeline: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    pipeline.raises = KeyboardInterrupt()
    assert cli.main(["build", "-q"]) == 130
    assert capsys.readouterr().err == "bundle: interrupted\n"


def test_sigterm_exits_143_after_every_cleanup(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline.raises = cli.Terminated()
    assert cli.main(["build", "-q"]) == 143
    assert capsys.readouterr().err == "bundle: terminated\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back


def test_other_exceptions_are_bugs_and_keep_their_traceback(pipeline: Pipeline) -> None:
    pipeline.raises = RuntimeError("a bug")
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["build", "-q"])


def test_error_of_the_real_configuration_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert cli.main(["build", str(missing), "-o", str(tmp_path / "app.pyz")]) == 1
    assert capsys.readouterr() == (
        "",
        f"bundle: error: project directory {missing} does not exist\n",
    )


# ---------------------------------------------------------------- bundle cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty per-user cache directory, as ``BUNDLER_CACHE``."""
    root = tmp_path / "cache"
    root.mkdir()
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    return root


def _app_entry(cache: Path, name: str, size: int, days_ago: float) -> Path:
    """One build of one app, last used ``days_ago``."""
    entry = cache / "apps" / name
    (entry / "site").mkdir(parents=True)
    (entry / "site" / "blob").write_bytes(b"\0" * size)
    used = entry.stat().st_mtime - days_ago * DAY
    os.utime(entry, (used, used))
    return entry


def test_cache_lists_entries_oldest_use_first(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recent = _app_entry(cache, f"beta-tool-{'b' * 16}", MiB // 2, days_ago=1)
    old = _app_entry(cache, f"alpha-{'a' * 16}", MiB, days_ago=30)
    assert cli.main(["cache"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert [line.split()[:3] for line in lines[:-1]] == [
        ["alpha", "a" * 16, "1.0"],
        ["beta-tool", "b" * 16, "0.5"],
    ]
    assert [line.endswith(f"  {path}") for line, path in zip(lines, [old, recent])] == [True, True]
    assert lines[-1] == "2 entries, 1.5 MiB"
    assert err == ""


def test_empty_cache_says_where_it_looked(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cache"]) == 0
    assert capsys.readouterr() == (f"no cache entries (looked in {cache})\n", "")


def test_older_than_without_clear_is_an_error(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _app_entry(cache, f"alpha-{'a' * 16}", 10, days_ago=30)
    assert cli.main(["cache", "--older-than", "7"]) == 1
    assert capsys.readouterr() == ("", "bundle: error: --older-than only applies to --clear\n")
    assert entry.is_dir()


def test_clear_removes_every_entry_and_says_how_much(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = [
        _app_entry(cache, f"alpha-{'a' * 16}", MiB, days_ago=30),
        _app_entry(cache, f"beta-{'b' * 16}", MiB // 2, days_ago=0),
    ]
    (cache / "apps" / "not-an-entry").mkdir()
    assert cli.main(["cache", "--clear"]) == 0
    assert capsys.readouterr() == ("removed 2 cache entries (1.5 MiB)\n", "")
    assert [entry.exists() for entry in entries] == [False, False]
    assert (cache / "apps" / "not-an-entry").is_dir()


def test_clear_older_than_keeps_recently_used_entries(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _app_entry(cache, f"alpha-{'a' * 16}", MiB, days_ago=30)
    recent = _app_entry(cache, f"beta-{'b' * 16}", MiB // 2, days_ago=1)
    assert cli.main(["cache", "--clear", "--older-than", "7"]) == 0
    assert capsys.readouterr() == ("removed 1 cache entries (1.0 MiB)\n", "")
    assert (old.exists(), recent.exists()) == (False, True)
