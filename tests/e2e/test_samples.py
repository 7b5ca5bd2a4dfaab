"""Build each sample project and run its archive where its dependencies are not installed."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, Runner, copy_project, report_lines, run_bundle
from tests.helpers.pythons import find_pythons

TEXT = "The quick brown fox\njumps over the lazy dog.\n"
# What `wordstats --plain` prints for TEXT, and what `srctool info` prints.
WORDSTATS_PLAIN = (
    "counter  value\n-------  -----\nchars       45\nlines        2\n"
    "longest      5\nunique       8\nwords        9\n"
)
SRCTOOL_INFO = (
    "srctool 0.3.0\nnsplug-core 1.0, nsplug-extra 1.0\n"
    "plugin modules: nsplug.core, nsplug.extra\nspeedups: pure Python\n"
)


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory, offline: tuple[str, ...]) -> dict[str, Path]:
    """Each sample built once the default way: its wheel built by setuptools, then installed
    with its dependencies by pip, offline, from the test wheelhouses."""
    out = tmp_path_factory.mktemp("archives")
    built = {}
    for name in ("notekeeper", "wordstats", "srclayout"):
        project = copy_project(SAMPLES / name, out / name)
        result = run_bundle("build", project, "-o", out / f"{name}.pyz", *offline)
        assert result.returncode == 0, result.stderr
        built[name] = out / f"{name}.pyz"
    return built


def test_notekeeper_commands_and_package_data(
    archives: dict[str, Path], run_app: Runner, tmp_path: Path
) -> None:
    app = archives["notekeeper"]
    store = str(tmp_path / "notes.json")
    added = run_app(
        app,
        "--store",
        store,
        "add",
        "Buy milk",
        "--body",
        "Two litres.",
        "--tag",
        "home",
        "--tag",
        "errands",
    )
    assert (added.returncode, added.stdout) == (0, "Added note 1: Buy milk\n"), added.stderr
    run_app(app, "--store", store, "add", "Call the plumber", "--tag", "home")
    listed = run_app(app, "--store", store, "list")
    assert listed.stdout == "1  Buy milk          [errands, home]\n2  Call the plumber  [home]\n"
    shown = run_app(app, "--store", store, "show", "1")
    assert shown.stdout == "# Buy milk\nid: 1\ntags: errands, home\n\nTwo litres.\n"
    version = run_app(app, "--version")
    assert version.stdout == "notekeeper 1.2.0\n", version.stderr


def test_notekeeper_exit_code_comes_from_main(
    archives: dict[str, Path], run_app: Runner, tmp_path: Path
) -> None:
    result = run_app(archives["notekeeper"], "--store", str(tmp_path / "n.json"), "show", "9")
    assert (result.returncode, result.stderr) == (1, "notekeeper: error: no note with id 9\n")


def test_wordstats_uses_third_party_entry_points(
    archives: dict[str, Path], run_app: Runner
) -> None:
    result = run_app(archives["wordstats"], "--plain", stdin=TEXT)
    assert (result.returncode, result.stdout) == (0, WORDSTATS_PLAIN), result.stderr
    listed = run_app(archives["wordstats"], "--list-counters", "--plain")
    names = [line.split()[0] for line in listed.stdout.splitlines()[2:]]
    assert names == ["chars", "lines", "longest", "unique", "words"]


def test_wordstats_colours_come_from_packaged_theme(
    archives: dict[str, Path], run_app: Runner
) -> None:
    result = run_app(archives["wordstats"], stdin=TEXT)
    assert result.returncode == 0, result.stderr
    heading, rule, value = "\x1b[1;36m{}\x1b[0m", "\x1b[2m{}\x1b[0m", "\x1b[33m{}\x1b[0m"
    assert result.stdout.splitlines() == [
        f"{heading.format('counter')}  {heading.format('value')}",
        f"{rule.format('-------')}  {rule.format('-----')}",
        f"chars       {value.format(45)}",
        f"lines        {value.format(2)}",
        f"longest      {value.format(5)}",
        f"unique       {value.format(8)}",
        f"words        {value.format(9)}",
    ]


def test_srclayout_namespace_packages_and_optional_import(
    archives: dict[str, Path], run_app: Runner
) -> None:
    info = run_app(archives["srclayout"], "info")
    assert info.stdout == SRCTOOL_INFO, info.stderr
    greet = run_app(archives["srclayout"], "greet", "World", "--excited")
    assert greet.stdout == "Hello, World!\n"
    transformed = run_app(
        archives["srclayout"], "transform", "--with", "upper,reverse", "hello", "world"
    )
    assert transformed.stdout == "DLROW OLLEH\n"


def test_only_reached_distributions_are_bundled(archives: dict[str, Path]) -> None:
    with zipfile.ZipFile(archives["srclayout"]) as outer:
        manifest = json.loads(outer.read(".bundle/manifest.json"))
    dists = {d.split("-")[0] for d in manifest["distributions"]}
    assert dists == {"nsplug_core", "nsplug_extra", "srctool"}
    assert not any(name.startswith(("inkwell", "tallyho")) for name in manifest["modules"])


def test_third_party_python2_file_is_a_warning(deps_python: Path, tmp_path: Path) -> None:
    """Compiled (and warned about) with --bytecode all; by default no import statement
    reaches it, so it is not compiled at build time at all."""
    result = run_bundle(
        "build",
        SAMPLES / "wordstats",
        "-o",
        tmp_path / "w.pyz",
        "--python",
        deps_python,
        "--no-install",
        "--bytecode",
        "all",
    )
    assert result.returncode == 0, result.stderr
    assert report_lines(result)[3] == (
        "bundle: warning: legacy_extras/tests/py2_only.py:7 does not compile on this Python "
        "(SyntaxError); kept as source only"
    )


def test_build_without_the_dependency_names_its_importer(
    archives: dict[str, Path], tmp_path: Path
) -> None:
    """Built against an environment without tallyho: the build says so, by importer."""
    result = run_bundle("build", SAMPLES / "wordstats", "-o", tmp_path / "w.pyz", "--no-install")
    assert result.returncode == 0, result.stderr
    tallyho = (
        "bundle: warning: import 'tallyho' not found (imported by wordstats.__main__, line 11)"
    )
    assert tallyho in report_lines(result)


@pytest.mark.parametrize("minor", ["3.9", "3.10", "3.11", "3.12", "3.13"])
def test_archive_runs_on_every_python(
    archives: dict[str, Path], run_app: Runner, minor: str, tmp_path: Path
) -> None:
    python = find_pythons().get(minor)
    if python is None:
        pytest.skip(f"Python {minor} is not installed here")
    result = run_app(archives["wordstats"], "--plain", stdin=TEXT, python=python)
    assert (result.returncode, result.stdout) == (0, WORDSTATS_PLAIN), result.stderr
    info = run_app(archives["srclayout"], "info", python=python)
    assert (info.returncode, info.stdout) == (0, SRCTOOL_INFO), info.stderr
    store = str(tmp_path / "notes.json")
    run_app(archives["notekeeper"], "--store", store, "add", "x", python=python)
    shown = run_app(archives["notekeeper"], "--store", store, "show", "1", python=python)
    assert shown.stdout == "# x\nid: 1\ntags: -\n\n(no text)\n", shown.stderr
