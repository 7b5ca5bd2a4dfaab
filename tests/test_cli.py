"""The ``bundle`` command, run in-process: arguments, what reaches the configuration, the
messages and exit statuses of each outcome, and ``bundle cache``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import bundler
from bundler import cli
from bundler.config import Overrides
from bundler.errors import (
    BundleError,
    ConfigError,
    EntryPointError,
    OutputError,
    ProjectError,
    ResolveError,
    StagingError,
)
from bundler.progress import Progress

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
    """``load_config``, ``build``, ``build_report`` and the archive's hash replaced by
    recorders.

    The fake build gives one detail and starts one slow step, then returns or raises.
    """
    fake = Pipeline()
    config = object()
    result = SimpleNamespace(archive=SimpleNamespace(path=Path("app.pyz")))

    def load_config(project: Path | None, overrides: Overrides) -> object:
        fake.calls += [("project", project), ("overrides", overrides)]
        return config

    def build(given: object, progress: Progress, *, verbose: bool) -> object:
        assert given is config
        fake.calls.append(("build verbose", verbose))
        progress.detail("a detail")
        progress.step("a slow step")
        if fake.raises is not None:
            raise fake.raises
        return result

    def build_report(given: object, *, verbose: bool, seconds: float, sha256: str) -> Iterator[str]:
        assert (given, sha256) == (result, "f" * 64)
        fake.calls.append(("report verbose", verbose))
        yield "warning: a warning"
        yield "wrote app.pyz"

    monkeypatch.setattr(cli, "load_config", load_config)
    monkeypatch.setattr(cli, "build", build)
    monkeypatch.setattr(cli, "build_report", build_report)
    monkeypatch.setattr(cli, "file_sha256", lambda path: "f" * 64)
    return fake


# ---------------------------------------------------------------- arguments and help


def test_no_command_prints_help_and_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: bundle [-h] [-V] COMMAND ...\n")
    assert "    build        build a .pyz archive from a project" in err


def test_main_reads_sys_argv_without_arguments(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["bundle"])
    assert cli.main() == 2
    assert capsys.readouterr().err.startswith("usage: bundle ")


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_is_printed(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([flag])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"bundle {bundler.__version__}\n"


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The last line of a usage error (exit status 2)."""
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: bundle ")
    return err.splitlines()[-1]


def test_unknown_flag_is_a_usage_error(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _usage_error(["build", "--bogus"], capsys) == (
        "bundle build: error: unrecognized arguments: --bogus"
    )
    assert pipeline.calls == []


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["build", "--outptu", "a.pyz"],
            "unrecognized arguments: --outptu (did you mean --output?)",
        ),
        (
            ["build", "--out", "a.pyz"],
            "unrecognized arguments: --out (did you mean --output?)",
        ),
        (["build", "--no-indx"], "unrecognized arguments: --no-indx (did you mean --no-index?)"),
        (["build", "--exclud=x"], "unrecognized arguments: --exclud=x (did you mean --exclude?)"),
    ],
    ids=["misspelt", "abbreviation", "switch", "with-value"],
)
def test_misspelt_or_abbreviated_flag_gets_a_suggestion(
    argv: list[str], line: str, pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _usage_error(argv, capsys) == f"bundle build: error: {line}"
    assert pipeline.calls == []


def test_quiet_and_verbose_exclude_each_other(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _usage_error(["build", "-q", "-v"], capsys) == (
        "bundle build: error: argument -v/--verbose: not allowed with argument -q/--quiet"
    )
    assert pipeline.calls == []


def test_build_help_has_groups_defaults_examples_keys_variables_and_exit_statuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["build", "--help"])
    text = capsys.readouterr().out
    for heading in (
        "what to bundle:", "the archive:", "installing:",
        "where pip and the build backend look:", "what bundle prints:", "examples:",
        "[tool.bundle] keys", "environment variables:", "exit statuses:",
    ):  # fmt: skip
        assert f"\n{heading}" in text, heading
    examples = text.split("examples:\n")[1].split("\n\n")[0].splitlines()
    assert len(examples) == 5 and all(line.startswith("  bundle build") for line in examples)
    for key in (
        "entry", "script", "output", "python", "shebang", "include", "exclude",
        "ignore-missing", "strict", "inherit-path", "compile", "with", "requirements",
        "constraints", "find-links", "no-index", "build-isolation", "install", "extract",
        "zip-safe",
    ):  # fmt: skip
        assert f" {key} = " in text, key
    for variable in ("BUNDLER_CACHE", "BUNDLER_BUILD_CACHE", "BUNDLER_DEBUG", "NO_COLOR", "CI"):
        assert f"\n  {variable}" in text, variable
    assert "  2    usage or input error" in text and "  130  interrupted" in text
    assert "(default: the one running bundle)" in text


def test_help_lists_every_tool_bundle_key_the_configuration_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bundler.pyproject import TOOL_KEYS as _TOOL_KEYS

    with pytest.raises(SystemExit):
        cli.main(["build", "--help"])
    keys = capsys.readouterr().out.split("[tool.bundle] keys")[1].split("environment")[0]
    assert sorted(_TOOL_KEYS) == sorted(word for word in keys.split() if word in _TOOL_KEYS)


def test_cache_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["cache", "--help"])
    text = capsys.readouterr().out
    examples = text.split("examples:\n")[1].split("\n\n")[0].splitlines()
    assert len(examples) == 3 and all(line.startswith("  bundle cache") for line in examples)


def test_every_build_flag_lands_in_the_overrides(pipeline: Pipeline) -> None:
    argv = [
        "build", "proj", "-o", "app.pyz", "-e", "demo.cli:main", "-c", "demo",
        "--python", "/usr/bin/python3.12", "--shebang", "/usr/bin/env python3",
        "--include", "demo.extra", "--include", "demo.more", "--exclude", "demo.tests",
        "--ignore-missing", "win32api", "--strict", "--inherit-path", "--no-compile",
        "--with", "inkwell>=1", "--with", "tallyho", "-r", "a.txt", "--requirement", "b.txt",
        "--constraint", "pins.txt", "--find-links", "wheels", "--find-links", "more",
        "--no-index", "--no-build-isolation", "--no-cache",
        "--extract", "demo.templates", "--zip-safe", "inkwell", "--zip-safe", "tallyho",
        "--prune",
        "--extra", "cli", "--extra", "color", "--follow-symlinks",
        "--python", "3.13", "--target-python", "3.9", "--platform", "win_amd64",
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
        pythons=("/usr/bin/python3.12", "3.13"),
        target_pythons=("3.9",),
        platforms=("win_amd64",),
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
        ignore_missing=("win32api",),
        extract=("demo.templates",),
        zip_safe=("inkwell", "tallyho"),
        prune=True,
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


@pytest.fixture(autouse=True)
def plain_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """No colour, whatever the environment of the test run."""
    monkeypatch.setenv("NO_COLOR", "1")


def test_default_build_shows_slow_steps_and_the_report_and_the_path_on_stdout(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["build"]) == 0
    assert capsys.readouterr() == (
        "app.pyz\n",
        "bundle: a slow step\nbundle: warning: a warning\nbundle: wrote app.pyz\n",
    )
    assert (pipeline.given("build verbose"), pipeline.given("report verbose")) == (False, False)


def test_verbose_build_also_shows_progress_details(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["build", "-v"]) == 0
    assert capsys.readouterr() == (
        "app.pyz\n",
        "bundle: a detail\nbundle: a slow step\nbundle: warning: a warning\n"
        "bundle: wrote app.pyz\n",
    )
    assert (pipeline.given("build verbose"), pipeline.given("report verbose")) == (True, True)


def test_quiet_build_prints_only_the_path(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["build", "--quiet"]) == 0
    assert capsys.readouterr() == ("app.pyz\n", "")
    assert pipeline.given("build verbose") is False


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ConfigError("invalid entry point 'x-y': expected MODULE or MODULE:FUNCTION"), 2),
        (ProjectError("project directory nowhere does not exist"), 2),
        (EntryPointError("no entry point: pass -e MODULE:FUNC"), 2),
        (OutputError("cannot write to /proc: No such file or directory"), 1),
        (ResolveError("import 'yaml' not found (imported by demo, line 1)"), 1),
    ],
    ids=["config", "project", "entry-point", "output", "resolve"],
)
def test_bundle_error_is_one_line_and_its_exit_status(
    error: BundleError, status: int, pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline.raises = error
    assert cli.main(["build", "-q"]) == status
    assert capsys.readouterr() == ("", f"bundle: error: {error}\n")


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
    assert capsys.readouterr() == ("", "bundle: error: interrupted\n")


def test_sigterm_exits_143_after_every_cleanup(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline.raises = cli.Terminated()
    assert cli.main(["build", "-q"]) == 143
    assert capsys.readouterr().err == "bundle: error: terminated\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back


def test_other_exceptions_are_bugs_and_keep_their_traceback(pipeline: Pipeline) -> None:
    pipeline.raises = RuntimeError("a bug")
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["build", "-q"])


def _raised_from_an_os_error() -> ConfigError:
    try:
        try:
            Path("/nonexistent/file").read_bytes()
        except OSError:
            raise ConfigError("cannot read the file") from None
    except ConfigError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize("how", [["--debug"], []], ids=["flag", "variable"])
def test_debug_shows_the_traceback_and_what_it_hides(
    how: list[str],
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not how:
        monkeypatch.setenv("BUNDLER_DEBUG", "1")
    pipeline.raises = _raised_from_an_os_error()
    assert cli.main(["build", "-q", *how]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bundle: error: cannot read the file\nTraceback (most recent call last):")
    assert "FileNotFoundError: [Errno 2] No such file or directory: '/nonexistent/file'" in err
    assert err.rstrip().endswith("bundler.errors.ConfigError: cannot read the file")


def test_without_debug_there_is_no_traceback(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUNDLER_DEBUG", "0")
    pipeline.raises = _raised_from_an_os_error()
    assert cli.main(["build", "-q"]) == 2
    assert capsys.readouterr().err == "bundle: error: cannot read the file\n"


def test_debug_shows_each_command_run(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def build(given: object, progress: Progress, *, verbose: bool) -> object:
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        raise ConfigError("stop")

    monkeypatch.setattr(cli, "build", build)
    assert cli.main(["build", "-q", "--debug"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == [
        f"bundle: debug: running {sys.executable} -c pass",
        "bundle: error: stop",
    ]
    subprocess.run([sys.executable, "-c", "pass"], check=True)  # after main: not shown
    assert capsys.readouterr().err == ""


def test_json_error_document_goes_to_stdout(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline.raises = ConfigError("bad")
    assert cli.main(["build", "-q", "--json"]) == 2
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert (document["ok"], document["kind"], document["error"]) == (
        False,
        "build",
        {"message": "bad", "type": "ConfigError", "exit_status": 2, "details": []},
    )
    assert [step["step"] for step in document["timings"]["steps"]] == ["a slow step"]
    assert err == "bundle: error: bad\n"


def test_error_of_the_real_configuration_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert cli.main(["build", str(missing), "-o", str(tmp_path / "app.pyz")]) == 2
    assert capsys.readouterr() == (
        "",
        f"bundle: error: project directory {missing} does not exist\n",
    )


# ---------------------------------------------------------------- bundle cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory, as ``BUNDLER_CACHE`` and ``BUNDLER_BUILD_CACHE``."""
    root = tmp_path / "cache"
    root.mkdir()
    monkeypatch.setenv("BUNDLER_CACHE", str(root))
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(root))
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
    assert [line.split()[:4] for line in lines[:-1]] == [
        ["apps", "alpha", "1.0", "MiB"],
        ["apps", "beta-tool", "512", "KiB"],
    ]
    assert [line.endswith(f"  {path}") for line, path in zip(lines, [old, recent])] == [True, True]
    assert lines[-1] == "2 entries, 1.5 MiB (1,572,864 bytes)"
    assert err == ""


def test_empty_cache_says_where_it_looked(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cache"]) == 0
    assert capsys.readouterr() == (f"no cache entries (in {cache})\n", "")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["cache", "--older-than", "7"], "--older-than needs --prune (or --clear)"),
        (["cache", "--prune"], "--prune needs --older-than DAYS (--clear removes everything)"),
        (["cache", "--prune", "--clear"], "argument --clear: not allowed with argument --prune"),
        (
            ["cache", "--area", "wheel"],
            "argument --area: invalid choice: 'wheel' (choose from "
            "'apps', 'wheels', 'metadata', 'build-envs', 'dependencies', 'projects', 'bytecode', "
            "'results')",
        ),
    ],
)
def test_cache_usage_errors(
    argv: list[str], line: str, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _app_entry(cache, f"alpha-{'a' * 16}", 10, days_ago=30)
    assert _usage_error(argv, capsys) == f"bundle cache: error: {line}"
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
    assert capsys.readouterr() == ("removed 2 cache entries, 1.5 MiB (1,572,864 bytes)\n", "")
    assert [entry.exists() for entry in entries] == [False, False]
    assert (cache / "apps" / "not-an-entry").is_dir()


@pytest.mark.parametrize("how", [["--prune"], ["--clear"]])
def test_prune_older_than_keeps_recently_used_entries(
    how: list[str], cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _app_entry(cache, f"alpha-{'a' * 16}", MiB, days_ago=30)
    recent = _app_entry(cache, f"beta-{'b' * 16}", MiB // 2, days_ago=1)
    assert cli.main(["cache", *how, "--older-than", "7", "-v"]) == 0
    assert capsys.readouterr() == (
        f"removed {old} (1.0 MiB)\nremoved 1 cache entry, 1.0 MiB (1,048,576 bytes)\n",
        "",
    )
    assert (old.exists(), recent.exists()) == (False, True)


def test_cache_json_lists_and_reports_removals(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _app_entry(cache, f"alpha-{'a' * 16}", 100, days_ago=30)
    recent = _app_entry(cache, f"beta-{'b' * 16}", 10, days_ago=1)
    assert cli.main(["cache", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["area"], e["label"], e["size"]) for e in listed["entries"]] == [
        ("apps", "alpha", 100),
        ("apps", "beta", 10),
    ]
    assert cli.main(["cache", "--prune", "--older-than", "7", "--json"]) == 0
    pruned = json.loads(capsys.readouterr().out)
    assert [e["path"] for e in pruned["removed"]["entries"]] == [str(old)]
    assert [e["path"] for e in pruned["entries"]] == [str(recent)]
    assert (pruned["removed"]["size"], pruned["total_size"]) == (100, 10)
