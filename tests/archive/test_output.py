"""The output file: checked before any slow work, replaced whole or not at all."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundler.archive.output import check_output_path, replacing
from bundler.errors import OutputError
from tests.conftest import leftovers


@pytest.fixture
def umask() -> Iterator[int]:
    """A known umask for the test, restored afterwards."""
    previous = os.umask(0o027)
    try:
        yield 0o027
    finally:
        os.umask(previous)


# -- checking the path -------------------------------------------------------------------------


def test_writable_output_path_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    check_output_path(tmp_path / "app.pyz")

    assert leftovers(tmp_path) == []


def test_output_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as raised:
        check_output_path(tmp_path)

    assert str(raised.value) == (
        f"output {tmp_path} is a directory: give a file name such as {tmp_path}/app.pyz"
    )


def test_output_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "missing"
    with pytest.raises(OutputError) as raised:
        check_output_path(parent / "app.pyz")

    assert str(raised.value) == f"output directory {parent} does not exist: create it first"


def test_output_under_a_file_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "file"
    parent.write_text("")
    with pytest.raises(OutputError) as raised:
        check_output_path(parent / "app.pyz")

    assert str(raised.value) == f"output directory {parent} is not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to any directory")
def test_output_in_an_unwritable_directory_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o500)
    try:
        with pytest.raises(OutputError) as raised:
            check_output_path(parent / "app.pyz")
    finally:
        parent.chmod(0o700)

    assert str(raised.value) == f"cannot write to {parent}: Permission denied"


# -- replacing the file ------------------------------------------------------------------------


def test_finished_block_replaces_the_file_with_a_mode_from_the_umask(
    tmp_path: Path, umask: int
) -> None:
    output = tmp_path / "app.pyz"
    output.write_bytes(b"old archive")
    output.chmod(0o600)

    with replacing(output) as stream:
        stream.write(b"new archive")
        # Nothing is visible before the block ends: the old file is whole.
        assert output.read_bytes() == b"old archive"

    assert output.read_bytes() == b"new archive"
    assert stat.S_IMODE(output.stat().st_mode) == 0o777 & ~umask == 0o750
    assert leftovers(tmp_path) == ["app.pyz"]


def test_failed_block_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, umask: int) -> None:
    output = tmp_path / "app.pyz"
    output.write_bytes(b"old archive")
    output.chmod(0o640)

    with pytest.raises(RuntimeError, match="writer failed"), replacing(output) as stream:
        stream.write(b"half an archive")
        raise RuntimeError("writer failed")

    assert output.read_bytes() == b"old archive"
    assert stat.S_IMODE(output.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == ["app.pyz"]


def test_failed_first_write_creates_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), replacing(tmp_path / "app.pyz") as stream:
        stream.write(b"half an archive")
        raise RuntimeError("writer failed")

    assert leftovers(tmp_path) == []
