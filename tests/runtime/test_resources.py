"""``importlib.resources`` over the archive (runtime/resources.py): ArchivePath behaves
like ``pathlib.Path`` for reading, and ArchiveResourceReader serves one package."""

from __future__ import annotations

import importlib.resources

import pytest

from bundler.runtime.reader import Archive
from bundler.runtime.resources import ArchivePath, ArchiveResourceReader
from tests.runtime.conftest import DEMO_FILES, BuiltArchive

WORDS = "alpha\nbeta\ncafé\n"


@pytest.fixture
def demo(archive: Archive) -> ArchivePath:
    """The ``demo`` package directory."""
    return ArchivePath(archive, "demo")


def test_reader_files_is_the_package_directory(archive: Archive, demo: ArchivePath) -> None:
    assert ArchiveResourceReader(archive, "demo").files() == demo


@pytest.mark.parametrize(
    ("resource", "expected"),
    [("cli.py", True), ("data/words.txt", True), ("data", False), ("absent.txt", False)],
)
def test_is_resource_is_true_for_files_only(
    archive: Archive, resource: str, expected: bool
) -> None:
    assert ArchiveResourceReader(archive, "demo").is_resource(resource) is expected


def test_open_resource_reads_bytes(archive: Archive) -> None:
    with ArchiveResourceReader(archive, "demo").open_resource("cli.py") as stream:
        assert stream.read() == DEMO_FILES["demo/cli.py"]


@pytest.mark.parametrize(
    ("at", "is_file", "is_dir"),
    [
        ("demo/cli.py", True, False),
        ("demo/data", False, True),
        ("demo/data/nested", False, True),
        ("", False, True),
        ("demo/absent", False, False),
    ],
)
def test_is_file_and_is_dir(archive: Archive, at: str, is_file: bool, is_dir: bool) -> None:
    path = ArchivePath(archive, at)
    assert (path.is_file(), path.is_dir(), path.exists()) == (is_file, is_dir, is_file or is_dir)


def test_iterdir_lists_files_and_directories_sorted(demo: ArchivePath) -> None:
    names = [child.name for child in (demo / "data").iterdir()]
    assert names == ["nested", "words.txt", "zeros.bin"]


def test_iterdir_children_are_paths_below_their_directory(demo: ArchivePath) -> None:
    data = demo / "data"
    assert next(data.iterdir()) == data / "nested"
    assert (data / "nested").parent == data


def test_iterdir_yields_only_paths_that_exist(demo: ArchivePath) -> None:
    assert [child.name for child in demo.iterdir() if not child.exists()] == []


@pytest.mark.parametrize("at", ["demo/cli.py", "demo/absent"])
def test_iterdir_of_what_is_not_a_directory_is_refused(archive: Archive, at: str) -> None:
    with pytest.raises(NotADirectoryError):
        list(ArchivePath(archive, at).iterdir())


def test_joinpath_takes_several_parts(archive: Archive, demo: ArchivePath) -> None:
    assert demo.joinpath("data", "words.txt") == ArchivePath(archive, "demo/data/words.txt")
    assert demo / "data" / "words.txt" == ArchivePath(archive, "demo/data/words.txt")


def test_joinpath_normalises_dots(archive: Archive, demo: ArchivePath) -> None:
    assert demo.joinpath("data/../cli.py") == ArchivePath(archive, "demo/cli.py")
    assert demo.joinpath("./data/") == ArchivePath(archive, "demo/data")
    assert demo.joinpath("..") == ArchivePath(archive, "")


def test_name_and_parent(archive: Archive, demo: ArchivePath) -> None:
    words = demo / "data" / "words.txt"
    assert (words.name, words.parent) == ("words.txt", ArchivePath(archive, "demo/data"))
    assert (demo.name, demo.parent) == ("demo", ArchivePath(archive, ""))


def test_open_binary_reads_the_member(demo: ArchivePath) -> None:
    with (demo / "data/nested/blob.bin").open("rb") as stream:
        assert stream.read() == bytes(range(256))


def test_open_text_decodes_with_the_given_encoding(demo: ArchivePath) -> None:
    with (demo / "data/words.txt").open("r", encoding="utf-8") as stream:
        assert stream.readlines() == ["alpha\n", "beta\n", "café\n"]
    with (demo / "data/words.txt").open(encoding="latin-1") as stream:
        assert stream.read() == WORDS.encode().decode("latin-1")


def test_read_text_and_read_bytes(demo: ArchivePath) -> None:
    assert (demo / "data/words.txt").read_text(encoding="utf-8") == WORDS
    assert (demo / "data/words.txt").read_bytes() == WORDS.encode()


def test_read_text_honours_errors(demo: ArchivePath) -> None:
    text = (demo / "data/nested/blob.bin").read_text(encoding="ascii", errors="replace")
    # Text mode translates newlines, as pathlib's read_text does: the lone \r too.
    assert text == bytes(range(128)).decode("ascii").replace("\r", "\n") + "\ufffd" * 128


def test_reading_a_directory_is_refused(demo: ArchivePath) -> None:
    with pytest.raises(IsADirectoryError):
        (demo / "data").read_bytes()


def test_reading_a_missing_file_is_file_not_found(demo: ArchivePath) -> None:
    with pytest.raises(FileNotFoundError):
        (demo / "absent.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("mode", ["w", "wb", "a", "r+", "rb+"])
def test_writing_is_refused(demo: ArchivePath, mode: str) -> None:
    words = demo / "data/words.txt"
    with pytest.raises(PermissionError) as raised:
        words.open(mode)
    assert str(raised.value) == f"{words} is inside an archive and cannot be written"


def test_as_file_gives_a_real_file_with_the_contents(demo: ArchivePath) -> None:
    with importlib.resources.as_file(demo / "data/words.txt") as real:
        assert real.read_text(encoding="utf-8") == WORDS


def test_paths_are_equal_and_hash_alike_by_archive_and_member(
    archive: Archive, demo: ArchivePath
) -> None:
    same = ArchivePath(archive, "demo/")
    assert same == demo
    assert hash(same) == hash(demo)
    assert len({same, demo, demo / "cli.py"}) == 2


def test_paths_of_another_archive_object_are_not_equal(
    demo_archive: BuiltArchive, demo: ArchivePath
) -> None:
    assert ArchivePath(demo_archive.open(), "demo") != demo
    assert demo != str(demo)


def test_str_and_repr_name_the_file_inside_the_archive(archive: Archive) -> None:
    path = ArchivePath(archive, "demo/cli.py")
    assert str(path) == f"{archive.path}/demo/cli.py"
    assert repr(path) == f"ArchivePath({archive.path + '/demo/cli.py'!r})"
