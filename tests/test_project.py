"""The project's tree as backends read it: links followed inside the project, refused when
they leave it, dangle or loop; what is skipped; what a dependency's walk tolerates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bundler.errors import ProjectError
from bundler.project import ProjectFile, is_skipped_dir, scan_project, scan_sources
from tests.conftest import pyproject, write_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "proj",
        {"pyproject.toml": pyproject(), "demo/__init__.py": "", "demo/data.txt": "x"},
    )


def _shown(root: Path, **options: bool) -> list[str]:
    return [item.relative for item in scan_project(root, **options).files]  # type: ignore[arg-type]


def _refused(root: Path, **options: bool) -> str:
    with pytest.raises(ProjectError) as caught:
        scan_project(root, **options)  # type: ignore[arg-type]
    return str(caught.value)


def test_files_are_listed_in_order_with_the_file_read(project: Path) -> None:
    tree = scan_project(project)
    assert tree.root == project.resolve()
    assert tree.files == (
        ProjectFile("demo/__init__.py", project.resolve() / "demo" / "__init__.py"),
        ProjectFile("demo/data.txt", project.resolve() / "demo" / "data.txt"),
        ProjectFile("pyproject.toml", project.resolve() / "pyproject.toml"),
    )
    assert tree.links == ()


def test_tools_output_caches_and_venvs_are_skipped_but_hidden_files_count(project: Path) -> None:
    write_project(
        project,
        {
            ".gitignore": "build/\n",
            ".git/HEAD": "ref",
            "build/lib/x.py": "",
            "dist/demo.whl": "",
            "demo.egg-info/PKG-INFO": "",
            "demo/__pycache__/x.pyc": "",
            "demo/build/__init__.py": "",  # a package called build, below the top
            "venv/pyvenv.cfg": "home = /usr",
            "node_modules/x.js": "",
            ".coverage": "",
            "demo/mod.pyc": "",
            "app.pyz": "archive",
        },
    )
    assert _shown(project, ignore=[project / "app.pyz"]) == [  # type: ignore[arg-type]
        ".gitignore",
        "demo/__init__.py",
        "demo/build/__init__.py",
        "demo/data.txt",
        "pyproject.toml",
    ]


def test_links_inside_the_project_are_followed_and_their_targets_read(project: Path) -> None:
    write_project(project, {"shared/util.py": "U = 1\n"})
    (project / "demo" / "util.py").symlink_to("../shared/util.py")
    (project / "demo" / "more").symlink_to(project / "shared")
    tree = scan_project(project)
    real = project.resolve() / "shared" / "util.py"
    assert ProjectFile("demo/util.py", real) in tree.files
    assert ProjectFile("demo/more/util.py", real) in tree.files
    assert [shown for shown, _ in tree.links] == ["demo/more", "demo/util.py"]


def test_link_out_of_the_project_is_refused_unless_asked(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("password")
    (project / "demo" / "shadow").symlink_to(secret)
    assert _refused(project) == (
        f"symlink demo/shadow in the project points outside it, to {secret.resolve()}: "
        "remove it or copy what it points to into the project, or pass --follow-symlinks to "
        "bundle it anyway"
    )
    tree = scan_project(project, follow_symlinks=True)
    assert ProjectFile("demo/shadow", secret.resolve()) in tree.files


def test_directory_link_out_of_the_project_is_refused(project: Path, tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (project / "etc").symlink_to(tmp_path / "etc")
    assert _refused(project).startswith("symlink etc in the project points outside it, to ")


def test_dangling_link_is_one_line(project: Path) -> None:
    (project / "demo" / "gone.txt").symlink_to("nowhere.txt")
    assert _refused(project) == (
        "symlink demo/gone.txt in the project points to nowhere.txt, which does not exist: "
        "remove or fix it"
    )


def test_link_to_its_own_directory_is_refused_not_walked_forever(project: Path) -> None:
    (project / "self").symlink_to(".")
    assert _refused(project) == (
        f"symlink self in the project points to a directory that contains it "
        f"({project.resolve()}): remove or fix it"
    )
    (project / "self").unlink()
    (project / "demo" / "up").symlink_to("..")
    assert "symlink demo/up in the project points to a directory that contains it" in _refused(
        project
    )


def test_links_pointing_at_each_other_are_a_loop(project: Path) -> None:
    (project / "a").symlink_to("b")
    (project / "b").symlink_to("a")
    assert _refused(project) == (
        "symlink a in the project is part of a loop of links (a -> b): remove or fix it"
    )


def test_two_directories_linking_to_each_other_end(project: Path) -> None:
    write_project(project, {"one/x.py": "", "two/y.py": ""})
    (project / "one" / "to_two").symlink_to("../two")
    (project / "two" / "to_one").symlink_to("../one")
    message = _refused(project)
    assert "points to a directory that contains it" in message


def test_hidden_link_to_a_directory_outside_is_skipped_but_a_hidden_loop_is_not(
    project: Path, tmp_path: Path
) -> None:
    (tmp_path / "venv").mkdir()
    (project / ".venv").symlink_to(tmp_path / "venv")
    assert "pyproject.toml" in _shown(project)
    (project / ".self").symlink_to(".")
    assert "symlink .self in the project points to a directory that contains it" in _refused(
        project
    )


def test_a_fifo_is_listed_but_never_read(project: Path) -> None:
    os.mkfifo(project / "demo" / "pipe")
    assert ProjectFile("demo/pipe", None) in scan_project(project).files


def test_a_dependencys_walk_records_bad_links_and_ends(tmp_path: Path) -> None:
    lib = write_project(tmp_path / "lib", {"pyproject.toml": pyproject("lib")})
    (lib / "gone").symlink_to("nowhere")
    (lib / "self").symlink_to(".")
    (lib / "out").symlink_to(tmp_path)
    tree = scan_sources(lib)
    shown = [item.relative for item in tree.files]
    assert "gone" in shown and "self" in shown
    assert "out/lib/pyproject.toml" not in shown  # out -> tmp_path holds lib: a loop
    assert "pyproject.toml" in shown


def test_not_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert _refused(tmp_path / "file") == (
        f"project directory {(tmp_path / 'file').resolve()} is not a directory"
    )


@pytest.mark.parametrize(
    ("name", "top", "skipped"),
    [(".git", False, True), ("build", True, True), ("build", False, False), ("pkg", True, False)],
)
def test_skipped_directories(tmp_path: Path, name: str, top: bool, skipped: bool) -> None:
    assert is_skipped_dir(name, tmp_path / name, top=top) is skipped
