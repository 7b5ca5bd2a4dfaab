"""Corrections to stdlib modules (runtime/patches.py), each applied to a fresh copy of the
module it patches (or a stand-in), never to the one this test process uses."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import inspect
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from bundler.runtime import PACKAGE_NAME, PATCHES, patches
from bundler.runtime.patches import (
    CHILD_MODULE,
    SITECUSTOMIZE,
    PatchContext,
    patch_linecache,
    patch_multiprocessing_spawn,
    patch_py39_resources,
    patch_subprocess,
    patched_spec,
)

ARCHIVED = "/apps/demo.pyz/demo/cli.py"
ARCHIVED_SOURCE = "def main():\n    return 'hello'"  # no newline at the end


class Sources:
    """A ``source_of_path`` that knows one archived file and records what it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, path: str) -> str | None:
        self.asked.append(path)
        return ARCHIVED_SOURCE if path == ARCHIVED else None


def _context(sources: Sources | None = None, files_of: Any = None) -> PatchContext:
    return PatchContext(sources or Sources(), files_of or (lambda spec: None))


def _fresh(spec: importlib.machinery.ModuleSpec | None) -> types.ModuleType:
    """Execute the module ``spec`` finds, without putting it in ``sys.modules``."""
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fresh_linecache(sources: Sources) -> Any:
    module = _fresh(importlib.machinery.PathFinder.find_spec("linecache"))
    patch_linecache(module, _context(sources))
    return module


# -- the table of patches ---------------------------------------------------------------------


def test_every_patch_named_in_the_contract_is_a_function_here() -> None:
    functions = {name: getattr(patches, name, None) for name in PATCHES.values()}
    assert [name for name, function in functions.items() if not inspect.isfunction(function)] == []


def test_patched_modules_depend_on_the_python_version() -> None:
    expected = {"linecache", "multiprocessing.spawn", "subprocess"}
    if sys.version_info < (3, 10):
        expected.add("importlib._common")
    assert set(PATCHES) == expected


def test_children_run_the_runtime_child_module() -> None:
    assert f"{PACKAGE_NAME}.child" == CHILD_MODULE


# -- patched_spec -------------------------------------------------------------------------------


def test_patched_spec_runs_the_patch_after_the_module_executes() -> None:
    sources = Sources()
    spec = patched_spec("linecache", None, _context(sources))
    assert spec is not None
    assert spec.origin == importlib.machinery.PathFinder.find_spec("linecache").origin  # type: ignore[union-attr]
    module = _fresh(spec)
    # Had the patch run before, the module's own updatecache would have replaced it.
    assert module.getline(ARCHIVED, 2) == "    return 'hello'\n"
    assert sources.asked == [ARCHIVED]


def test_patched_spec_looks_in_the_given_path() -> None:
    import multiprocessing

    spec = patched_spec("multiprocessing.spawn", multiprocessing.__path__, _context())
    module = _fresh(spec)
    data = module.get_preparation_data("child")
    assert (data["init_main_from_name"], "init_main_from_path" in data) == (CHILD_MODULE, False)


def test_patched_spec_of_a_module_not_found_is_none(tmp_path: Path) -> None:
    assert patched_spec("multiprocessing.spawn", [str(tmp_path)], _context()) is None


def test_patched_spec_leaves_a_spec_without_loader_alone(tmp_path: Path) -> None:
    (tmp_path / "linecache").mkdir()  # a namespace portion: PathFinder gives no loader
    spec = patched_spec("linecache", [str(tmp_path)], _context())
    assert spec is not None
    assert (spec.loader, list(spec.submodule_search_locations or [])) == (
        None,
        [str(tmp_path / "linecache")],
    )


# -- linecache ---------------------------------------------------------------------------------


def test_linecache_reads_archived_sources_by_name() -> None:
    linecache = _fresh_linecache(Sources())
    assert linecache.getlines(ARCHIVED) == ["def main():\n", "    return 'hello'\n"]


def test_linecache_keeps_archived_sources_through_checkcache() -> None:
    linecache = _fresh_linecache(Sources())
    lines = linecache.getlines(ARCHIVED)
    linecache.checkcache(ARCHIVED)
    assert linecache.cache[ARCHIVED] == (len(ARCHIVED_SOURCE), None, lines, ARCHIVED)


def test_linecache_reads_real_files_itself(tmp_path: Path) -> None:
    sources = Sources()
    linecache = _fresh_linecache(sources)
    script = tmp_path / "script.py"
    script.write_text("x = 1\n")
    assert linecache.getline(str(script), 1) == "x = 1\n"
    assert sources.asked == []


def test_linecache_knows_nothing_of_files_neither_on_disk_nor_archived() -> None:
    sources = Sources()
    linecache = _fresh_linecache(sources)
    assert linecache.getlines("/nowhere/absent.py") == []
    assert sources.asked == ["/nowhere/absent.py"]
    assert "/nowhere/absent.py" not in linecache.cache


# -- multiprocessing.spawn -----------------------------------------------------------------------


def test_spawn_children_import_the_child_module_instead_of_the_main_path() -> None:
    def get_preparation_data(name: str) -> dict[str, Any]:
        return {"name": name, "sys_path": ["/apps"], "init_main_from_path": "/apps/demo.pyz"}

    spawn = types.SimpleNamespace(get_preparation_data=get_preparation_data)
    patch_multiprocessing_spawn(spawn, _context())
    assert spawn.get_preparation_data("worker") == {
        "name": "worker",
        "sys_path": ["/apps"],
        "init_main_from_name": CHILD_MODULE,
    }


def test_spawn_children_import_the_child_module_instead_of_the_main_module() -> None:
    spawn = types.SimpleNamespace(get_preparation_data=lambda name: {"init_main_from_name": "app"})
    patch_multiprocessing_spawn(spawn, _context())
    assert spawn.get_preparation_data("worker") == {"init_main_from_name": CHILD_MODULE}


# -- importlib._common (Python 3.9) -----------------------------------------------------------


def _package(name: str, with_spec: bool = True) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None) if with_spec else None
    return module


def test_resources_files_asks_the_archive_first() -> None:
    asked: list[str] = []

    def files_of(spec: importlib.machinery.ModuleSpec) -> Any:
        asked.append(spec.name)
        return "archive files" if spec.name == "demo" else None

    common = types.SimpleNamespace(from_package=lambda package: ("fallback", package.__name__))
    patch_py39_resources(common, _context(files_of=files_of))
    found = [common.from_package(_package(name)) for name in ("demo", "other")]
    assert found == ["archive files", ("fallback", "other")]
    assert common.from_package(_package("nospec", with_spec=False)) == ("fallback", "nospec")
    assert asked == ["demo", "other"]


# -- subprocess ----------------------------------------------------------------------------------

CHILD_VARIABLES = {"BUNDLER_CHILD_ARCHIVE": "/apps/demo.pyz", "PYTHONPATH": "/cache/child"}


def _popen_module(variables: dict[str, str]) -> Any:
    """A stand-in ``subprocess`` whose Popen records its options, patched."""

    class Popen:
        def __init__(self, args: Any, *positional: Any, **options: Any) -> None:
            self.args, self.positional, self.options = args, positional, options

    module = types.SimpleNamespace(Popen=Popen)
    patch_subprocess(module, PatchContext(Sources(), lambda spec: None, lambda: dict(variables)))
    return module


def test_a_child_of_this_python_gets_the_variables_that_import_from_the_archive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONPATH", "/user/lib")
    monkeypatch.setenv("APP_SETTING", "kept")
    module = _popen_module(CHILD_VARIABLES)
    child = module.Popen([sys.executable, "-m", "virtualenv", "venv"])
    env = child.options["env"]
    assert env["BUNDLER_CHILD_ARCHIVE"] == "/apps/demo.pyz"
    assert env["PYTHONPATH"] == os.pathsep.join(["/cache/child", "/user/lib"])
    assert env["APP_SETTING"] == "kept"  # the rest of the environment is inherited
    given = module.Popen([sys.executable, "-c", "pass"], env={"LANG": "C"}).options["env"]
    assert given == {"LANG": "C", **CHILD_VARIABLES}
    by_option = module.Popen(["python3"], executable=sys.executable).options
    assert by_option["env"]["PYTHONPATH"].startswith("/cache/child")


def test_patched_popen_keeps_its_signature() -> None:
    subprocess_copy = _fresh(importlib.machinery.PathFinder.find_spec("subprocess"))
    patch_subprocess(subprocess_copy, _context())
    parameters = list(inspect.signature(subprocess_copy.Popen).parameters)
    assert parameters[:3] == ["args", "bufsize", "executable"]


def test_other_programs_and_shells_are_left_as_the_app_started_them(tmp_path: Path) -> None:
    module = _popen_module(CHILD_VARIABLES)
    # The same binary elsewhere: a virtualenv the app made (nox's, tox's).
    elsewhere = tmp_path / "venv-python"
    elsewhere.symlink_to(sys.executable)
    for args, options in [
        (["/bin/sh", "-c", "true"], {}),
        ([str(elsewhere), "-c", "pass"], {}),
        (f"{sys.executable} -c pass", {"shell": True}),
        ([sys.executable, "-c", "pass"], {"env": {b"LANG": b"C"}}),
    ]:
        assert module.Popen(args, **options).options.get("env") == options.get("env")
    # Nothing when the cache cannot hold the child's sitecustomize.
    assert "env" not in _popen_module({}).Popen([sys.executable, "-c", "pass"]).options


def test_sitecustomize_of_a_child_runs_the_one_it_hides(tmp_path: Path) -> None:
    """A child of another interpreter (another prefix) does not start the archive, and a
    sitecustomize further down the path still runs."""
    ours, theirs = tmp_path / "child", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    (ours / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (theirs / "sitecustomize.py").write_text("import builtins\nbuiltins.THEIRS = 1\n")
    env = {
        "PYTHONPATH": os.pathsep.join([str(ours), str(theirs)]),
        "BUNDLER_CHILD_ARCHIVE": str(tmp_path / "missing.pyz"),
        "BUNDLER_CHILD_PREFIX": "/another/prefix",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import sitecustomize, sys; print(THEIRS, len(sys.meta_path))"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    plain = subprocess.run(
        [sys.executable, "-c", "import sys; print(len(sys.meta_path))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split() == ["1", plain.stdout.strip()]
