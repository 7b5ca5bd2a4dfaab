"""The parts of staging that need no pip: cache entries, fingerprints, configuration, scripts."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bundler.caches.build import MARKER, cached_entry
from bundler.config import Config, Overrides, load_config
from bundler.entrypoint import choose_entry_point
from bundler.environment import Distribution, Environment, environment_for, query_interpreter
from bundler.errors import ConfigError, EntryPointError, ProjectError
from bundler.staging.tools import relevant_tail, run_tool, summary_line
from bundler.staging.keys import source_fingerprint, wheel_digest
from tests.conftest import pyproject, write_project

# ---------------------------------------------------------------- cache entries


def _filler(calls: list[Path], text: str = "payload") -> Any:
    def fill(directory: Path) -> dict[str, str]:
        calls.append(directory)
        (directory / "site").mkdir()
        (directory / "site" / "file.txt").write_text(text)
        return {"what": text}

    return fill


def test_entry_is_filled_once_then_reused(tmp_path: Path) -> None:
    calls: list[Path] = []
    with cached_entry(tmp_path, "k1", _filler(calls)) as first:
        assert (first.reused, first.info["what"]) == (False, "payload")
    with cached_entry(tmp_path, "k1", _filler(calls)) as second:
        assert second.reused
        assert (second.path / "site" / "file.txt").read_text() == "payload"
    assert len(calls) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1", "k1.lock"]


def test_refresh_replaces_the_entry(tmp_path: Path) -> None:
    calls: list[Path] = []
    with cached_entry(tmp_path, "k1", _filler(calls, "old")):
        pass
    with cached_entry(tmp_path, "k1", _filler(calls, "new"), refresh=True) as entry:
        assert not entry.reused
        assert (entry.path / "site" / "file.txt").read_text() == "new"
    assert len(calls) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1", "k1.lock"]


def test_entry_without_marker_is_refilled(tmp_path: Path) -> None:
    """What a build killed before the rename, or a damaged cache, leaves behind."""
    half = tmp_path / "k1" / "site"
    half.mkdir(parents=True)
    (half / "partial.py").write_text("x = ")
    stale = tmp_path / ".k1.tmp-dead"
    stale.mkdir()
    calls: list[Path] = []
    with cached_entry(tmp_path, "k1", _filler(calls)) as entry:
        assert entry.repaired and not entry.reused
        assert sorted(p.name for p in (entry.path / "site").iterdir()) == ["file.txt"]
    assert not stale.exists()
    assert json.loads((tmp_path / "k1" / MARKER).read_text())["what"] == "payload"


def test_failed_fill_leaves_nothing(tmp_path: Path) -> None:
    def fail(directory: Path) -> dict[str, str]:
        (directory / "half-written").write_text("...")
        raise RuntimeError("pip died")

    with pytest.raises(RuntimeError), cached_entry(tmp_path, "k1", fail):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1.lock"]


def _fill_slowly(area: str, log: str) -> None:
    def fill(directory: Path) -> dict[str, str]:
        with open(log, "a") as stream:
            stream.write("filled\n")
        time.sleep(0.5)
        (directory / "site").mkdir()
        return {}

    with cached_entry(Path(area), "shared", fill) as entry:
        assert (entry.path / "site").is_dir()


def test_concurrent_builds_fill_an_entry_once(tmp_path: Path) -> None:
    log = tmp_path / "log"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_fill_slowly, args=(str(tmp_path / "area"), str(log)))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert log.read_text() == "filled\n"


# ---------------------------------------------------------------- fingerprints


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": pyproject(),
            "demo/__init__.py": "VALUE = 1\n",
            ".gitignore": "build/\n",
        },
    )


def test_fingerprint_follows_sources(sources: Path) -> None:
    before = source_fingerprint(sources)
    assert source_fingerprint(sources) == before
    (sources / "demo" / "__init__.py").write_text("VALUE = 2\n")
    changed = source_fingerprint(sources)
    assert changed != before
    (sources / "demo" / "extra.py").write_text("")
    assert source_fingerprint(sources) != changed


def test_fingerprint_ignores_build_output_caches_and_venvs(sources: Path) -> None:
    before = source_fingerprint(sources, ignore=[sources / "app.pyz"])
    write_project(
        sources,
        {
            "build/lib/demo/__init__.py": "",
            "dist/demo-1.0.whl": "",
            "demo.egg-info/PKG-INFO": "",
            "demo/__pycache__/x.cpython-311.pyc": "",
            ".git/HEAD": "ref",
            ".tox/log": "",
            "venv/pyvenv.cfg": "home = /usr",
            "venv/lib/site.py": "",
            "app.pyz": "archive",
            ".coverage": "coverage data",
        },
    )
    assert source_fingerprint(sources, ignore=[sources / "app.pyz"]) == before


def test_fingerprint_counts_hidden_files_and_nested_build_packages(sources: Path) -> None:
    before = source_fingerprint(sources)
    (sources / ".gitignore").write_text("dist/\n")  # hatchling reads it
    after_ignore = source_fingerprint(sources)
    assert after_ignore != before
    write_project(sources, {"demo/build/__init__.py": ""})  # a package named build
    assert source_fingerprint(sources) != after_ignore


def _zip(path: Path, members: dict[str, bytes], stamp: tuple[int, ...]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data)  # type: ignore[arg-type]
    return path


def test_wheel_digest_is_blind_to_timestamps_and_order(tmp_path: Path) -> None:
    members = {"demo/__init__.py": b"A = 1\n", "demo-1.0.dist-info/METADATA": b"Name: demo\n"}
    one = _zip(tmp_path / "one.whl", members, (1980, 1, 1, 0, 0, 0))
    reordered = dict(reversed(list(members.items())))
    two = _zip(tmp_path / "two.whl", reordered, (2024, 5, 6, 7, 8, 10))
    assert wheel_digest(one) == wheel_digest(two)
    three = _zip(
        tmp_path / "three.whl", {**members, "demo/__init__.py": b"A = 2\n"}, (1980, 1, 1, 0, 0, 0)
    )
    assert wheel_digest(three) != wheel_digest(one)


# ---------------------------------------------------------------- tool output


def test_summary_prefers_pips_error_line() -> None:
    lines = [
        "Collecting nosuch",
        "ERROR: Cannot install a and b because these package versions have conflicts.",
        "",
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/",
    ]
    assert summary_line(lines).startswith("Cannot install a and b")
    assert summary_line(["Traceback ...", "RuntimeError: boom", ""]) == "RuntimeError: boom"
    assert summary_line([]) == "no output"


def test_tail_drops_blank_lines_and_progress_bars() -> None:
    lines = ["one", "", "   ", "━━━━━━ 51.2/51.2 kB", *(f"line {i}" for i in range(20))]
    assert relevant_tail(lines, limit=3) == ("line 17", "line 18", "line 19")
    assert relevant_tail(lines[:4]) == ("one",)


def test_run_tool_keeps_output_and_echoes_it_when_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
    quiet = run_tool([sys.executable, "-c", script], verbose=False)
    assert (quiet.returncode, sorted(quiet.lines)) == (3, ["err", "out"])
    assert capsys.readouterr().err == ""
    run_tool([sys.executable, "-c", script], verbose=True)
    assert "  | out" in capsys.readouterr().err
    missing = run_tool(["/no/such/tool"], verbose=False)
    assert missing.returncode == 127 and "cannot run /no/such/tool" in missing.lines[0]


# ---------------------------------------------------------------- configuration


@pytest.fixture
def project(tmp_path: Path) -> Path:
    toml = pyproject(
        scripts={"demo": "demo.cli:main"},
        extra=(
            "[tool.bundle]\n"
            'with = ["plugin-a"]\n'
            'requirements = ["reqs.txt"]\n'
            'find-links = ["wheels"]\n'
            "no-index = true\n"
        ),
    )
    return write_project(
        tmp_path / "proj",
        {"pyproject.toml": toml, "reqs.txt": "extra-b\n", "wheels/.keep": "", "demo/cli.py": ""},
    )


def test_tool_table_install_options_are_relative_to_the_project(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "more.txt").write_text("x\n")
    cli = Overrides(
        output=Path("app.pyz"), requirements=("plugin-c",), requirement_files=(Path("more.txt"),)
    )
    install = load_config(project, cli).install
    assert install is not None
    assert install.requirements == ("plugin-a", "plugin-c")
    assert install.requirement_files == (project / "reqs.txt", tmp_path / "more.txt")
    assert install.find_links == (str(project / "wheels"),)
    assert install.no_index and install.build_isolation and install.use_cache


def test_cli_overrides_the_tool_table(project: Path) -> None:
    install = load_config(project, Overrides(output=Path("a.pyz"), no_index=False)).install
    assert install is not None and not install.no_index


def test_no_install_conflicts_with_requirements(project: Path) -> None:
    with pytest.raises(ConfigError, match="--with, --requirement, --find-links need an install"):
        load_config(project, Overrides(output=Path("a.pyz"), install=False))


def test_missing_requirements_file_is_named(project: Path) -> None:
    cli = Overrides(output=Path("a.pyz"), requirement_files=(Path("/no/reqs.txt"),))
    with pytest.raises(ConfigError, match=r"requirements file /no/reqs\.txt does not exist"):
        load_config(project, cli)


def test_without_a_project_requirements_are_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, Overrides(output=Path("a.pyz"), requirements=("black",)))
    assert (config.has_project, config.project) == (False, None)
    with pytest.raises(ProjectError, match="name distributions to bundle with --with"):
        load_config(None, Overrides(output=Path("a.pyz")))
    with pytest.raises(ProjectError, match=r"no pyproject\.toml"):
        load_config(tmp_path, Overrides(output=Path("a.pyz"), requirements=("black",)))


def test_project_table_may_be_left_to_the_backend_unless_not_installing(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"pyproject.toml": "[tool.poetry]\nname = 'x'\n"})
    assert load_config(root, Overrides(output=Path("a.pyz"))).project is None
    with pytest.raises(ConfigError, match=r"no \[project\] table"):
        load_config(root, Overrides(output=Path("a.pyz"), install=False))


# ---------------------------------------------------------------- console scripts


def _environment(tmp_path: Path, *dists: Distribution) -> Environment:
    base = environment_for(query_interpreter(None))
    return Environment(base.interpreter, (tmp_path,), dists, {}, None)


def _dist(name: str, tmp_path: Path, **scripts: str) -> Distribution:
    return Distribution(
        name,
        "1.0",
        tmp_path / f"{name}-1.0.dist-info",
        tmp_path,
        entry_points={"console_scripts": scripts},
    )


def _standalone(tmp_path: Path, **cli: Any) -> Config:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        return load_config(None, Overrides(output=Path("a.pyz"), **cli))
    finally:
        os.chdir(cwd)


def test_script_of_an_installed_distribution(tmp_path: Path) -> None:
    env = _environment(tmp_path, _dist("blackish", tmp_path, blackish="blackish:patched_main"))
    config = _standalone(tmp_path, requirements=("blackish==1.0",), script="blackish")
    entry = choose_entry_point(config, env)
    assert (entry.module, entry.function) == ("blackish", "patched_main")


def test_unknown_script_lists_the_ones_that_exist(tmp_path: Path) -> None:
    env = _environment(
        tmp_path,
        _dist("blackish", tmp_path, blackish="b:main", blackishd="b.d:main"),
        _dist("helper", tmp_path, helper="h:main"),
    )
    config = _standalone(tmp_path, requirements=("blackish",), script="blak")
    with pytest.raises(EntryPointError) as raised:
        choose_entry_point(config, env)
    assert str(raised.value) == (
        "no script named 'blak' in the environment; available: blackish, blackishd, helper"
    )


def test_the_only_script_of_the_requested_distribution_is_the_default(tmp_path: Path) -> None:
    env = _environment(
        tmp_path, _dist("tool", tmp_path, tool="tool:run"), _dist("dep", tmp_path, dep="d:m")
    )
    entry = choose_entry_point(_standalone(tmp_path, requirements=("tool>=1",)), env)
    assert str(entry) == "tool:run"
    two = _environment(tmp_path, _dist("tool", tmp_path, tool="tool:run", toold="tool:d"))
    with pytest.raises(EntryPointError, match=r"ambiguous entry point.*tool, toold.*-c NAME"):
        choose_entry_point(_standalone(tmp_path, requirements=("tool",)), two)
