"""PEP 751 locks: exactly the locked files for the target, hashes required; a target the
lock does not cover is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.errors import LockError
from bundler.staging.pylock import LockedInstall, is_pylock, read_pylock
from tests.test_distribution import LINUX_311

TAGS = ("cp311-cp311-manylinux_2_17_x86_64", "cp311-abi3-manylinux_2_17_x86_64", "py3-none-any")
TARGET = "CPython 3.11.7 on linux-x86_64"

LOCK = """\
lock-version = "1.0"
environments = ["sys_platform == 'linux'", "sys_platform == 'darwin'"]
requires-python = ">=3.9"
created-by = "tests"

[[packages]]
name = "fast"
version = "2.0"
wheels = [
  {url = "https://x/fast-2.0-cp311-cp311-win_amd64.whl", hashes = {sha256 = "aa"}},
  {path = "wheels/fast-2.0-cp311-cp311-manylinux_2_17_x86_64.whl", hashes = {sha256 = "bb"}},
  {path = "wheels/fast-2.0-py3-none-any.whl", hashes = {sha256 = "cc"}},
]

[[packages]]
name = "tomli"
version = "2.0.1"
marker = "python_version < '3.11'"
wheels = [{url = "https://x/tomli-2.0.1-py3-none-any.whl", hashes = {sha256 = "dd"}}]

[[packages]]
name = "srconly"
version = "1.0"
sdist = {url = "https://x/srconly-1.0.tar.gz", hashes = {sha256 = "ee"}}

[[packages]]
name = "local"
directory = {path = "libs/local"}

[[packages]]
name = "fromgit"
vcs = {type = "git", url = "https://example.org/fromgit.git", commit-id = "abc123"}
"""


def _read(tmp_path: Path, text: str = LOCK, markers: dict[str, str] = LINUX_311) -> LockedInstall:
    lock = tmp_path / "pylock.toml"
    lock.write_text(text)
    return read_pylock(lock, markers, TAGS, TARGET, ())


def test_the_best_file_for_the_target_of_each_package_that_applies(tmp_path: Path) -> None:
    locked = _read(tmp_path)
    wheel = tmp_path / "wheels" / "fast-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    assert locked.hashed == (
        f"fast @ {wheel.as_uri()} --hash=sha256:bb",
        "srconly @ https://x/srconly-1.0.tar.gz --hash=sha256:ee",
    )
    local = tmp_path / "libs" / "local"
    assert locked.unhashed == (
        f"local @ {local.as_uri()}",
        "fromgit @ git+https://example.org/fromgit.git@abc123",
    )
    assert locked.paths == (wheel, local)


def test_a_target_outside_the_locks_environments_is_named(tmp_path: Path) -> None:
    windows = {**LINUX_311, "sys_platform": "win32"}
    with pytest.raises(LockError) as caught:
        _read(tmp_path, markers=windows)
    assert str(caught.value) == (
        f"pylock.toml does not cover {TARGET}: its environments are sys_platform == 'linux'; "
        "sys_platform == 'darwin'; lock for this target too, or build with --python naming an "
        "interpreter it covers"
    )


def test_a_target_python_the_lock_excludes_is_named(tmp_path: Path) -> None:
    with pytest.raises(LockError) as caught:
        _read(tmp_path, LOCK.replace(">=3.9", ">=3.12"))
    assert str(caught.value) == (
        f"pylock.toml requires Python >=3.12, and the target is {TARGET}; build with --python "
        "naming an interpreter it supports"
    )


def test_a_package_without_a_file_for_the_target_is_named(tmp_path: Path) -> None:
    text = (
        'lock-version = "1.0"\n[[packages]]\nname = "winonly"\nversion = "1.0"\n'
        'wheels = [{url = "https://x/winonly-1.0-cp311-cp311-win_amd64.whl", '
        'hashes = {sha256 = "aa"}}]\n'
    )
    with pytest.raises(LockError) as caught:
        _read(tmp_path, text)
    assert str(caught.value) == (
        f"pylock.toml has no file of winonly 1.0 for {TARGET}: its wheels are tagged "
        "cp311-cp311-win_amd64; lock for this target too"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'lock-version = "2.0"\n',
            "has lock-version '2.0'; bundle reads PEP 751 locks of version 1.x",
        ),
        ("lock-version = [", "is not valid TOML: "),
    ],
)
def test_an_unreadable_lock_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(LockError) as caught:
        _read(tmp_path, text)
    assert str(caught.value).startswith(f"{tmp_path / 'pylock.toml'} {message}")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("pylock.toml", True), ("pylock.dev.toml", True), ("requirements.txt", False)],
)
def test_lock_files_are_known_by_name(name: str, expected: bool) -> None:
    assert is_pylock(Path(name)) is expected
