"""Correct by default: apps whose code reaches their files by path, imports modules by any
name or through strings, ships plain scripts or data files beside the environment, run
from the archive exactly as from a virtualenv with the same wheels.

Every distribution here is a hermetic wheel written by the test; each archive is built
with ``--with`` from them, offline, and run by an interpreter that has none of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import (
    Runner,
    assert_app_error,
    assert_user_error,
    leftovers,
    report_lines,
    run_bundle,
    venv_with,
    write_project,
)
from tests.helpers.pythons import find_python
from tests.helpers.wheels import write_wheel

# A framework that takes an app's root from the app module's name, in its own code, as
# Flask does (Flask(__name__) -> get_root_path), and opens templates under it later.
MINIFW = """\
import os
import sys


def root_path(import_name):
    module = sys.modules[import_name]
    return os.path.dirname(os.path.abspath(module.__file__))


class App:
    def __init__(self, import_name):
        self.root = root_path(import_name)

    def render(self, name, **values):
        with open(os.path.join(self.root, "templates", name), encoding="utf-8") as stream:
            return stream.read().format(**values)

    def static_files(self):
        return sorted(os.listdir(os.path.join(self.root, "static")))
"""

# One package, each way a path from __file__ travels across modules.
CROSSMOD = {
    "crossmod/__init__.py": "",
    # A path computed in one module, returned, stored on an object, opened much later.
    "crossmod/paths.py": (
        "import os\n\n\ndef data_dir():\n"
        "    return os.path.join(os.path.dirname(__file__), 'data')\n"
    ),
    "crossmod/store.py": (
        "import os\nfrom crossmod import paths\n\n\nclass Store:\n"
        "    def __init__(self):\n        self.root = paths.data_dir()\n\n"
        "    def read(self, name):\n"
        "        with open(os.path.join(self.root, name), encoding='utf-8') as stream:\n"
        "            return stream.read().strip()\n"
    ),
    "crossmod/data/greeting.txt": "hello from a data folder\n",
    # os.listdir of a __path__ entry, in a helper of another module.
    "crossmod/helpers.py": (
        "import os\n\n\ndef list_modules(path):\n"
        "    return sorted(n[:-3] for n in os.listdir(path[0]) if n.endswith('.py'))\n"
    ),
    "crossmod/plugins/__init__.py": (
        "from crossmod import helpers\n\nNAMES = helpers.list_modules(__path__)\n"
    ),
    "crossmod/plugins/alpha.py": "",
    "crossmod/plugins/beta.py": "",
    # A module whose name is not an identifier, loaded with import_module (rich does).
    "crossmod/gen/__init__.py": "",
    "crossmod/gen/unicode17-0-0.py": "WIDTH = 2\n",
    "crossmod/cli.py": """\
import importlib
import os

import otherpkg
from crossmod import plugins, store


def main():
    # A path built from another package's __file__.
    table = os.path.join(os.path.dirname(otherpkg.__file__), "table.txt")
    with open(table, encoding="utf-8") as stream:
        print("table:", stream.read().strip())
    print("store:", store.Store().read("greeting.txt"))
    print("plugins:", plugins.NAMES)
    version = "17-0-0"
    print("width:", importlib.import_module(f"crossmod.gen.unicode{version}").WIDTH)
    # A declared dependency imported only through a computed string.
    impl = importlib.import_module(".".join(["dotdep", "impl"]))
    print("dotdep:", impl.VALUE)
""",
}


# Plugins loaded by path, as pylint loads its checkers through astroid: a file maps back to
# a module name only under a sys.path entry where every directory above it is a package.
LINTY = {
    "linty/__init__.py": "",
    "linty/loader.py": """\
import importlib
import os
import sys


def module_of(path):
    for entry in sys.path:
        base = os.path.abspath(entry) + os.sep
        if os.path.isdir(base) and path.startswith(base):
            parts = path[len(base) : -len(".py")].split(os.sep)
            above = [os.path.join(base, *parts[:i], "__init__.py") for i in range(1, len(parts))]
            if all(os.path.isfile(init) for init in above):
                return ".".join(parts)
    raise ImportError(f"no module for {path}")


def load_all(directory):
    names = sorted(n for n in os.listdir(directory) if n.endswith(".py") and n != "__init__.py")
    return [importlib.import_module(module_of(os.path.join(directory, n))) for n in names]
""",
    "linty/checkers/__init__.py": (
        "import os\n\nfrom linty.loader import load_all\n\n\ndef register():\n"
        "    return [module.NAME for module in load_all(os.path.dirname(__file__))]\n"
    ),
    "linty/checkers/alpha.py": "NAME = 'alpha'\n",
    "linty/checkers/beta.py": "NAME = 'beta'\n",
    "linty/cli.py": "from linty import checkers\n\n\ndef main():\n    print(checkers.register())\n",
}


RELOADER = """\
import os
import subprocess
import sys


def django_style():
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    if spec is None:
        return [sys.executable, *sys.argv]
    named = spec.name == "__main__" or spec.name.endswith(".__main__")
    module = spec.parent if named and spec.parent else spec.name
    return [sys.executable, "-m", module, *sys.argv[1:]]


def werkzeug_style():
    main = sys.modules["__main__"]
    if getattr(main, "__package__", None) is None:
        return [sys.executable, os.path.abspath(sys.argv[0]), *sys.argv[1:]]
    module = main.__package__ + "." + os.path.splitext(os.path.basename(sys.argv[0]))[0]
    return [sys.executable, "-m", module.lstrip("."), *sys.argv[1:]]


def main():
    if os.environ.get("RELOADED"):
        print("again", sys.argv[1:])
        return
    for name, command in (("django", django_style()), ("werkzeug", werkzeug_style())):
        env = dict(os.environ, RELOADED="1")
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        print(name + ":", done.returncode, done.stdout.strip() or done.stderr.strip()[-120:])
"""


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hermetic distributions of this module's apps."""
    house = tmp_path_factory.mktemp("correctness-wheels")
    write_wheel(house, "minifw", "1.0", {"minifw/__init__.py": MINIFW})
    write_wheel(
        house,
        "siteapp",
        "1.0",
        {
            "siteapp/__init__.py": "from minifw import App\n\napp = App(__name__)\n",
            "siteapp/cli.py": (
                "from siteapp import app\n\n\ndef main():\n"
                "    print(app.render('index.html', title='Home'))\n"
                "    print(app.static_files())\n"
            ),
            "siteapp/templates/index.html": "<h1>{title}</h1>\n",
            "siteapp/static/style.css": "h1 { color: red }\n",
            "siteapp/static/app.js": "console.log(1)\n",
        },
        requires=["minifw"],
        entry_points={"console_scripts": {"siteapp": "siteapp.cli:main"}},
    )
    write_wheel(
        house,
        "crossmod",
        "1.0",
        CROSSMOD,
        requires=["otherpkg", "dotdep"],
        entry_points={"console_scripts": {"crossmod": "crossmod.cli:main"}},
    )
    write_wheel(
        house, "otherpkg", "1.0", {"otherpkg/__init__.py": "", "otherpkg/table.txt": "3 rows\n"}
    )
    write_wheel(
        house, "dotdep", "1.0", {"dotdep/__init__.py": "", "dotdep/impl.py": "VALUE = 42\n"}
    )
    write_wheel(
        house,
        "shipper",
        "1.0",
        {
            "shipper/__init__.py": "NAME = 'shipper'\n",
            "shipper-1.0.data/scripts/shipper-report": (
                "#!python\nimport os\nimport sys\n\nimport shipper\n\n"
                "print('script', shipper.NAME, __name__)\n"
                "print(open(os.path.join(sys.prefix, 'share', 'shipper', 'motd.txt')).read())\n"
                "print(sorted(os.listdir(os.path.join(sys.prefix, 'share', 'shipper'))))\n"
            ),
            "shipper-1.0.data/scripts/shipper-sh": "#!/bin/sh\necho shell\n",
            "shipper-1.0.data/data/share/shipper/motd.txt": "message of the day\n",
            "shipper-1.0.data/data/share/shipper/theme/dark.css": "body {}\n",
        },
    )
    # Ships a man page beside the environment, as tox does, and asks where its
    # interpreter lives, as python-discovery does before tox makes a virtualenv.
    write_wheel(
        house,
        "pager",
        "1.0",
        {
            "pager/__init__.py": (
                "import os\nimport sys\n\n\ndef main():\n"
                "    prefix = os.path.abspath(sys.prefix) + os.sep\n"
                "    print('executable under sys.prefix:', sys.executable.startswith(prefix))\n"
            ),
            "pager-1.0.data/data/share/man/man1/pager.1": ".TH PAGER 1\n",
        },
        entry_points={"console_scripts": {"pager": "pager:main"}},
    )
    write_wheel(
        house, "linty", "1.0", LINTY, entry_points={"console_scripts": {"linty": "linty.cli:main"}}
    )
    # Asks what another directory holds, as pip does of a --target before installing.
    write_wheel(
        house,
        "lister",
        "1.0",
        {
            "lister/__init__.py": (
                "import importlib.metadata as metadata\nimport tempfile\n\n\n"
                "def main():\n    with tempfile.TemporaryDirectory() as target:\n"
                "        print(list(metadata.distributions(path=[target])))\n"
                "    print(metadata.version('lister'))\n"
            ),
        },
        entry_points={"console_scripts": {"lister": "lister:main"}},
    )
    # Puts a directory of the user's first on sys.path, as uvicorn does with --app-dir,
    # and imports a module from it in a spawn worker, as uvicorn --workers does.
    write_wheel(
        house,
        "spawner",
        "1.0",
        {
            "spawner/__init__.py": (
                "import multiprocessing\nimport os\nimport sys\nimport tempfile\n\n\n"
                "def value_of(name):\n    return __import__(name).VALUE\n\n\n"
                "def main():\n    with tempfile.TemporaryDirectory() as plugins:\n"
                "        with open(os.path.join(plugins, 'userapp.py'), 'w') as stream:\n"
                "            stream.write('VALUE = 42\\n')\n"
                "        sys.path.insert(0, plugins)\n"
                "        with multiprocessing.get_context('spawn').Pool(1) as pool:\n"
                "            print(pool.apply(value_of, ('userapp',)))\n"
            ),
        },
        entry_points={"console_scripts": {"spawner": "spawner:main"}},
    )
    # Runs one of its modules in a child of the same interpreter, as nox and pdm run
    # `python -m virtualenv` and pre-commit `python -m pre_commit.languages.pygrep`.
    write_wheel(
        house,
        "runner",
        "1.0",
        {
            "runner/__init__.py": (
                "import subprocess\nimport sys\n\n\ndef main():\n"
                "    command = [sys.executable, '-m', 'runner.tool', 'hello']\n"
                "    done = subprocess.run(command, capture_output=True, text=True)\n"
                "    print(done.returncode, done.stdout, done.stderr)\n"
            ),
            "runner/tool.py": (
                "import sys\n\nimport runner\n\nprint(runner.__name__, sys.argv[1:])\n"
            ),
        },
        entry_points={"console_scripts": {"runner": "runner:main"}},
    )
    # Ships a binary among its scripts and finds it as uv and ruff find theirs: in the
    # scripts directory, else in the bin/ beside its package (a pip --target install).
    write_wheel(
        house,
        "binfinder",
        "1.0",
        {
            "binfinder/__init__.py": (
                "import os\nimport subprocess\nimport sysconfig\n\n\ndef find():\n"
                "    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
                "    for directory in (sysconfig.get_path('scripts'), os.path.join(here, 'bin')):\n"
                "        path = os.path.join(directory, 'binfinder-tool')\n"
                "        if os.path.isfile(path):\n            return path\n"
                "    raise FileNotFoundError('binfinder-tool')\n\n\ndef main():\n"
                "    done = subprocess.run([find(), 'x'], capture_output=True, text=True)\n"
                "    print(done.returncode, done.stdout.strip())\n"
            ),
            "binfinder-1.0.data/scripts/binfinder-tool": '#!/bin/sh\necho "tool ran $1"\n',
        },
        entry_points={"console_scripts": {"binfinder": "binfinder:main"}},
    )
    # Restarts itself the way Django's autoreloader and werkzeug's reloader do, from what
    # __main__ says of how the program was started.
    write_wheel(
        house,
        "reloader",
        "1.0",
        {"reloader/__init__.py": RELOADER},
        entry_points={"console_scripts": {"reloader": "reloader:main"}},
    )
    write_wheel(
        house,
        "markered",
        "1.0",
        {"markered/__init__.py": "def main():\n    print('ran')\n"},
        requires=['backport; python_version < "3.11"'],
        entry_points={"console_scripts": {"markered": "markered:main"}},
    )
    write_wheel(house, "backport", "1.0", {"backport.py": ""})
    return house


def _build(wheels: Path, tmp_path: Path, requirement: str, *args: str) -> tuple[Path, str]:
    archive = tmp_path / f"{requirement}.pyz"
    result = run_bundle(
        "build",
        "--with",
        requirement,
        *args,
        "-o",
        archive,
        "--no-index",
        "--find-links",
        wheels,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return archive, result.stderr


def _runs_as_in_venv(
    wheels: Path, tmp_path: Path, run_app: Runner, requirement: str, script: str, expected: str
) -> str:
    """Build ``script`` of ``requirement``; assert that a virtualenv of the same wheels prints
    ``expected`` and that the archive prints the same, cleanly; return the build's report."""
    archive, report = _build(wheels, tmp_path, requirement, "-c", script)
    assert _in_venv(wheels, tmp_path, requirement, script) == expected
    result = run_app(archive)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", expected)
    return report


def _in_venv(wheels: Path, tmp_path: Path, requirement: str, script: str) -> str:
    """What ``script`` of ``requirement`` prints from a virtualenv of the same wheels."""
    python = venv_with(tmp_path / "venv", wheels, requirement)
    result = subprocess.run(
        [str(python), str(python.parent / script)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("app", ["siteapp", "crossmod"])
def test_paths_from_file_work_wherever_they_flow(
    app: str, wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    archive, _report = _build(wheels, tmp_path, app, "-c", app)
    expected = _in_venv(wheels, tmp_path, app, app)
    result = run_app(archive)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == expected


def test_framework_root_path_sample_prints_template_and_static_files(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    archive, report = _build(wheels, tmp_path, "siteapp", "-c", "siteapp")
    assert run_app(archive).stdout == "<h1>Home</h1>\n\n['app.js', 'style.css']\n"
    assert (
        "bundle: extracts at first import: siteapp (zip-unsafe: ships static/, templates/, "
        "which its code reads through no resource API (a path from __file__ may reach them); "
        "<size>)"
    ) in report_lines(subprocess.CompletedProcess([], 0, "", report))


def test_crossmod_reports_why_each_package_is_extracted(wheels: Path, tmp_path: Path) -> None:
    _archive, report = _build(wheels, tmp_path, "crossmod", "-c", "crossmod")
    lines = report_lines(subprocess.CompletedProcess([], 0, "", report))
    assert [line for line in lines if "extracts" in line] == [
        "bundle: extracts at first import: crossmod (zip-unsafe: crossmod/paths.py:5 builds "
        "the path of 'data' next to __file__; <size>)",
        "bundle: extracts at first import: otherpkg (zip-unsafe: crossmod/cli.py:11 builds a "
        "path from otherpkg.__file__; <size>)",
    ]


def test_plain_script_runs_as_main_and_data_files_are_under_sys_prefix(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    report = _runs_as_in_venv(
        wheels,
        tmp_path,
        run_app,
        "shipper",
        "shipper-report",
        "script shipper __main__\nmessage of the day\n\n['motd.txt', 'theme']\n",
    )
    assert (
        "bundle: extracts at start: share/shipper (data files beside the environment, under "
        "sys.prefix: 2 files; <size>)"
    ) in report_lines(subprocess.CompletedProcess([], 0, "", report))


def test_man_pages_leave_sys_prefix_on_the_interpreter(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    """sys.prefix moved to extracted man pages made tox's interpreter discovery fail
    ("could not find python interpreter matching any of the specs")."""
    report = _runs_as_in_venv(
        wheels, tmp_path, run_app, "pager", "pager", "executable under sys.prefix: True\n"
    )
    assert "extracts at start" not in report


def test_plugins_loaded_by_path_from_an_extracted_subpackage(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    """Only linty.checkers is zip-unsafe; its parent's __init__.py must be on disk too, or
    no sys.path entry holds the checkers as modules (pylint: "Unable to find module for
    .../pylint/checkers/unicode.py", then no checker registered)."""
    report = _runs_as_in_venv(wheels, tmp_path, run_app, "linty", "linty", "['alpha', 'beta']\n")
    assert "extracts at first import: linty.checkers (zip-unsafe" in report


def test_metadata_of_another_directory_is_not_the_archives(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    """distributions(path=[dir]) listed every bundled distribution whatever the dir."""
    _runs_as_in_venv(wheels, tmp_path, run_app, "lister", "lister", "[]\n1.0\n")


def test_spawn_workers_import_from_the_path_the_app_set(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    """uvicorn --workers 2: "Could not import module" in every worker, since the runtime
    isolated the child's sys.path again after multiprocessing had set it to the parent's."""
    _runs_as_in_venv(wheels, tmp_path, run_app, "spawner", "spawner", "42\n")


def test_a_child_of_the_same_python_imports_from_the_archive(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    """`sys.executable -m runner.tool` found no module in the child (nox, pdm, pre-commit,
    pytest-xdist), where a virtualenv's interpreter sees its site-packages."""
    _runs_as_in_venv(wheels, tmp_path, run_app, "runner", "runner", "0 runner ['hello']\n \n")


def test_a_binary_shipped_as_a_script_is_found_beside_the_package(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    """python -m ruff, uv's find_uv_bin(): no binary where a virtualenv has one in bin/."""
    _runs_as_in_venv(wheels, tmp_path, run_app, "binfinder", "binfinder", "0 tool ran x\n")


def test_reloaders_restart_the_program_as_from_a_console_script(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    """django-admin runserver restarted as `python -m __main__` ("__main__.__spec__ is
    None"), flask run --debug as `python -m app`: __main__ had the zip's spec."""
    expected = "django: 0 again ['serve']\nwerkzeug: 0 again ['serve']\n"
    archive, _ = _build(wheels, tmp_path, "reloader", "-c", "reloader")
    python = venv_with(tmp_path / "venv", wheels, "reloader")
    command = [str(python), str(python.parent / "reloader"), "serve"]
    in_venv = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert (in_venv.returncode, in_venv.stdout) == (0, expected)
    result = run_app(archive, "serve")
    assert (result.returncode, result.stderr, result.stdout) == (0, "", expected)


def test_shell_script_is_refused_with_one_line(wheels: Path, tmp_path: Path) -> None:
    archive = tmp_path / "sh.pyz"
    # -q: the error alone, whether pip runs or an earlier test left shipper staged.
    result = run_bundle(
        "build",
        "-q",
        "--with",
        "shipper",
        "-c",
        "shipper-sh",
        "-o",
        archive,
        "--no-index",
        "--find-links",
        wheels,
        cwd=tmp_path,
    )
    assert_user_error(
        result,
        "the script 'shipper-sh' of shipper is not a Python script (#!/bin/sh); an archive "
        "runs Python only: pass -e MODULE:FUNC",
        status=2,
    )
    assert leftovers(tmp_path) == []


def test_every_installed_distribution_goes_in_unless_pruned(wheels: Path, tmp_path: Path) -> None:
    full, verbose = _build(wheels, tmp_path, "crossmod", "-c", "crossmod", "-v")
    assert "bundle: included whole, though no import reaches them: dotdep 1.0" in verbose
    with zipfile.ZipFile(full) as outer:
        manifest = json.loads(outer.read(".bundle/manifest.json"))
    assert "dotdep-1.0.dist-info" in manifest["distributions"]
    assert manifest["settings"] == {
        "extract": [],
        "zip_safe": [],
        "prune": False,
        "check_skip": [],
    }
    pruned_dir = tmp_path / "pruned"
    pruned_dir.mkdir()
    pruned, report = _build(wheels, pruned_dir, "crossmod", "-c", "crossmod", "--prune")
    assert "bundle: pruned (--prune: nothing imports them): dotdep 1.0" in report.splitlines()
    with zipfile.ZipFile(pruned) as outer:
        manifest = json.loads(outer.read(".bundle/manifest.json"))
    assert "dotdep-1.0.dist-info" not in manifest["distributions"]
    assert manifest["settings"]["prune"] is True


def test_python_range_is_printed_recorded_and_checked(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    archive, report = _build(wheels, tmp_path, "markered", "-c", "markered")
    reason = (
        'markered 1.0 needs backport where python_version < "3.11", which was not installed: '
        "the build resolved the dependencies for Python 3.11"
    )
    assert f"bundle: runs on Python >=3.11: {reason}" in report.splitlines()
    with zipfile.ZipFile(archive) as outer:
        manifest = json.loads(outer.read(".bundle/manifest.json"))
    assert manifest["python"] == {
        "range": ">=3.11",
        "limits": [{"specifier": ">=3.11", "reason": reason}],
    }
    assert run_app(archive).stdout == "ran\n"
    older = find_python("3.10")
    if older is None:
        pytest.skip("no Python 3.10 on this machine")
    result = run_app(archive, python=older)
    running = subprocess.run(
        [str(older), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert_app_error(
        result,
        archive,
        f"markered cannot run on Python {running} ({older}): {reason}; it runs on Python >=3.11",
    )


def test_extract_and_zip_safe_naming_nothing_bundled_are_warnings(
    wheels: Path, tmp_path: Path
) -> None:
    _archive, report = _build(
        wheels,
        tmp_path,
        "siteapp",
        "-c",
        "siteapp",
        "--extract",
        "nosuch",
        "--zip-safe",
        "gone.sub",
    )
    warnings = [line for line in report.splitlines() if line.startswith("bundle: warning:")]
    assert warnings == [
        "bundle: warning: --extract (or [tool.bundle] extract) names 'nosuch', which is not "
        "bundled; ignored",
        "bundle: warning: --zip-safe (or [tool.bundle] zip-safe) names 'gone.sub', which is "
        "not bundled; ignored",
    ]


def test_extract_and_zip_safe_of_one_package_is_an_error(wheels: Path, tmp_path: Path) -> None:
    archive = tmp_path / "both.pyz"
    result = run_bundle(
        "build",
        "--with",
        "siteapp",
        "-c",
        "siteapp",
        "-o",
        archive,
        "--extract",
        "siteapp",
        "--zip-safe",
        "siteapp",
        "--no-index",
        "--find-links",
        wheels,
        cwd=tmp_path,
    )
    assert_user_error(
        result,
        "'siteapp' is named by both extract and zip-safe (--extract, --zip-safe or "
        "[tool.bundle]): keep one of them",
        status=2,
    )
    assert leftovers(tmp_path) == []


def test_zip_safe_and_extract_on_the_command_line_are_recorded(
    wheels: Path, tmp_path: Path, run_app: Runner
) -> None:
    archive, _report = _build(
        wheels,
        tmp_path,
        "crossmod",
        "-c",
        "crossmod",
        "--extract",
        "dotdep",
        "--zip-safe",
        "otherpkg",
    )
    with zipfile.ZipFile(archive) as outer:
        manifest = json.loads(outer.read(".bundle/manifest.json"))
    assert manifest["settings"] == {
        "extract": ["dotdep"],
        "zip_safe": ["otherpkg"],
        "prune": False,
        "check_skip": [],
    }
    assert [entry["package"] for entry in manifest["extract"]] == ["crossmod", "dotdep"]
    # The user said otherpkg is zip-safe; it is not: the app fails as it was told to.
    result = run_app(archive)
    assert result.returncode == 1 and "NotADirectoryError" in result.stderr


def test_dangling_and_looping_symlinks_in_an_environment_are_one_line_each(
    tmp_path: Path, run_app: Runner, wheelhouse: Path
) -> None:
    """--no-install takes packages from an environment as it is, links and all: a link to
    nothing or a loop inside an installed package is skipped with a warning, never a
    traceback or a walk without end. (In the project itself they are refused.)"""
    python = venv_with(tmp_path / "venv", wheelhouse, "inkwell")
    site = next((tmp_path / "venv" / "lib").glob("python3*/site-packages"))
    os.symlink("nowhere", site / "inkwell" / "dangling.txt")
    os.symlink(".", site / "inkwell" / "loop")
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "linky"\nversion = "1.0"\n'
            'dependencies = ["inkwell"]\n[project.scripts]\nlinky = "linky.cli:main"\n',
            "linky/__init__.py": "",
            "linky/cli.py": "import inkwell\ndef main():\n    print('linked')\n",
        },
    )
    archive = tmp_path / "linky.pyz"
    result = run_bundle("build", project, "-o", archive, "--no-install", "--python", python)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in report_lines(result) if line.startswith("bundle: warning:")]
    assert warnings == [
        f"bundle: warning: skipped {site}/inkwell/loop: a symlink that loops",
        f"bundle: warning: skipped {site}/inkwell/dangling.txt: a symlink to nothing",
    ]
    assert run_app(archive).stdout == "linked\n"
