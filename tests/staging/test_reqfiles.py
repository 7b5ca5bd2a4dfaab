"""Requirements files flattened, their local paths absolute and relative to the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.errors import ConfigError
from bundler.staging.reqfiles import local_path, read_requirement_files
from tests.conftest import write_project


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_project(
        tmp_path,
        {
            "libs/core/pyproject.toml": "",
            "libs/util/pyproject.toml": "",
            "wheels/extra-1.0-py3-none-any.whl": "",
            "requirements/base.txt": "inkwell>=1  # styled text\n-c pins.txt\n",
            "requirements/pins.txt": "inkwell<2\n",
        },
    )


def test_paths_are_relative_to_the_file_and_nested_files_are_inlined(
    tree: Path, tmp_path: Path
) -> None:
    app = tree / "requirements" / "app.txt"
    app.write_text(
        "-r base.txt\n"
        "../libs/core[fast] ; python_version >= '3.9'\n"
        "-e ../libs/util\n"
        "--find-links ../wheels\n"
        "--index-url https://example.org/simple\n"
        "tallyho==0.9.2 \\\n    --hash=sha256:00\n"
    )
    found = read_requirement_files([app], [], cwd=tmp_path / "elsewhere")
    assert found.requirements == [
        "inkwell>=1",
        f"{tree / 'libs/core'}[fast] ; python_version >= '3.9'",
        str(tree / "libs" / "util"),
        f"--find-links {tree / 'wheels'}",
        "--index-url https://example.org/simple",
        "tallyho==0.9.2     --hash=sha256:00",
    ]
    assert found.constraints == ["inkwell<2"]
    assert found.paths == [tree / "libs" / "core", tree / "libs" / "util"]
    assert found.hashed is True


def test_a_path_missing_beside_the_file_is_taken_from_the_current_directory_as_pip_would(
    tree: Path,
) -> None:
    app = tree / "requirements" / "app.txt"
    app.write_text("libs/core\n")
    found = read_requirement_files([app], [], cwd=tree)
    assert found.requirements == [str(tree / "libs" / "core")]
    assert found.hashed is False


def test_direct_file_urls_are_recorded_and_kept(tree: Path) -> None:
    app = tree / "app.txt"
    core = (tree / "libs" / "core").as_uri()
    app.write_text(f"core @ {core}\n")
    found = read_requirement_files([app], [], cwd=tree)
    assert (found.requirements, found.paths) == ([f"core @ {core}"], [tree / "libs" / "core"])


def test_a_missing_nested_file_is_one_line(tree: Path) -> None:
    app = tree / "app.txt"
    app.write_text("-r nosuch.txt\n")
    with pytest.raises(ConfigError) as caught:
        read_requirement_files([app], [], cwd=tree)
    assert str(caught.value) == f"{app}: -r nosuch.txt names no file: check the path"


def test_a_file_including_itself_is_read_once(tree: Path) -> None:
    app = tree / "app.txt"
    app.write_text("-r app.txt\ninkwell\n")
    assert read_requirement_files([app], [], cwd=tree).requirements == ["inkwell"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("inkwell>=1", None),
        ("./libs/core", ("libs/core", "")),
        ("libs/core[a,b];python_version>'3'", ("libs/core", "[a,b] ;python_version>'3'")),
        ("wheels/extra-1.0-py3-none-any.whl", ("wheels/extra-1.0-py3-none-any.whl", "")),
        ("./missing", None),
        ("name @ https://example.org/x.whl", None),
    ],
)
def test_local_path_of_a_requirement(
    tree: Path, spec: str, expected: tuple[str, str] | None
) -> None:
    found = local_path(spec, [tree])
    assert found == (None if expected is None else (tree / expected[0], expected[1]))
