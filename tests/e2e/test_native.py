"""Native extensions and zip-unsafe packages, extracted on first import: built and run for real.

The distributions are made here: C extensions compiled with gcc for the running Python, a
shared library loaded through an ``$ORIGIN`` RPATH from ``native_demo.libs`` (what
auditwheel produces), a top-level helper module that C code imports by name (what mypyc
produces), a module shipped both compiled and as source (mypyc again), an optional
speed-up, and a pure-Python package that opens files next to its ``__file__``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    Runner,
    assert_app_error,
    pyproject,
    report_lines,
    run_bundle,
    step_lines,
    venv_with,
    write_project,
    wrong_python_message,
    wrote_line,
)
from tests.helpers.cext import EXTENSION_SUFFIX, compile_extension, compile_library, have_compiler
from tests.helpers.pythons import clean_env, find_python
from tests.helpers.wheels import write_wheel

pytestmark = pytest.mark.skipif(not have_compiler(), reason="needs gcc and Python headers")

ABI = f"cp{sys.version_info[0]}{sys.version_info[1]}"
PLATFORM_TAG = f"{ABI}-{ABI}-linux_{os.uname().machine}"
LIBFOO = "libfoo-5e1a2b3c.so"  # auditwheel renames bundled libraries with a hash like this
# Named like mypyc's shared module: C code imports it by a name no import statement can.
HELPER = "5e1a2b3c__mypyc"

LIBFOO_C = "int foo_answer(void) { return 42; }\n"

SPEEDUPS_C = r"""
#include <Python.h>
int foo_answer(void);

static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}
static PyObject *answer(PyObject *self, PyObject *unused) {
    return PyLong_FromLong(foo_answer());
}
static PyMethodDef methods[] = {
    {"add", add, METH_VARARGS, NULL},
    {"answer", answer, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) {
    /* Like a mypyc module: import the shared helper by name, invisibly to the resolver. */
    PyObject *helper = PyImport_ImportModule("5e1a2b3c__mypyc");
    if (helper == NULL) return NULL;
    Py_DECREF(helper);
    return PyModule_Create(&module);
}
"""


def _constant_module(name: str, attribute: str, value: str) -> str:
    """C source of a module ``name`` whose ``attribute`` is the string ``value``."""
    return f"""
#include <Python.h>
static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "{name}", NULL, -1, NULL}};
PyMODINIT_FUNC PyInit_{name}(void) {{
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddStringConstant(m, "{attribute}", "{value}") < 0) return NULL;
    return m;
}}
"""


FAST_C = r"""
#include <Python.h>
static PyObject *fast(PyObject *self, PyObject *unused) { return PyUnicode_FromString("fast"); }
static PyMethodDef methods[] = {{"fast", fast, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&module); }
"""

DATAFILES = """\
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def load():
    with open(os.path.join(HERE, "table.txt"), encoding="utf-8") as stream:
        return stream.read().strip()


def listing():
    return sorted(os.listdir(os.path.join(HERE, "extra")))
"""

APP = """\
import importlib
import json
import os
import sys

HELPER = "@HELPER@"


def main():
    report = {}
    for part in sys.argv[1:] or ["native", "optional", "data"]:
        if part == "native":
            import nativedemo
            helper = importlib.import_module(HELPER)

            report["add"] = nativedemo.add(2, 3)
            report["answer"] = nativedemo.answer()
            report["helper"] = helper.MARK
            report["speedups_file"] = nativedemo._speedups.__file__
        elif part == "optional":
            import optspeed
            from optspeed import twin

            report["fast"] = optspeed.fast()
            report["twin"] = twin.KIND
        elif part == "data":
            import datafiles

            report["table"] = datafiles.load()
            report["listing"] = datafiles.listing()
            report["datafiles_file"] = datafiles.__file__
            report["real_file"] = os.path.isfile(datafiles.__file__)
        elif part == "plain":
            import plainpkg

            report["plain_file"] = plainpkg.__file__
        elif part == "theme":
            import themes

            report["css"] = themes.css("dark")
            report["themes_file"] = themes.__file__
    print(json.dumps(report, sort_keys=True))
""".replace("@HELPER@", HELPER)

NATIVE_EXPECTED = {"add": 5, "answer": 42, "helper": "shared helper"}
# Lines of the build's report (sizes masked, as report_lines does).
EXTRACTS = "bundle: extracts at first import: "
NATIVE_DEMO_EXTRACTED = (
    f"{EXTRACTS}native-demo 1.0 (native code: 2 extension modules and native_demo.libs; <size>)"
)
OPTSPEED_EXTRACTED = f"{EXTRACTS}optspeed 2.0 (native code: 2 extension modules; <size>)"
THEMES_BY_NAME = "bundle: extracts if imported by name: themes.dark (zip-unsafe; -v says why)"
# Interpreters that cannot load extensions built for this one (those installed are used).
OTHER_PYTHONS = [
    m for m in ("3.9", "3.10", "3.11", "3.12", "3.13") if m != f"3.{sys.version_info[1]}"
]


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def native_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of native-demo, optspeed, datafiles and plainpkg, compiled for this Python."""
    build = tmp_path_factory.mktemp("native-build")
    house = tmp_path_factory.mktemp("native-wheels")
    libs = build / "native_demo.libs"
    compile_library(LIBFOO_C, libs / LIBFOO)
    speedups = compile_extension(
        SPEEDUPS_C,
        build / "nativedemo" / f"_speedups{EXTENSION_SUFFIX}",
        libraries=[LIBFOO[3:-3]],
        library_dirs=[libs],
        rpath="$ORIGIN/../native_demo.libs",
    )
    top = compile_extension(
        _constant_module(HELPER, "MARK", "shared helper"),
        build / f"{HELPER}{EXTENSION_SUFFIX}",
    )
    write_wheel(
        house,
        "native-demo",
        "1.0",
        {
            # It reads data/ through the loader: only native code makes it extracted.
            "nativedemo/__init__.py": (
                "import importlib.resources\nfrom ._speedups import add, answer\n\n\n"
                "def words():\n"
                "    return importlib.resources.files(__name__).joinpath('data/words.txt')\n"
            ),
            f"nativedemo/_speedups{EXTENSION_SUFFIX}": speedups.read_bytes(),
            "nativedemo/data/words.txt": "alpha\nbeta\n",
            "nativedemo/sub/__init__.py": "",
            f"native_demo.libs/{LIBFOO}": (libs / LIBFOO).read_bytes(),
            f"{HELPER}{EXTENSION_SUFFIX}": top.read_bytes(),
        },
        tag=PLATFORM_TAG,
    )
    speed = compile_extension(FAST_C, build / "optspeed" / f"_speed{EXTENSION_SUFFIX}")
    twin = compile_extension(
        _constant_module("twin", "KIND", "native"), build / "optspeed" / f"twin{EXTENSION_SUFFIX}"
    )
    write_wheel(
        house,
        "optspeed",
        "2.0",
        {
            "optspeed/__init__.py": (
                "try:\n    from ._speed import fast\nexcept ImportError:\n"
                "    def fast():\n        return 'slow'\n"
            ),
            f"optspeed/_speed{EXTENSION_SUFFIX}": speed.read_bytes(),
            # mypyc ships the compiled module and its source side by side.
            "optspeed/twin.py": "KIND = 'python'\n",
            f"optspeed/twin{EXTENSION_SUFFIX}": twin.read_bytes(),
        },
        tag=PLATFORM_TAG,
    )
    write_wheel(
        house,
        "datafiles",
        "1.0",
        {
            "datafiles/__init__.py": DATAFILES,
            "datafiles/table.txt": "rows: 3\n",
            "datafiles/extra/a.txt": "a",
            "datafiles/extra/b.txt": "b",
        },
    )
    write_wheel(house, "plainpkg", "1.0", {"plainpkg/__init__.py": "VALUE = 1\n"})
    write_wheel(
        house,
        "themes",
        "1.0",
        {
            # Like docutils' writers: imported by a computed name, and the path it builds
            # is opened by another module.
            "themes/__init__.py": (
                "import importlib\n\n\ndef css(name):\n"
                "    theme = importlib.import_module(f'themes.{name}')\n"
                "    with open(theme.STYLESHEET) as stream:\n"
                "        return stream.read().strip()\n"
            ),
            "themes/dark/__init__.py": (
                "import os\n\nSTYLESHEET = os.path.join(os.path.dirname(__file__), 'dark.css')\n"
            ),
            "themes/dark/dark.css": "body { color: white }\n",
        },
    )
    return house


@pytest.fixture(scope="module")
def native_python(tmp_path_factory: pytest.TempPathFactory, native_wheelhouse: Path) -> Path:
    """A virtualenv with the native test distributions installed by pip, offline."""
    names = ("native-demo", "optspeed", "datafiles", "plainpkg", "themes")
    return venv_with(tmp_path_factory.mktemp("native-venv"), native_wheelhouse, *names)


@pytest.fixture(scope="module")
def app_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _project(tmp_path_factory.mktemp("nativeapp"))


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, app_project: Path, native_python: Path
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The app's archive, and the build's output (its report)."""
    archive = tmp_path_factory.mktemp("native-archive") / "nativeapp.pyz"
    result = _build(app_project, archive, native_python)
    return archive, result


@pytest.fixture
def archive(built: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    return built[0]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A fresh cache root (it does not exist yet: the runtime creates it)."""
    return tmp_path / "cache"


# -- extraction -------------------------------------------------------------------------


def test_extensions_their_libs_and_helper_load_from_the_cache(
    archive: Path, run_app: Runner, cache: Path
) -> None:
    report = _report(run_app(archive, "native", env={"BUNDLER_CACHE": str(cache)}))
    assert report == {**NATIVE_EXPECTED, "speedups_file": str(_speedups_in(cache))}
    site = _app_dir(cache) / "site"
    assert (site / "native_demo.libs" / LIBFOO).is_file()
    assert (site / f"{HELPER}{EXTENSION_SUFFIX}").is_file()
    # The smallest unit: the extension's directory and its data folder, not its Python
    # code or subpackages (which import from the archive), nor untouched distributions.
    assert (site / "nativedemo" / "data" / "words.txt").read_text() == "alpha\nbeta\n"
    assert not (site / "nativedemo" / "__init__.py").exists()
    assert not (site / "nativedemo" / "sub").exists()
    assert not (site / "optspeed").exists()
    assert not (site / "datafiles").exists()


def test_cache_directories_are_private(archive: Path, run_app: Runner, cache: Path) -> None:
    _report(run_app(archive, env={"BUNDLER_CACHE": str(cache)}))
    directories = [cache, *(p for p in cache.rglob("*") if p.is_dir())]
    entry = _app_dir(cache).relative_to(cache).as_posix()
    assert sorted(p.relative_to(cache).as_posix() for p in directories) == [
        ".",
        "apps",
        entry,
        f"{entry}/site",
        f"{entry}/site.done",
        f"{entry}/site/datafiles",
        f"{entry}/site/datafiles/__pycache__",
        f"{entry}/site/datafiles/extra",
        f"{entry}/site/native_demo.libs",
        f"{entry}/site/nativedemo",
        f"{entry}/site/nativedemo/data",
        f"{entry}/site/optspeed",
    ]
    for directory in directories:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    for path in cache.rglob("*"):
        assert not path.name.endswith(".tmp"), path
        assert not path.is_symlink(), path


def test_second_start_writes_nothing(archive: Path, run_app: Runner, cache: Path) -> None:
    env = {"BUNDLER_CACHE": str(cache)}
    first = _report(run_app(archive, env=env))
    before = _snapshot(cache)
    assert _report(run_app(archive, env=env)) == first
    after = _snapshot(cache)
    changed = {p for p in after if before.get(p) != after[p] and not p.endswith("site.lock")}
    assert not changed
    assert before.keys() == after.keys()


def test_sixteen_parallel_first_starts_all_succeed(
    archive: Path, clean_python: Path, cache: Path
) -> None:
    env = {**clean_env(), "BUNDLER_CACHE": str(cache)}
    processes = [
        subprocess.Popen(
            [str(clean_python), str(archive)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(16)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    codes = [process.returncode for process in processes]
    assert codes == [0] * 16, [err for _out, err in outputs if err]
    assert len({out for out, _err in outputs}) == 1
    assert json.loads(outputs[0][0])["answer"] == 42
    assert not [p for p in cache.rglob("*") if p.name.endswith(".tmp")]


def test_damaged_extension_in_the_cache_is_extracted_again(
    archive: Path, run_app: Runner, cache: Path
) -> None:
    env = {"BUNDLER_CACHE": str(cache)}
    first = _report(run_app(archive, "native", env=env))
    extension = _speedups_in(cache)
    size = extension.stat().st_size
    extension.write_bytes(b"\0" * 10)  # a crash left half a file, say
    assert _report(run_app(archive, "native", env=env)) == first
    assert extension.stat().st_size == size


# -- mypyc twins and optional speed-ups ----------------------------------------------------


def test_compiled_module_wins_over_its_source_twin(
    archive: Path, run_app: Runner, cache: Path
) -> None:
    report = _report(run_app(archive, "optional", env={"BUNDLER_CACHE": str(cache)}))
    assert report == {"fast": "fast", "twin": "native"}


@pytest.mark.parametrize("minor", OTHER_PYTHONS)
def test_other_python_stops_with_one_line_naming_the_distribution(
    archive: Path, run_app: Runner, cache: Path, minor: str
) -> None:
    python = _other_python(minor)
    result = run_app(archive, "native", python=python, env={"BUNDLER_CACHE": str(cache)})
    message = wrong_python_message("native-demo 1.0", PLATFORM_TAG, python, minor)
    assert_app_error(result, archive, message)


@pytest.mark.parametrize("minor", OTHER_PYTHONS)
def test_other_python_falls_back_where_the_package_allows_it(
    archive: Path, run_app: Runner, cache: Path, minor: str
) -> None:
    python = _other_python(minor)
    env = {"BUNDLER_CACHE": str(cache)}
    report = _report(run_app(archive, "optional", "data", python=python, env=env))
    # As in a virtualenv of that Python: the optional speed-up is skipped, the source
    # twin of the compiled module is imported instead.
    assert (report["fast"], report["twin"], report["table"]) == ("slow", "python", "rows: 3")


# -- zip-unsafe packages ---------------------------------------------------------------


def test_package_reading_files_next_to_its_file_runs_from_a_real_copy(
    archive: Path, run_app: Runner, cache: Path
) -> None:
    report = _report(run_app(archive, "data", env={"BUNDLER_CACHE": str(cache)}))
    site = _app_dir(cache) / "site"
    assert report == {
        "table": "rows: 3",
        "listing": ["a.txt", "b.txt"],
        "real_file": True,
        "datafiles_file": str(site / "datafiles" / "__init__.py"),
    }


def test_header_tries_the_python_the_native_code_was_built_for_first(archive: Path) -> None:
    """Non-abi3 extensions load on this minor version only; this app's have pure-Python
    twins or are optional, so it runs elsewhere too (plan/pythons.py), but the /bin/sh
    header tries the version its native code was built for first."""
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    lines = archive.read_bytes().split(b"\n")
    loop = next(line for line in lines if line.strip().startswith(b"for candidate in "))
    assert lines[0] == b"#!/bin/sh"
    assert loop.split()[3] == f"python{minor}".encode()
    assert loop.split()[-3:] == [b"python3", b"python;", b"do"]


def test_build_report_says_what_is_extracted_and_why(
    built: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    archive, result = built
    assert report_lines(result) == [
        *step_lines("nativeapp:main", archive),
        f"{EXTRACTS}datafiles (zip-unsafe: datafiles/__init__.py:7 open() of a path next to "
        "__file__, and 2 more; <size>)",
        NATIVE_DEMO_EXTRACTED,
        OPTSPEED_EXTRACTED,
        THEMES_BY_NAME,
        wrote_line(archive, 12, 6),
    ]


def test_package_imported_by_a_computed_name_is_extracted_too(
    archive: Path, run_app: Runner, cache: Path
) -> None:
    report = _report(run_app(archive, "theme", env={"BUNDLER_CACHE": str(cache)}))
    # The parent package keeps importing from the archive; its __init__.py is on disk too,
    # so the extracted directory is a package chain for tools that map paths to names.
    assert report == {
        "css": "body { color: white }",
        "themes_file": str(archive / "themes" / "__init__.py"),
    }
    assert (_app_dir(cache) / "site" / "themes" / "dark" / "dark.css").is_file()
    assert (_app_dir(cache) / "site" / "themes" / "__init__.py").is_file()


def test_manifest_records_native_tags_and_units(archive: Path) -> None:
    with zipfile.ZipFile(archive) as outer:
        manifest = json.loads(outer.read(".bundle/manifest.json"))
    native = {entry["distribution"]: entry for entry in manifest["native"]}
    assert native["native-demo 1.0"]["wheel_tags"] == [PLATFORM_TAG]
    assert native["native-demo 1.0"]["extension_suffixes"] == [EXTENSION_SUFFIX]
    units = manifest["units"]
    speedups = f"nativedemo/_speedups{EXTENSION_SUFFIX}"
    # The extension, the other files of its directory, the library it links (DT_NEEDED).
    assert units[speedups]["members"] == [speedups]
    assert units[speedups]["needs"] == ["nativedemo", f"native_demo.libs/{LIBFOO}"]
    assert units["nativedemo"]["members"] == ["nativedemo/data/words.txt"]
    assert units["datafiles/"]["members"] == [
        "datafiles/__init__.py",
        "datafiles/extra/a.txt",
        "datafiles/extra/b.txt",
        "datafiles/table.txt",
    ]


def test_overrides_in_pyproject(
    tmp_path: Path, native_python: Path, run_app: Runner, cache: Path
) -> None:
    extra = '[tool.bundle]\nextract = ["plainpkg"]\nzip-safe = ["datafiles"]\n'
    project = _project(tmp_path / "project", extra=extra)
    archive = tmp_path / "overrides.pyz"
    result = _build(project, archive, native_python)
    assert report_lines(result) == [
        *step_lines("nativeapp:main", archive),
        NATIVE_DEMO_EXTRACTED,
        OPTSPEED_EXTRACTED,
        f"{EXTRACTS}plainpkg (asked for with extract (--extract or [tool.bundle]); <size>)",
        THEMES_BY_NAME,
        wrote_line(archive, 12, 6),
    ]
    env = {"BUNDLER_CACHE": str(cache)}
    plain = _report(run_app(archive, "plain", env=env))
    assert plain == {"plain_file": str(_app_dir(cache) / "site" / "plainpkg" / "__init__.py")}
    # Declared zip-safe, it runs from the archive, where its open() cannot work.
    data = run_app(archive, "data", env=env)
    assert data.returncode == 1, data.stderr
    assert data.stderr.splitlines()[-1] == (
        f"NotADirectoryError: [Errno 20] Not a directory: '{archive}/datafiles/table.txt'"
    )


# -- the cache's safety -----------------------------------------------------------------


def test_symlinked_cache_is_refused(archive: Path, run_app: Runner, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "cache"
    link.symlink_to(target)
    result = run_app(archive, "native", env={"BUNDLER_CACHE": str(link)})
    assert_app_error(
        result,
        archive,
        f"cannot extract the native code of native-demo 1.0: cannot use {link}: "
        f"{link} is a symlink; refusing to follow it",
    )
    assert list(target.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_cache_owned_by_another_user_is_refused(
    archive: Path, run_app: Runner, tmp_path: Path
) -> None:
    cache = tmp_path / "theirs"
    cache.mkdir(mode=0o700)
    os.chown(cache, 65534, 65534)
    result = run_app(archive, "native", env={"BUNDLER_CACHE": str(cache)})
    assert_app_error(
        result,
        archive,
        f"cannot extract the native code of native-demo 1.0: cannot use {cache}: "
        f"{cache} belongs to another user",
    )
    assert list(cache.iterdir()) == []


def test_unwritable_everything_is_one_clear_error(archive: Path, run_app: Runner) -> None:
    env = {"HOME": os.devnull, "TMPDIR": os.devnull}
    result = run_app(archive, "native", env=_without_cache(env))
    home_cache = f"{os.devnull}/.cache/bundler"
    temp_cache = f"{os.devnull}/bundler-cache-{os.getuid()}"
    assert_app_error(
        result,
        archive,
        "cannot extract the native code of native-demo 1.0: no usable cache directory "
        f"(cannot use {home_cache}: {os.devnull} is not a directory; "
        f"cannot use {temp_cache}: {os.devnull} is not a directory); "
        "set BUNDLER_CACHE to a writable directory of yours",
    )


def test_missing_home_falls_back_to_a_private_temporary_directory(
    archive: Path, run_app: Runner, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"HOME": str(tmp_path / "no-such-home"), "TMPDIR": str(temp)}
    report = _report(run_app(archive, "native", env=_without_cache(env)))
    assert not (tmp_path / "no-such-home").exists()
    root = temp / f"bundler-cache-{os.getuid()}"
    assert report["speedups_file"] == str(_speedups_in(root))
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_read_only_home_falls_back_to_a_private_temporary_directory(archive: Path) -> None:
    """As an unprivileged user (nobody) whose home exists but cannot be written."""
    python = _python_for_nobody()
    with _world_readable_dir() as shared:
        home = shared / "home"
        home.mkdir(mode=0o755)  # root's: nobody can read it, not write it
        temp = shared / "tmp"
        temp.mkdir()
        temp.chmod(0o1777)
        copy = shared / archive.name
        shutil.copy(archive, copy)
        copy.chmod(0o644)
        env = _without_cache({"HOME": str(home), "TMPDIR": str(temp)})
        result = subprocess.run(
            [str(python), str(copy), "native"],
            capture_output=True,
            text=True,
            env=env,
            cwd=shared,
            user=65534,
            group=65534,
            extra_groups=[],
            timeout=120,
        )
        report = _report(result)
        root = temp / "bundler-cache-65534"
        assert report["speedups_file"] == str(_speedups_in(root))
        assert root.stat().st_uid == 65534
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        assert list(home.iterdir()) == []


# -- bundle cache -----------------------------------------------------------------------


def test_bundle_cache_lists_and_clears_only_its_entries(
    archive: Path, run_app: Runner, cache: Path
) -> None:
    env = {"BUNDLER_CACHE": str(cache), "BUNDLER_BUILD_CACHE": str(cache)}
    _report(run_app(archive, "native", env={"BUNDLER_CACHE": str(cache)}))
    entry = _app_dir(cache)
    foreign = [cache / "apps" / "not-an-entry", cache / "notes.txt"]
    foreign[0].mkdir()
    foreign[1].write_text("mine")
    listed = run_bundle("cache", "--area", "apps", env=env)
    assert listed.returncode == 0, listed.stderr
    size = _tree_size(entry)
    used = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.stat().st_mtime))
    shown = f"{size / 1024:.0f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"
    assert listed.stdout.splitlines() == [
        f"apps      nativeapp  {shown:>10}  last used {used}  {entry}",
        f"1 entry, {shown} ({size:,} bytes)",
    ]
    kept = run_bundle("cache", "--prune", "--older-than", "1", env=env)
    assert kept.stdout == "removed 0 cache entries, 0 B (0 bytes)\n"
    assert entry.is_dir()
    cleared = run_bundle("cache", "--clear", "--area", "apps", env=env)
    assert (cleared.returncode, cleared.stdout) == (
        0,
        f"removed 1 cache entry, {shown} ({size:,} bytes)\n",
    )
    assert not entry.exists()
    assert all(path.exists() for path in foreign)
    empty = run_bundle("cache", "--area", "apps", env=env)
    assert empty.stdout == f"no cache entries (in {cache})\n"


# -- helpers ----------------------------------------------------------------------------


def _project(root: Path, extra: str = "") -> Path:
    return write_project(
        root,
        {
            "pyproject.toml": pyproject(
                "nativeapp",
                scripts={"nativeapp": "nativeapp:main"},
                extra=extra,
                # Declared, so that no "bundled although not declared" warning is printed.
                dependencies=("native-demo", "optspeed", "datafiles", "plainpkg", "themes"),
            ),
            "nativeapp/__init__.py": APP,
        },
    )


def _build(project: Path, archive: Path, python: Path) -> subprocess.CompletedProcess[str]:
    result = run_bundle("build", project, "-o", archive, "--no-install", "--python", python)
    assert result.returncode == 0, result.stderr
    return result


def _report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """What the app reported, from a run that succeeded and printed nothing on stderr."""
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _app_dir(cache: Path) -> Path:
    (entry,) = (cache / "apps").iterdir()
    return entry


def _speedups_in(cache: Path) -> Path:
    """Where the app's cache entry under ``cache`` holds the extracted extension."""
    return _app_dir(cache) / "site" / "nativedemo" / f"_speedups{EXTENSION_SUFFIX}"


def _tree_size(root: Path) -> int:
    """Bytes of the files below ``root``."""
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def _snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """path -> (inode, size, mtime in ns) of everything under ``root``."""
    return {
        str(path): (path.stat().st_ino, path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file()
    }


def _other_python(minor: str) -> Path:
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    python = find_python(minor)
    if python is None or minor == running:
        pytest.skip(f"Python {minor} is not installed here (or is the build's Python)")
    return python


def _without_cache(env: Mapping[str, str]) -> dict[str, str]:
    """``clean_env`` plus ``env``, with ``$BUNDLER_CACHE`` and ``$XDG_CACHE_HOME`` empty (the
    runtime ignores empty values), so that the default locations are used."""
    return {**clean_env(), "BUNDLER_CACHE": "", "XDG_CACHE_HOME": "", **env}


def _python_for_nobody() -> Path:
    """An interpreter of this Python's version that an unprivileged user can run."""
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (Path(f"/usr/bin/python{minor}"), Path(f"/usr/local/bin/python{minor}")):
        if candidate.is_file() and _world_accessible(candidate):
            return candidate
    pytest.skip(f"no python{minor} that user nobody can run")


def _world_accessible(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in [path.resolve(), *path.resolve().parents])


@contextlib.contextmanager
def _world_readable_dir() -> Iterator[Path]:
    """A temporary directory that user nobody can enter (pytest's tmp_path cannot be)."""
    path = Path(tempfile.mkdtemp(prefix="bundler-nobody-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
