"""Fixtures shared by the test suite: running ``bundle``, clean interpreters, wheelhouses."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.helpers.downloads import download_wheels
from tests.helpers.pythons import clean_env
from tests.helpers.wheels import build_fixture_wheelhouse

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_projects"

# The build backends of the test projects, fetched once (tests/helpers/downloads.py).
BUILD_BACKENDS = (
    "setuptools==84.2.1",
    "hatchling==1.33.0",
    "flit-core==4.2.0",
    "poetry-core==2.5.0",
)

Runner = Callable[..., "subprocess.CompletedProcess[str]"]

# What changes between two runs of one build: its sizes and durations (``report_lines``).
_SIZE = re.compile(r"\b\d+(\.\d+)? ([KMG]iB|B)\b")
_DURATION = re.compile(r"\bin \d+\.\d s$", re.MULTILINE)
_SHA = re.compile(r"\bsha256 [0-9a-f]{16}\b")
_FILES = re.compile(r"\(\d+ files, <size>\)$", re.MULTILINE)


def run_bundle(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``bundle`` CLI in a subprocess, as a user would (environment: ``bundle_env``)."""
    return subprocess.run(
        [sys.executable, "-m", "bundler", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=bundle_env(**(env or {})),
        timeout=600,
    )


def bundle_env(**overrides: str) -> dict[str, str]:
    """``clean_env`` in which pip or uv, which ``bundle build`` runs, reads no configuration
    of this machine (find-links, mirrors, constraints): a test says where its wheels come from.
    """
    pip_free = {k: v for k, v in clean_env().items() if not k.startswith(("PIP_", "UV_"))}
    pip_free.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    # pip installs unless a test asks for uv (tests/e2e/test_installers.py and the tests
    # parametrized with INSTALLERS): the messages tests expect are pip's.
    pip_free.update(UV_NO_CONFIG="1", BUNDLER_INSTALLER="pip")
    return {**pip_free, **overrides}


@pytest.fixture(scope="session", autouse=True)
def private_build_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Builds of this test session keep their wheels and staging directories here."""
    yield from _directory_in_env(tmp_path_factory, "BUNDLER_BUILD_CACHE", "build-cache")


@pytest.fixture(scope="session", autouse=True)
def pip_installs() -> Iterator[None]:
    """Builds in this process install with pip, as those of ``run_bundle`` do, whether or not
    this machine configures pip (which decides the default): the tests that exercise uv
    say so, with --installer or the installer fixture."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BUNDLER_INSTALLER", "pip")
        yield


@pytest.fixture(scope="session", autouse=True)
def private_runtime_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Archives that tests run extract native code here, not into the user's own cache."""
    yield from _directory_in_env(tmp_path_factory, "BUNDLER_CACHE", "runtime-cache")


def _directory_in_env(factory: pytest.TempPathFactory, variable: str, name: str) -> Iterator[Path]:
    """A new directory that ``$variable`` names for as long as the generator is open."""
    directory = factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(variable, str(directory))
        yield directory


@pytest.fixture(scope="session")
def backend_wheels() -> Path:
    """Wheels of setuptools, hatchling, flit-core and poetry-core (downloaded once)."""
    return download_wheels("build-backends", BUILD_BACKENDS)


@pytest.fixture(scope="session")
def offline(backend_wheels: Path, wheelhouse: Path) -> tuple[str, ...]:
    """``bundle build`` options that build and install from the local wheelhouses only."""
    return ("--no-index", "--find-links", str(backend_wheels), "--find-links", str(wheelhouse))


@pytest.fixture(scope="session")
def clean_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreter whose site-packages holds nothing but what venv puts there.

    Archives are run with it, so a dependency that the archive failed to carry cannot be
    found on the test machine by accident.
    """
    target = tmp_path_factory.mktemp("clean-venv")
    venv.EnvBuilder(with_pip=False).create(target)
    return target / "bin" / "python"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the fixture distributions that the sample projects depend on."""
    return build_fixture_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session")
def deps_python(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """A virtualenv with every fixture distribution installed, offline, by pip."""
    names = sorted({p.name.split("-")[0] for p in wheelhouse.glob("*.whl")})
    return venv_with(tmp_path_factory.mktemp("deps-venv"), wheelhouse, *names)


def venv_with(target: Path, wheels: Path, *requirements: str) -> Path:
    """A new virtualenv at ``target`` with ``requirements`` installed by pip from ``wheels``
    only; returns its interpreter."""
    venv.EnvBuilder(with_pip=False).create(target)
    python = target / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    subprocess.run(
        [*pip, "--no-index", "--find-links", str(wheels), *requirements],
        check=True,
        env=bundle_env(),
        timeout=600,
    )
    return python


@pytest.fixture
def run_app(clean_python: Path) -> Runner:
    """Run an archive with the clean interpreter (or another one) in a subprocess."""

    def run(
        archive: Path,
        *args: str,
        python: Path | None = None,
        stdin: str | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python or clean_python), str(archive), *args],
            capture_output=True,
            text=True,
            input=stdin,
            cwd=cwd,
            env={**clean_env(), **(env or {})},
            timeout=300,
        )

    return run


def copy_project(source: Path, dest: Path) -> Path:
    """A copy of ``source`` to build, so that a backend's ``build/`` stays out of the repo."""
    shutil.copytree(
        source, dest, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__")
    )
    return dest


def write_project(root: Path, files: Mapping[str, str]) -> Path:
    """Create a project tree from ``{relative path: text}``; returns ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def pyproject(
    name: str = "demo",
    *,
    scripts: Mapping[str, str] | None = None,
    extra: str = "",
    dependencies: tuple[str, ...] = (),
) -> str:
    """A minimal ``pyproject.toml`` text."""
    lines = ["[project]", f'name = "{name}"', 'version = "1.0"']
    if dependencies:
        lines.append(f"dependencies = {list(dependencies)!r}".replace("'", '"'))
    if scripts:
        lines.append("[project.scripts]")
        lines += [f'{key} = "{value}"' for key, value in scripts.items()]
    return "\n".join(lines) + "\n" + extra


def assert_user_error(
    result: subprocess.CompletedProcess[str],
    message: str,
    status: int = 1,
    before: Sequence[str] = (),
) -> None:
    """A user error of ``bundle``: exit ``status`` (1: the build failed; 2: bad input) and
    ``bundle: error: <message>`` as the only line on stderr after the progress lines
    ``before`` (``bundle: resolving imports from ...``)."""
    expected = "".join(f"{line}\n" for line in [*before, f"bundle: error: {message}"])
    assert (result.returncode, result.stderr) == (status, expected)


def assert_app_error(result: subprocess.CompletedProcess[str], archive: Path, message: str) -> None:
    """An archive that stops before the app runs: exit status 1 and
    ``<archive name>: error: <message>`` as the only line on stderr."""
    assert (result.returncode, result.stderr) == (1, f"{archive.name}: error: {message}\n")


def wrong_python_message(distribution: str, tags: str, python: Path, minor: str) -> str:
    """What an archive says when ``python`` (CPython ``minor``) cannot load the native code
    of ``distribution``, built for this interpreter and the wheel ``tags``."""
    platform = f"{sys.platform} {os.uname().machine}"
    built_for = f"CPython {sys.version_info[0]}.{sys.version_info[1]} on {platform}"
    return (
        f"{distribution} contains native code built for {built_for} ({tags}), which "
        f"CPython {minor} on {platform} ({python}) cannot load; run the app with a matching "
        "Python, or rebuild it with --python naming this interpreter"
    )


def report_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines ``bundle`` printed on stderr, with sizes as ``<size>`` and durations as
    ``<seconds>``: what changes from one build to the next."""
    masked = _SIZE.sub("<size>", _DURATION.sub("in <seconds>", result.stderr))
    return _FILES.sub("(<files>)", _SHA.sub("sha256 <sha>", masked)).splitlines()


def step_lines(entry: str, archive: Path) -> list[str]:
    """The plain progress lines of a build after staging, as ``report_lines`` gives them."""
    return [
        f"bundle: resolving imports from {entry}",
        "bundle: planning the archive: native code, files read by path",
        f"bundle: writing {archive} (<files>)",
    ]


def wrote_line(archive: Path, modules: int, distributions: int) -> str:
    """The last line of a build's report, as ``report_lines`` gives it."""
    counts = f"{modules} module{'s' * (modules != 1)}, {distributions} distribution" + (
        "s" * (distributions != 1)
    )
    return f"bundle: wrote {archive} (<size>, {counts}, sha256 <sha>) in <seconds>"


def leftovers(directory: Path) -> list[str]:
    """Files left in ``directory`` (temporary files of an interrupted write included)."""
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []
