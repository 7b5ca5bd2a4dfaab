"""The default build: the project's wheel built by its backend, installed by pip into a cached
staging directory, offline from local wheelhouses; and what goes wrong on the way."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import (
    Runner,
    bundle_env,
    pyproject,
    report_lines,
    run_bundle,
    step_lines,
    venv_with,
    write_project,
    wrote_line,
)
from tests.helpers.pythons import find_python, python_version
from tests.helpers.wheels import write_wheel

APP = """\
import importlib.metadata
import importlib.resources


def main():
    greeting = importlib.resources.files(__package__).joinpath("greeting.txt").read_text()
    print(f"{{greeting.strip()}} from {name} {{importlib.metadata.version('{name}')}}")
"""

# Each backend's build requirement and hook, then the rest of its project's [project] table
# (and the tool table it needs).
BACKENDS = {
    "hatchling": (
        "hatchling",
        "hatchling.build",
        'dynamic = ["version"]\n\n[tool.hatch.version]\npath = "{name}/__init__.py"\n',
    ),
    "flit-core": (
        "flit_core>=3.4",
        "flit_core.buildapi",
        'version = "2.3.4"\ndescription = "A flit-core project"\n',
    ),
    "poetry-core": ("poetry-core>=2.0", "poetry.core.masonry.api", 'version = "2.3.4"\n'),
    "setuptools": (
        "setuptools>=61",
        "setuptools.build_meta",
        'version = "2.3.4"\n\n[tool.setuptools.package-data]\n"*" = ["*.txt"]\n',
    ),
}

# The Python running the tests, which the builds are for unless they say otherwise.
THIS_PYTHON = platform.python_version()
# Lines of the build's report for a project in proj/.
BUILDING = "bundle: building the wheel of proj"
INSTALLING = f"bundle: installing the project with pip for Python {THIS_PYTHON}"
INSTALLING_DEPENDENCIES = (
    f"bundle: installing the project's dependencies with pip for Python {THIS_PYTHON}"
)


def backend_project(root: Path, backend: str, name: str = "demo", **files: str) -> Path:
    """A project of ``backend`` whose script prints a data file and its installed version."""
    requires, hook, rest = BACKENDS[backend]
    toml = (
        f'[build-system]\nrequires = ["{requires}"]\nbuild-backend = "{hook}"\n\n'
        f'[project]\nname = "{name}"\n{rest.format(name=name)}'
        f'\n[project.scripts]\n{name} = "{name}.cli:main"\n'
    )
    return write_project(
        root,
        {
            "pyproject.toml": toml,
            f"{name}/__init__.py": '"""A demo app."""\n__version__ = "2.3.4"\n',
            f"{name}/cli.py": APP.format(name=name),
            f"{name}/greeting.txt": "hello\n",
            **files,
        },
    )


def assert_failure_explained(
    result: subprocess.CompletedProcess[str], progress: list[str], message: str, status: int = 1
) -> None:
    """Exit ``status`` (1: the build failed, 2: bad input) and ``bundle: error: <message>``
    last; above it, the ``progress`` lines of ``bundle`` and nothing else but the failing
    tool's own lines (``  | ``)."""
    lines = result.stderr.splitlines()
    ours = [line for line in lines if not line.startswith("  | ")]
    expected = [*progress, f"bundle: error: {message}"]
    assert (result.returncode, ours, lines[-1]) == (status, expected, expected[-1]), result.stderr


def build_with_greeter_wheels(
    tmp_path: Path, greeter_wheels: Path, *args: str | Path
) -> subprocess.CompletedProcess[str]:
    """``bundle build ARGS`` run in ``tmp_path``, offline, from the greeter wheelhouse."""
    return run_bundle("build", *args, "--no-index", "--find-links", greeter_wheels, cwd=tmp_path)


def installing(*requirements: str, python: str = THIS_PYTHON) -> str:
    """The report's line for a build that installs ``requirements`` and no project."""
    names = ", ".join(f"'{requirement}'" for requirement in requirements)
    whose = "its" if len(requirements) == 1 else "their"
    return f"bundle: installing {names} and {whose} dependencies with pip for Python {python}"


def entries(cache: Path, area: str) -> list[str]:
    """The complete entries of a build cache area, and any temporary leftovers."""
    root = cache / area
    return (
        sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock"))
        if root.exists()
        else []
    )


def staging_entry(cache: Path, area: str = "projects") -> Path:
    """The one complete entry of ``area`` in the build cache ``cache``: by default the
    project's own installed wheel, which the report names."""
    [key] = entries(cache, area)
    return cache / area / key


def manifest(archive: Path) -> Mapping[str, object]:
    with zipfile.ZipFile(archive) as outer:
        data: Mapping[str, object] = json.loads(outer.read(".bundle/manifest.json"))
    return data


@pytest.fixture
def build_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A build cache of this test's own, so that what it holds is known."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(cache))
    return cache


@pytest.fixture
def greeter_wheels(tmp_path: Path) -> Path:
    """A wheelhouse: ``greeter`` (scripts greet, greet-loud) on ``greetlib`` 1.0 and 2.0."""
    house = tmp_path / "greeter-wheels"
    for version in ("1.0", "2.0"):
        write_wheel(
            house,
            "greetlib",
            version,
            {
                "greetlib/__init__.py": f"VERSION = {version!r}\n\ndef greet(who):\n"
                "    return f'Hello, {who}!'\n"
            },
        )
    write_wheel(
        house,
        "greeter",
        "1.5",
        {
            "greeter/__init__.py": "",
            "greeter/cli.py": (
                "import sys\nimport greetlib\n\ndef main():\n"
                "    print(greetlib.greet(sys.argv[1]), 'greetlib', greetlib.VERSION)\n\n"
                "def loud():\n    print(greetlib.greet(sys.argv[1]).upper())\n"
            ),
        },
        requires=["greetlib>=1.0"],
        requires_python=">=3.9",
        entry_points={
            "console_scripts": {"greet": "greeter.cli:main", "greet-loud": "greeter.cli:loud"}
        },
    )
    return house


# ---------------------------------------------------------------- build backends


@pytest.mark.parametrize("backend", ["setuptools", "hatchling", "flit-core", "poetry-core"])
def test_each_build_backend_builds_an_archive_that_runs(
    backend: str, tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    project = backend_project(tmp_path / "proj", backend, name=f"demo_{backend.replace('-', '_')}")
    result = run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline)
    assert result.returncode == 0, result.stderr
    assert report_lines(result)[0] == BUILDING
    ran = run_app(tmp_path / "app.pyz")
    assert ran.stdout == f"hello from demo_{backend.replace('-', '_')} 2.3.4\n", ran.stderr


def test_dynamic_version_comes_from_the_built_wheel(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    project = backend_project(tmp_path / "proj", "hatchling")
    (project / "demo" / "__init__.py").write_text('__version__ = "7.1"\n')
    result = run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline)
    assert result.returncode == 0, result.stderr
    assert manifest(tmp_path / "app.pyz")["app"] == {"name": "demo", "version": "7.1"}
    assert run_app(tmp_path / "app.pyz").stdout == "hello from demo 7.1\n"


# ---------------------------------------------------------------- the cache


def test_rebuild_with_nothing_changed_runs_neither_build_nor_pip(
    tmp_path: Path, offline: tuple[str, ...], build_cache: Path
) -> None:
    project = backend_project(tmp_path / "proj", "setuptools", name="cachedemo")
    first = run_bundle("build", project, "-o", tmp_path / "one.pyz", *offline)
    assert first.returncode == 0, first.stderr
    assert report_lines(first)[:2] == [BUILDING, INSTALLING]
    second = run_bundle("build", project, "-o", tmp_path / "two.pyz", *offline)
    assert second.returncode == 0, second.stderr
    reused = staging_entry(build_cache)
    assert report_lines(second) == [
        *step_lines("cachedemo.cli:main", tmp_path / "two.pyz"),
        f"bundle: reused the cached staging directory (no build, no pip): {reused}",
        wrote_line(tmp_path / "two.pyz", 2, 1),
    ]
    assert (tmp_path / "one.pyz").read_bytes() == (tmp_path / "two.pyz").read_bytes()
    quiet = run_bundle("build", project, "-o", tmp_path / "two.pyz", "-q", *offline)
    assert (quiet.returncode, quiet.stderr) == (0, "")


def test_changed_sources_rebuild_the_wheel(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    project = backend_project(tmp_path / "proj", "hatchling", name="changing")
    assert run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline).returncode == 0
    (project / "changing" / "greeting.txt").write_text("good morning\n")
    rebuilt = run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert report_lines(rebuilt)[:2] == [BUILDING, INSTALLING]
    assert run_app(tmp_path / "app.pyz").stdout == "good morning from changing 2.3.4\n"


def test_a_rebuilt_but_identical_wheel_needs_no_pip(
    tmp_path: Path, offline: tuple[str, ...], build_cache: Path
) -> None:
    project = backend_project(tmp_path / "proj", "hatchling", name="samewheel")
    assert run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline).returncode == 0
    (project / "NOTES.md").write_text("not part of the wheel\n")
    rebuilt = run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert report_lines(rebuilt) == [
        BUILDING,
        *step_lines("samewheel.cli:main", tmp_path / "app.pyz"),
        "bundle: built samewheel-2.3.4-py2.py3-none-any.whl; its contents are unchanged, so "
        f"the cached staging directory was reused (no pip): {staging_entry(build_cache)}",
        wrote_line(tmp_path / "app.pyz", 2, 1),
    ]


def test_no_cache_builds_and_installs_afresh(tmp_path: Path, offline: tuple[str, ...]) -> None:
    project = backend_project(tmp_path / "proj", "hatchling", name="fresh")
    assert run_bundle("build", project, "-o", tmp_path / "a.pyz", *offline).returncode == 0
    again = run_bundle("build", project, "-o", tmp_path / "b.pyz", "--no-cache", *offline)
    assert again.returncode == 0, again.stderr
    assert report_lines(again)[:2] == [BUILDING, INSTALLING]
    assert (tmp_path / "a.pyz").read_bytes() == (tmp_path / "b.pyz").read_bytes()


def test_concurrent_builds_install_once(tmp_path: Path, offline: tuple[str, ...]) -> None:
    project = backend_project(tmp_path / "proj", "hatchling", name="together")
    command = [sys.executable, "-m", "bundler", "build", str(project), *offline]
    env = bundle_env()
    builds = [
        subprocess.Popen(
            [*command, "-o", str(tmp_path / f"app{i}.pyz")],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(3)
    ]
    errors = [build.communicate(timeout=300)[1] for build in builds]
    assert [build.returncode for build in builds] == [0, 0, 0], errors
    assert sum(INSTALLING in text.splitlines() for text in errors) == 1, errors
    contents = {(tmp_path / f"app{i}.pyz").read_bytes() for i in range(3)}
    assert len(contents) == 1


def test_half_written_staging_entry_is_redone(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner, build_cache: Path
) -> None:
    project = backend_project(tmp_path / "proj", "hatchling", name="halfway")
    build = ("build", project, "-o", tmp_path / "app.pyz", *offline)
    assert run_bundle(*build).returncode == 0
    [key] = entries(build_cache, "projects")
    staging = build_cache / "projects"
    (staging / key / "bundle-entry.json").unlink()  # as if the build died before finishing
    (staging / f".{key}.tmp-killed").mkdir()
    redone = run_bundle(*build)
    assert redone.returncode == 0, redone.stderr
    assert report_lines(redone) == [
        INSTALLING,
        f"bundle: warning: {staging / key} was left incomplete by an interrupted build; redone",
        *step_lines("halfway.cli:main", tmp_path / "app.pyz"),
        "bundle: staged 1 distribution (pip install) in <seconds>",
        wrote_line(tmp_path / "app.pyz", 2, 1),
    ]
    assert entries(build_cache, "projects") == [key]
    assert run_app(tmp_path / "app.pyz").stdout == "hello from halfway 2.3.4\n"


def test_killed_build_leaves_no_entry_and_the_next_build_works(
    tmp_path: Path, greeter_wheels: Path, run_app: Runner, build_cache: Path
) -> None:
    cache = build_cache
    args = ["--with", "greeter", "-c", "greet", "--no-index", "--find-links", greeter_wheels]
    victim = subprocess.Popen(
        [sys.executable, "-m", "bundler", "build", *map(str, args), "-o", str(tmp_path / "a.pyz")],
        stderr=subprocess.DEVNULL,
        env=bundle_env(),
        cwd=tmp_path,
        start_new_session=True,  # so that pip, its child, dies with it
    )
    deadline = time.monotonic() + 60
    while not any(n.startswith(".") for n in entries(cache, "dependencies")):
        assert victim.poll() is None and time.monotonic() < deadline, "the build ended first"
        time.sleep(0.01)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert [n for n in entries(cache, "dependencies") if not n.startswith(".")] == []
    assert not (tmp_path / "a.pyz").exists()
    again = run_bundle("build", *args, "-o", tmp_path / "a.pyz", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert [n for n in entries(cache, "dependencies") if n.startswith(".")] == []
    assert entries(cache, "tmp") == []  # the killed build's scratch directory was swept
    assert run_app(tmp_path / "a.pyz", "you").stdout == "Hello, you! greetlib 2.0\n"


# ---------------------------------------------------------------- without a project


def test_console_script_of_a_distribution_without_a_project(
    tmp_path: Path, greeter_wheels: Path, run_app: Runner
) -> None:
    result = build_with_greeter_wheels(
        tmp_path, greeter_wheels, "--with", "greeter==1.5", "-c", "greet-loud", "-o", "loud.pyz"
    )
    assert result.returncode == 0, result.stderr
    assert run_app(tmp_path / "loud.pyz", "world").stdout == "HELLO, WORLD!\n"
    info = manifest(tmp_path / "loud.pyz")
    assert (info["app"], info["requires_python"]) == (
        {"name": "greeter", "version": "1.5"},
        ">=3.9",
    )


def test_requirements_file_and_constraints(
    tmp_path: Path, greeter_wheels: Path, run_app: Runner
) -> None:
    (tmp_path / "reqs.txt").write_text("greeter\n")
    (tmp_path / "pins.txt").write_text("greetlib<2\n")
    args = ("-r", "reqs.txt", "--constraint", "pins.txt", "-c", "greet", "-o", "app.pyz")
    pinned = build_with_greeter_wheels(tmp_path, greeter_wheels, *args)
    assert pinned.returncode == 0, pinned.stderr
    assert run_app(tmp_path / "app.pyz", "a").stdout == "Hello, a! greetlib 1.0\n"
    (tmp_path / "pins.txt").write_text("greetlib>=2\n")  # new contents: a new staging entry
    repinned = build_with_greeter_wheels(tmp_path, greeter_wheels, *args)
    assert repinned.returncode == 0, repinned.stderr
    assert report_lines(repinned)[0] == (
        "bundle: installing the requirements in reqs.txt and its dependencies with pip for "
        f"Python {THIS_PYTHON}"
    )
    assert run_app(tmp_path / "app.pyz", "a").stdout == "Hello, a! greetlib 2.0\n"


def test_the_only_script_of_a_requested_distribution_needs_no_c(
    tmp_path: Path, greeter_wheels: Path
) -> None:
    result = build_with_greeter_wheels(
        tmp_path, greeter_wheels, "--with", "greeter", "-o", "app.pyz"
    )
    assert_failure_explained(
        result,
        [installing("greeter")],
        "ambiguous entry point: 2 scripts in the distributions given with --with: greet, "
        "greet-loud; choose one with -c NAME or pass -e MODULE:FUNC",
        status=2,
    )


def test_project_can_run_a_script_of_its_dependency(
    tmp_path: Path, greeter_wheels: Path, backend_wheels: Path, run_app: Runner
) -> None:
    project = backend_project(tmp_path / "proj", "flit-core", name="host")
    toml = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        toml.replace('version = "2.3.4"', 'version = "2.3.4"\ndependencies = ["greeter"]')
    )
    links = ("--find-links", greeter_wheels, "--find-links", backend_wheels)
    result = run_bundle(
        "build", project, "-c", "greet", "-o", tmp_path / "g.pyz", "--no-index", *links
    )
    assert result.returncode == 0, result.stderr
    assert run_app(tmp_path / "g.pyz", "x").stdout == "Hello, x! greetlib 2.0\n"


# ---------------------------------------------------------------- environments


def test_staging_hides_the_target_interpreters_site_packages(
    tmp_path: Path, deps_python: Path, offline: tuple[str, ...]
) -> None:
    """tallyho is installed for deps_python, but the project does not declare it."""
    project = backend_project(
        tmp_path / "proj",
        "setuptools",
        name="undeclared",
        **{"undeclared/extra.py": "import tallyho\n"},
    )
    (project / "undeclared" / "cli.py").write_text(
        (project / "undeclared" / "cli.py").read_text() + "import undeclared.extra\n"
    )
    out = tmp_path / "app.pyz"
    staged = run_bundle("build", project, "-o", out, "--python", deps_python, *offline)
    assert staged.returncode == 0, staged.stderr
    missing = "undeclared 2.3.4: import 'tallyho' not found (imported by undeclared.extra, line 1)"
    assert f"bundle: warning: {missing}" in report_lines(staged)
    as_is = run_bundle("build", project, "-o", out, "--python", deps_python, "--no-install")
    assert as_is.returncode == 0, as_is.stderr
    assert "import 'tallyho' not found" not in as_is.stderr
    # Without staging it is bundled, and named as what the project does not declare.
    warnings = [line for line in report_lines(as_is) if line.startswith("bundle: warning:")]
    assert warnings[0] == (
        "bundle: warning: tallyho 0.9.2 with 1 more distribution it needs (inkwell) is bundled "
        "from the environment although the project does not declare it (undeclared.extra "
        "imports tallyho); add it to the project's dependencies, or --exclude tallyho"
    )


def test_pip_installs_for_the_target_interpreter(
    tmp_path: Path, greeter_wheels: Path, run_app: Runner
) -> None:
    """A marker that only the target satisfies: pip must evaluate it for the target."""
    python = find_python("3.12") or find_python("3.13")
    if python is None:
        pytest.skip("neither Python 3.12 nor 3.13 is installed here")
    requirements = ('greeter; python_version >= "3.12"', "greetlib")
    args = ("--with", requirements[0], "--with", requirements[1], "-c", "greet", "-o", "a.pyz")
    for_target = build_with_greeter_wheels(tmp_path, greeter_wheels, *args, "--python", python)
    assert for_target.returncode == 0, for_target.stderr
    target_version = python_version(python)
    assert report_lines(for_target)[0] == installing(*requirements, python=target_version)
    assert run_app(tmp_path / "a.pyz", "py", python=python).stdout == "Hello, py! greetlib 2.0\n"
    for_this = build_with_greeter_wheels(
        tmp_path, greeter_wheels, *args, "--python", sys.executable
    )
    assert_failure_explained(
        for_this,
        [installing(*requirements)],
        "no script named 'greet' in the environment; available: none",
        status=2,
    )


def test_no_build_isolation_uses_the_target_interpreters_backend(
    tmp_path: Path, backend_wheels: Path, clean_python: Path, run_app: Runner
) -> None:
    python = venv_with(tmp_path / "venv", backend_wheels, "setuptools")
    project = backend_project(tmp_path / "proj", "setuptools", name="inplace")
    flags = ("--no-build-isolation", "--no-index", "-o", tmp_path / "app.pyz")
    built = run_bundle("build", project, "--python", python, *flags)
    assert built.returncode == 0, built.stderr
    assert run_app(tmp_path / "app.pyz").stdout == "hello from inplace 2.3.4\n"
    missing = run_bundle("build", project, "--python", clean_python, "--no-cache", *flags)
    assert_failure_explained(
        missing,
        [BUILDING],
        "cannot import setuptools.build_meta: ModuleNotFoundError: No module named "
        "'setuptools'; install the project's build requirements for the target interpreter, "
        "or drop --no-build-isolation",
    )


def test_tool_table_configures_an_offline_build(
    tmp_path: Path, greeter_wheels: Path, backend_wheels: Path, run_app: Runner
) -> None:
    project = backend_project(tmp_path / "proj", "hatchling", name="configured")
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text()
        + "\n[tool.bundle]\n"
        + 'with = ["greeter"]\nscript = "greet"\nno-index = true\n'
        + f'find-links = ["../greeter-wheels", "{backend_wheels}"]\noutput = "app.pyz"\n'
    )
    result = run_bundle("build", project)
    assert result.returncode == 0, result.stderr
    assert run_app(project / "app.pyz", "t").stdout == "Hello, t! greetlib 2.0\n"


# ---------------------------------------------------------------- bad input


def test_unknown_script_of_a_with_distribution_lists_the_scripts(
    tmp_path: Path, greeter_wheels: Path
) -> None:
    result = build_with_greeter_wheels(
        tmp_path, greeter_wheels, "--with", "greeter", "-c", "greeet", "-o", "app.pyz"
    )
    assert_failure_explained(
        result,
        [installing("greeter")],
        "no script named 'greeet' in the environment; available: greet, greet-loud",
        status=2,
    )
    assert not (tmp_path / "app.pyz").exists()


def test_unresolvable_requirement(tmp_path: Path, greeter_wheels: Path, build_cache: Path) -> None:
    args = ("--with", "greeter", "--with", "greetlib>=3", "-c", "greet", "-o", "app.pyz")
    result = build_with_greeter_wheels(tmp_path, greeter_wheels, *args)
    assert_failure_explained(
        result,
        [installing("greeter", "greetlib>=3")],
        "pip could not install 'greeter', 'greetlib>=3' and their dependencies: No matching "
        f"distribution found for greetlib>=3; with --no-index pip only looks in {greeter_wheels}: "
        "add it there",
    )
    assert "  | ERROR: No matching distribution found for greetlib>=3" in result.stderr.splitlines()
    assert not (tmp_path / "app.pyz").exists()
    assert entries(build_cache, "dependencies") == []


def test_failing_build_backend(tmp_path: Path, build_cache: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": (
                "[build-system]\nrequires = []\nbuild-backend = 'frob_backend'\n"
                "backend-path = ['backend']\n\n" + pyproject(scripts={"demo": "demo:main"})
            ),
            "backend/frob_backend.py": (
                "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
                "    print('compiling the frobnicator')\n"
                "    raise RuntimeError('libfrob is missing: install libfrob-dev')\n"
            ),
            "demo/__init__.py": "def main():\n    pass\n",
        },
    )
    result = run_bundle("build", project, "-o", tmp_path / "app.pyz", "--no-index")
    assert_failure_explained(
        result,
        [BUILDING],
        "the build backend failed to build the project's wheel: RuntimeError: libfrob is "
        "missing: install libfrob-dev; fix the error above (-v shows all of the backend's output)",
    )
    # The backend's own lines, above the summary.
    backend_error = "  | RuntimeError: libfrob is missing: install libfrob-dev"
    assert backend_error in result.stderr.splitlines()
    assert not (tmp_path / "app.pyz").exists()
    assert (entries(build_cache, "wheels"), entries(build_cache, "projects")) == ([], [])


def test_no_network_and_no_wheelhouse(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    project = backend_project(tmp_path / "proj", "setuptools")
    result = run_bundle(
        "build", project, "-o", tmp_path / "app.pyz", "--no-index", "--find-links", empty
    )
    cannot_install = (
        "pip could not install the project's build requirements: No matching distribution "
        "found for setuptools>=61"
    )
    assert_failure_explained(
        result,
        [BUILDING],
        f"{cannot_install}; with --no-index pip only looks in {empty}: add it there",
    )
    assert not (tmp_path / "app.pyz").exists()
    nowhere = run_bundle("build", project, "-o", tmp_path / "app.pyz", "--no-index")
    assert_failure_explained(
        nowhere,
        [BUILDING],
        f"{cannot_install}; --no-index leaves pip nowhere to look: add --find-links DIR with "
        "the wheels",
    )


def test_no_install_conflicts_with_with(tmp_path: Path) -> None:
    result = run_bundle("build", "--with", "x", "--no-install", "-o", "a.pyz", cwd=tmp_path)
    assert_failure_explained(
        result,
        [],
        "--with needs an install, which --no-install turns off: drop one or the other",
        status=2,
    )
