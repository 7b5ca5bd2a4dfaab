"""Issue 5: an app cannot tell that it runs from an archive rather than from a virtualenv.

For every interpreter from 3.9 to 3.13 found here, the compat sample is installed by pip
into a virtualenv and its probes run there; the archive, built once on the interpreter that
runs the tests, runs the same probes on an interpreter whose site-packages are empty. Each
probe must give identical results (paths are written relative to where ``compat`` was
imported from). Then the bytecode cache: on a Python other than the build's, the sources
are compiled once and the result is cached per user.
"""

from __future__ import annotations

import difflib
import json
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.compat_sample import (
    BUILD_MINOR,
    Extras,
    app_env,
    clean_venv_python,
    compat_archives,
    installed_venv,
    probe_output,
    run_archive,
    run_installed,
)
from tests.helpers.downloads import download_wheels
from tests.helpers.pythons import SUPPORTED
from tests.helpers.shared import create_once, shared_directory

# Every probe that `compat probe --all` runs (test_every_probe_is_compared keeps this true).
PROBES = (
    "import_modules_and_packages",
    "module_attributes",
    "namespace_package",
    "reload",
    "find_spec",
    "failing_import",
    "circular_imports",
    "invalidate_caches",
    "resources_files",
    "resources_as_file",
    "resources_legacy_api",
    "resources_data_directory_package",
    "pkgutil_get_data",
    "pkgutil_plugin_discovery",
    "metadata_version",
    "metadata_fields",
    "metadata_entry_points",
    "metadata_files",
    "metadata_requires",
    "metadata_distributions",
    "metadata_packages_distributions",
    "metadata_backports",
    "traceback_source_lines",
    "inspect_source",
    "linecache_lines",
    "warnings_location",
    "code_filenames",
    "multiprocessing_fork",
    "multiprocessing_spawn",
    "multiprocessing_forkserver",
    "process_pool_executor",
    "subprocess_rerun",
)
# Compared between `python -m compat` and the archive built with `-e compat`.
MODULE_ENTRY_PROBES = ("main_module", "multiprocessing_spawn", "namespace_package")
# Pinned to releases that still support Python 3.9, zipp included.
BACKPORTS = ("importlib-metadata==8.7.1", "importlib-resources==6.5.2", "zipp==3.23.0")
# What the metadata_backports probe reports where the backports are installed.
BACKPORT_RESULTS = {
    "importlib_metadata": {
        "entry_points": ["shout", "title", "upper"],
        "files": 7,
        "requires": ["compat-ns-a>=1.0"],
        "version": "1.0",
    },
    "importlib_resources": {
        "iterdir": ["__init__.py", "blob.bin", "docs", "greeting.txt"],
        "read_text": "Grüße from compat ✓\nsecond line\n",
    },
}
# Run only inside other probes or other ways of starting the app.
NOT_IN_ALL = ("child", "main_module")

OTHER_PYTHONS = [minor for minor in SUPPORTED if minor != BUILD_MINOR]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_directory(tmp_path_factory, "compat-sample")


@pytest.mark.pythons
@pytest.mark.parametrize("minor", SUPPORTED)
@pytest.mark.parametrize("probe", PROBES)
def test_probe_gives_the_same_result_as_in_a_virtualenv(
    shared: Path, minor: str, probe: str
) -> None:
    assert_same_probe_results(parity_runs(shared, minor), probe, "installed", "archived")


@pytest.mark.pythons
@pytest.mark.parametrize("minor", SUPPORTED)
@pytest.mark.parametrize("probe", MODULE_ENTRY_PROBES)
def test_module_entry_point_behaves_like_python_dash_m(
    shared: Path, minor: str, probe: str
) -> None:
    assert_same_probe_results(parity_runs(shared, minor), probe, "installed -m", "archived -m")


@pytest.mark.pythons
@pytest.mark.parametrize("minor", SUPPORTED)
def test_uncaught_exception_shows_the_same_app_frames(shared: Path, minor: str) -> None:
    runs = parity_runs(shared, minor)
    installed, archived = runs["installed crash"], runs["archived crash"]
    assert archived.returncode == installed.returncode == 1, archived.stderr
    installed_lines, archived_lines = app_traceback(installed), app_traceback(archived)
    assert archived_lines == installed_lines, "\n".join(
        difflib.unified_diff(installed_lines, archived_lines, "virtualenv", "archive")
    )


@pytest.mark.pythons
@pytest.mark.parametrize("minor", SUPPORTED)
def test_probes_print_the_same_to_stderr_as_in_a_virtualenv(shared: Path, minor: str) -> None:
    """Nothing extra: no tracebacks of children, warnings or messages of the runtime."""
    runs = parity_runs(shared, minor)
    assert runs["archived"].stderr == runs["installed"].stderr


@pytest.mark.ecosystem
@pytest.mark.pythons
@pytest.mark.parametrize("minor", SUPPORTED)
def test_bundled_backports_give_the_same_results_as_in_a_virtualenv(
    shared: Path, minor: str, tmp_path: Path
) -> None:
    """importlib_metadata and importlib_resources from PyPI, bundled because compat uses them
    when they are installed."""
    backports = Extras(
        "backports",
        requirements=("importlib-metadata", "importlib-resources"),
        find_links=(download_wheels("backports", BACKPORTS),),
    )
    env = app_env(tmp_path / "cache")
    venv = installed_venv(shared, minor, backports)
    archive = compat_archives(shared, backports).console
    python = clean_venv_python(shared, minor)
    installed = probe_output(run_installed(venv, "probe", "metadata_backports", env=env))
    archived = probe_output(run_archive(python, archive, "probe", "metadata_backports", env=env))
    # What the backports find in the virtualenv: they are there, and they work.
    assert installed["metadata_backports"] == BACKPORT_RESULTS
    assert_same_results(
        "metadata_backports", installed["metadata_backports"], archived["metadata_backports"]
    )


def test_every_probe_is_compared(shared: Path) -> None:
    env = app_env(shared / "unused-cache")
    listed = run_installed(installed_venv(shared, BUILD_MINOR), "list", env=env)
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert sorted(names) == sorted(PROBES + NOT_IN_ALL)


# -- bytecode on a Python other than the build's ----------------------------------------

# Installed through PYTHONPATH: counts compile() calls on files inside the archive.
COMPILE_COUNTER = """\
import atexit, os, sys

_archive = os.environ["COUNT_COMPILES_IN"] + os.sep
_compiled = []


def _count(event, args):
    if event == "compile" and len(args) > 1 and str(args[1]).startswith(_archive):
        _compiled.append(str(args[1])[len(_archive):])


def _write():
    with open(os.environ["COUNT_COMPILES_LOG"], "w") as stream:
        stream.write("".join(name + "\\n" for name in _compiled))


sys.addaudithook(_count)
atexit.register(_write)
"""
RUNTIME_MEMBERS = ("__main__.py", "_bundler_runtime/")
CHEAP_PROBES = ("import_modules_and_packages", "resources_files", "metadata_version")
# The payload's modules that CHEAP_PROBES import, in the order they are first imported.
CHEAP_PROBES_IMPORT = [
    "compat/__init__.py",
    "compat/cli.py",
    "compat/registry.py",
    "compat/probes/__init__.py",
    "compat/probes/imports.py",
    "compat/probes/resources.py",
    "compat/probes/metadata.py",
    "compat/probes/debugging.py",
    "compat/subjects/__init__.py",
    "compat/subjects/debugging.py",
    "compat/probes/processes.py",
    "compat/subjects/workers.py",
    "compat/plugins/__init__.py",
    "compat/subjects/relatives.py",
    "compat/formatters.py",
    "compat/plugins/alpha_plugin.py",
    "compat/subjects/circ_a.py",
    "compat/subjects/circ_b.py",
    "compat/plugins/nested/__init__.py",
    "compat/plugins/nested/deep.py",
    "compat/plugins/beta_plugin.py",
    "compat/assets/__init__.py",
]


@pytest.mark.pythons
def test_build_python_runs_archived_bytecode_without_compiling(
    shared: Path, tmp_path: Path
) -> None:
    start = compile_counting_start(shared, BUILD_MINOR, tmp_path)
    # Bytecode is archived for what import statements reach; a plugin named only in a
    # string is compiled on its first import and cached (README, "Size").
    first = start(tmp_path / "cache")
    assert first == ["compat/plugins/beta_plugin.py"], (
        "the build Python recompiled archived modules"
    )
    assert start(tmp_path / "cache") == [], "the build Python compiled the plugin again"


@pytest.mark.pythons
@pytest.mark.parametrize("minor", OTHER_PYTHONS)
def test_second_start_on_another_python_compiles_nothing(
    shared: Path, minor: str, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    start = compile_counting_start(shared, minor, tmp_path)
    first = start(cache_dir)
    assert first == CHEAP_PROBES_IMPORT, "bytecode built for another Python was not ignored"
    assert files_under(cache_dir), "the first start cached nothing under BUNDLER_CACHE"
    second = start(cache_dir)
    assert second == [], f"the second start compiled again: {second}"


@pytest.mark.pythons
@pytest.mark.parametrize("minor", OTHER_PYTHONS)
@pytest.mark.parametrize("switch", ["PYTHONDONTWRITEBYTECODE=1", "-B"])
def test_no_bytecode_is_cached_when_writing_it_is_off(
    shared: Path, minor: str, switch: str, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    start = compile_counting_start(shared, minor, tmp_path)
    flags = ("-B",) if switch == "-B" else ()
    extra_env = {"PYTHONDONTWRITEBYTECODE": "1"} if switch != "-B" else {}
    start(cache_dir, flags=flags, **extra_env)
    second = start(cache_dir, flags=flags, **extra_env)
    assert [p for p in files_under(cache_dir) if p.endswith(".pyc")] == []
    assert second == CHEAP_PROBES_IMPORT, "compiled code was cached anyway"


# -- helpers ------------------------------------------------------------------------------


def parity_runs(shared: Path, minor: str) -> dict[str, subprocess.CompletedProcess[str]]:
    """The runs that the parity tests compare, made once per interpreter for all workers."""
    return {name: _as_completed(run) for name, run in _parity_runs_data(shared, minor).items()}


@cache
def _parity_runs_data(shared: Path, minor: str) -> dict[str, dict[str, Any]]:
    venv = installed_venv(shared, minor)
    python = clean_venv_python(shared, minor)
    archives = compat_archives(shared)

    def create(target: Path) -> None:
        # An empty working directory: `python -m compat` must not find anything else there.
        env, cwd = app_env(target / "cache"), target
        module_probes = ("probe", *MODULE_ENTRY_PROBES)
        runs = {
            "installed": run_installed(venv, "probe", "--all", env=env, cwd=cwd),
            "archived": run_archive(python, archives.console, "probe", "--all", env=env, cwd=cwd),
            "installed -m": run_installed(venv, *module_probes, env=env, cwd=cwd, as_module=True),
            "archived -m": run_archive(python, archives.module, *module_probes, env=env, cwd=cwd),
            "installed crash": run_installed(venv, "crash", env=env, cwd=cwd),
            "archived crash": run_archive(python, archives.console, "crash", env=env, cwd=cwd),
        }
        saved = {name: _as_data(run) for name, run in runs.items()}
        (target / "runs.json").write_text(json.dumps(saved, indent=1))

    runs_dir = create_once(shared, f"parity-runs-{minor}", create)
    data: dict[str, dict[str, Any]] = json.loads((runs_dir / "runs.json").read_text())
    return data


def _as_data(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return {
        "args": [str(a) for a in run.args],
        "returncode": run.returncode,
        "stdout": run.stdout,
        "stderr": run.stderr,
    }


def _as_completed(data: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(
        data["args"], data["returncode"], data["stdout"], data["stderr"]
    )


def assert_same_probe_results(
    runs: dict[str, subprocess.CompletedProcess[str]], probe: str, installed: str, archived: str
) -> None:
    """``probe`` gave the same result in the run named ``archived`` as in ``installed``."""
    expected = probe_output(runs[installed])[probe]
    assert_same_results(probe, expected, probe_output(runs[archived]).get(probe, "<not reported>"))


def assert_same_results(probe: str, installed: Any, archived: Any) -> None:
    """Fail with a diff of the two results, virtualenv first."""
    if isinstance(installed, dict) and set(installed) == {"error"}:
        pytest.fail(f"probe {probe!r} fails in the virtualenv itself: {installed['error']}")
    if installed != archived:
        diff = difflib.unified_diff(
            _pretty(installed), _pretty(archived), "virtualenv", "archive", lineterm=""
        )
        pytest.fail(
            f"probe {probe!r} differs between the virtualenv and the archive:\n" + "\n".join(diff),
            pytrace=False,
        )


def _pretty(value: Any) -> list[str]:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False).splitlines()


def app_traceback(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The traceback's header and the lines from the first frame in ``compat`` onwards.

    ``compat crash`` prints its install root first; the console script's own frame (in a
    virtualenv) or any frame of the runtime (in an archive) comes before the app's frames.
    """
    root = json.loads(result.stdout.splitlines()[0])["root"]
    lines = result.stderr.replace(root, "<root>").splitlines()
    first_app_frame = next(
        (i for i, line in enumerate(lines) if line.startswith('  File "<root>/compat/')), None
    )
    if first_app_frame is None:
        return lines
    return lines[:1] + lines[first_app_frame:]


def compile_counting_start(shared: Path, minor: str, tmp_path: Path) -> Callable[..., list[str]]:
    """A function that starts the archive on ``minor`` and returns the members it compiled."""
    python = clean_venv_python(shared, minor)
    archive = compat_archives(shared).console
    counter_dir = tmp_path / "counter"
    counter_dir.mkdir()
    (counter_dir / "sitecustomize.py").write_text(COMPILE_COUNTER)
    log = tmp_path / "compiled.txt"

    def start(cache_dir: Path, flags: tuple[str, ...] = (), **extra_env: str) -> list[str]:
        env = app_env(
            cache_dir,
            PYTHONPATH=str(counter_dir),
            COUNT_COMPILES_IN=str(archive),
            COUNT_COMPILES_LOG=str(log),
            **extra_env,
        )
        result = run_archive(python, archive, "probe", *CHEAP_PROBES, env=env, flags=flags)
        probe_output(result)
        compiled = log.read_text().split()
        # zipimport compiles the stub and the runtime's first stage at every start: only the
        # payload's modules are the bytecode cache's business.
        return [name for name in compiled if not name.startswith(RUNTIME_MEMBERS)]

    return start


def files_under(directory: Path) -> list[str]:
    """Relative paths of the regular files below ``directory`` (none if it is missing)."""
    if not directory.exists():
        return []
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
