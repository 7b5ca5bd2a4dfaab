"""The same inputs give a byte-identical archive whoever builds them, wherever and whenever:
another user, umask, time zone, locale, working directory, project directory, file times,
build cache and temporary directory. ``--check-reproducible`` checks it in one command."""

from __future__ import annotations

import importlib.metadata
import io
import os
import pwd
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import (
    SAMPLES,
    assert_user_error,
    copy_project,
    run_bundle,
    write_project,
)

# What the tool needs besides bundler itself, copied where another user can read it.
_TOOL_DISTRIBUTIONS = ("pip", "build", "pyproject_hooks", "packaging")
STAMPED = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "stamped"
version = "1.0"

[project.scripts]
stamped = "stamped:main"
"""
_SYSTEM_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3")


@pytest.fixture
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory every user can read (pytest's own are private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="bundle-repro-", dir="/tmp"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def other_user() -> Iterator[str]:
    """A throwaway user, removed afterwards; skipped where one cannot be made."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("making another user needs root and useradd")
    name = f"bndl{os.getpid() % 100000}"
    made = subprocess.run(
        ["useradd", "--no-create-home", "--home-dir", "/nonexistent", name],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"useradd failed: {made.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def _tool(shared: Path) -> Path:
    """bundler and the distributions it runs, where any user can import them."""
    lib = shared / "lib"
    lib.mkdir()
    shutil.copytree(Path(__file__).resolve().parents[2] / "bundler", lib / "bundler")
    for name in _TOOL_DISTRIBUTIONS:
        dist = importlib.metadata.distribution(name)
        top = Path(str(dist.locate_file(name)))
        shutil.copytree(top, lib / name, ignore=shutil.ignore_patterns("__pycache__"))
        info = Path(str(dist._path))  # type: ignore[attr-defined]
        shutil.copytree(info, lib / info.name)
    return lib


def _python_for(user: str) -> str:
    """An interpreter that ``user`` can run (pyenv's live in root's private home)."""
    for python in _SYSTEM_PYTHONS:
        ran = _as_user(user, [python, "-c", "import venv, ensurepip"], {}, Path("/"))
        if ran.returncode == 0:
            return python
    pytest.skip("no Python that another user can run")


def _as_user(
    user: str | None, command: list[str], env: Mapping[str, str], cwd: Path, umask: int = 0o022
) -> subprocess.CompletedProcess[str]:
    def become() -> None:
        os.umask(umask)
        if user is not None:
            entry = pwd.getpwnam(user)
            os.setgid(entry.pw_gid)
            os.setgroups([])
            os.setuid(entry.pw_uid)

    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(env),
        preexec_fn=become,
        timeout=600,
    )


def test_two_users_in_other_places_and_settings_build_byte_identical_archives(
    shared: Path, other_user: str, offline: tuple[str, ...]
) -> None:
    python = _python_for(other_user)
    lib = _tool(shared)
    wheels = shared / "wheels"
    for directory in offline[2::2]:  # the --find-links directories
        shutil.copytree(directory, wheels, dirs_exist_ok=True)
    outputs = []
    settings = [
        # user, project directory name, umask, time zone, locale, file times
        (None, "wordstats", 0o022, "UTC", "C.UTF-8", None),
        (other_user, "elsewhere/checkout", 0o077, "Asia/Kolkata", "de_DE.UTF-8", 86400 * 4000),
    ]
    for number, (user, name, umask, zone, locale, mtime) in enumerate(settings):
        home = shared / f"home{number}"
        project = copy_project(SAMPLES / "wordstats", home / name)
        for path in (project, *project.rglob("*")) if mtime is not None else ():
            # Files another user checked out: their own times and private modes.
            path.chmod(0o700 if path.is_dir() else 0o600)
            os.utime(path, (mtime, mtime))
        (home / "work" / "tmp").mkdir(parents=True)
        subprocess.run(["chmod", "-R", "a+rX", str(lib), str(wheels)], check=True)
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in (home, *home.rglob("*")):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home) if user is None else "/nonexistent",
            "PYTHONPATH": str(lib),
            "TZ": zone,
            "LANG": locale,
            "LC_ALL": locale,
            "TMPDIR": str(home / "work" / "tmp"),
            "BUNDLER_BUILD_CACHE": str(home / "build-cache"),
            "BUNDLER_CACHE": str(home / "cache"),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
        }
        command = [python, "-m", "bundler", "build", str(project), "-o", "../app.pyz"]
        command += ["--python", python, "--no-index", "--find-links", str(wheels), "-q"]
        result = _as_user(user, command, env, home / "work", umask)
        assert result.returncode == 0, result.stderr
        outputs.append((home / "app.pyz").read_bytes())
    assert outputs[0] == outputs[1]
    # SOURCE_DATE_EPOCH unset: every member is stamped 1980-01-01 00:00:00 (README).
    with zipfile.ZipFile(io.BytesIO(outputs[0])) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_check_reproducible_builds_again_elsewhere_and_finds_nothing(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    project = copy_project(SAMPLES / "wordstats", tmp_path / "wordstats")
    out = tmp_path / "app.pyz"
    result = run_bundle("build", project, "-o", out, *offline, "--check-reproducible")
    assert result.returncode == 0, result.stderr
    assert (
        "bundle: building again in another cache and temporary directory, to compare"
        in result.stderr.splitlines()
    )
    assert result.stdout == f"{out}\n"
    assert sorted(os.listdir(tmp_path)) == ["app.pyz", "wordstats"]


def test_check_reproducible_names_the_member_a_build_stamp_changes(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    # A setup.py that writes a build stamp, as some projects' version files do.
    project = write_project(
        tmp_path / "stamped",
        {
            "pyproject.toml": STAMPED,
            "setup.py": "import pathlib, uuid\nfrom setuptools import setup\n"
            "stamp = pathlib.Path(__file__).parent / 'stamped' / '_stamp.py'\n"
            "stamp.write_text(f'STAMP = {str(uuid.uuid4())!r}\\n')\nsetup()\n",
            "stamped/__init__.py": "from stamped._stamp import STAMP\n\ndef main():\n"
            "    print(STAMP)\n",
        },
    )
    out = tmp_path / "app.pyz"
    result = run_bundle("build", project, "-o", out, *offline, "--check-reproducible", "-q")
    assert_user_error(
        result,
        f"{out} is not reproducible: a second build in another cache and temporary "
        f"directory differs in payload member stamped/_stamp.py (contents) and 2 more "
        "members; something in the build depends on the time, the place or chance (set "
        "SOURCE_DATE_EPOCH for tools that stamp the time)",
    )
    # The first archive stays, for a look at what differs; the second build left nothing.
    assert out.is_file()
    assert not [p for p in Path(tempfile.gettempdir()).glob("bundle-reproducible-*")]
