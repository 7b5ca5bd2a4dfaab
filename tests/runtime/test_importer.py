"""The archive's finder and loader (runtime/importer.py) over the demo archive.

Modules are executed from the specs the importer gives, without touching this process's
``sys.meta_path``; ``install_importer`` runs in a subprocess.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.resources
import importlib.util
import json
import linecache
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from bundler.archive.bytecode import bytecode_member
from bundler.runtime.importer import ArchiveImporter, ArchivePathFinder
from bundler.runtime.metadata import ArchiveDistribution
from bundler.runtime.resources import ArchivePath, ArchiveResourceReader
from bundler.runtime.special import NamespaceLoader
from tests.helpers.pythons import clean_env
from tests.runtime.conftest import DEMO_FILES, BuiltArchive

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def importer(demo_archive: BuiltArchive) -> ArchiveImporter:
    return ArchiveImporter(str(demo_archive.path), demo_archive.index)


def _path(importer: ArchiveImporter, member: str) -> str:
    return f"{importer.archive.path}/{member}"


def _execute(importer: ArchiveImporter, name: str) -> types.ModuleType:
    """Import ``name`` from its spec, without ``sys.modules`` or ``sys.meta_path``."""
    spec = importer.find_spec(name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _main_and_file(module: types.ModuleType) -> tuple[str, str]:
    """What ``main()`` returns, and the file its code says it comes from."""
    return module.main(), module.main.__code__.co_filename


def _record_reads(importer: ArchiveImporter, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The members the importer's archive reads from now on."""
    reads: list[str] = []
    read = importer.archive.read

    def recording(member: str) -> bytes:
        reads.append(member)
        return read(member)

    monkeypatch.setattr(importer.archive, "read", recording)
    return reads


# -- find_spec ---------------------------------------------------------------------------------


def test_spec_of_a_package(importer: ArchiveImporter) -> None:
    spec = importer.find_spec("demo")
    assert spec is not None
    found = (spec.loader, spec.origin, spec.has_location, spec.submodule_search_locations)
    assert found == (
        importer,
        _path(importer, "demo/__init__.py"),
        True,
        [_path(importer, "demo")],
    )


def test_spec_of_a_module(importer: ArchiveImporter) -> None:
    spec = importer.find_spec("demo.sub.deep")
    assert spec is not None
    found = (spec.loader, spec.origin, spec.submodule_search_locations, spec.parent)
    assert found == (importer, _path(importer, "demo/sub/deep.py"), None, "demo.sub")


def test_spec_of_a_namespace_package(importer: ArchiveImporter) -> None:
    spec = importer.find_spec("nsroot")
    assert spec is not None
    assert type(spec.loader) is NamespaceLoader
    assert (spec.origin, list(spec.submodule_search_locations or [])) == (
        None,
        [_path(importer, "nsroot")],
    )


def test_namespace_package_executes_without_a_file(importer: ArchiveImporter) -> None:
    module = _execute(importer, "nsroot")
    assert (module.__file__, list(module.__path__)) == (None, [_path(importer, "nsroot")])


@pytest.mark.parametrize("name", ["absent", "demo.absent", "json"])
def test_modules_not_in_the_archive_have_no_spec(importer: ArchiveImporter, name: str) -> None:
    assert importer.find_spec(name) is None


def test_patched_stdlib_module_gets_its_usual_spec(importer: ArchiveImporter) -> None:
    spec = importer.find_spec("linecache")
    assert spec is not None
    assert spec.origin == linecache.__file__
    assert spec.loader is not importer


# -- the loader ---------------------------------------------------------------------------------


def test_executed_module_has_its_archive_file(importer: ArchiveImporter) -> None:
    module = _execute(importer, "demo.cli")
    assert module.__file__ == _path(importer, "demo/cli.py")
    assert _main_and_file(module) == ("hello", _path(importer, "demo/cli.py"))


def test_get_code_uses_the_build_time_bytecode(
    importer: ArchiveImporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _record_reads(importer, monkeypatch)
    code = importer.get_code("demo.cli")
    assert code.co_filename == _path(importer, "demo/cli.py")
    assert reads == [bytecode_member("demo/cli.py")]


def test_get_code_of_a_missing_module_is_an_import_error(importer: ArchiveImporter) -> None:
    with pytest.raises(ImportError) as raised:
        importer.get_code("demo.absent")
    assert raised.value.name == "demo.absent"


def test_get_code_of_a_namespace_package_is_an_import_error(importer: ArchiveImporter) -> None:
    with pytest.raises(ImportError) as raised:
        importer.get_code("nsroot")
    assert str(raised.value) == "no source or bytecode for 'nsroot'"


def test_get_source(importer: ArchiveImporter) -> None:
    assert importer.get_source("demo.cli") == DEMO_FILES["demo/cli.py"].decode()
    assert importer.get_source("nsroot") is None


def test_get_filename_and_is_package(importer: ArchiveImporter) -> None:
    found = {
        name: (importer.get_filename(name), importer.is_package(name))
        for name in ("demo", "demo.cli")
    }
    assert found == {
        "demo": (_path(importer, "demo/__init__.py"), True),
        "demo.cli": (_path(importer, "demo/cli.py"), False),
    }


def test_is_package_of_a_missing_module_is_an_import_error(importer: ArchiveImporter) -> None:
    with pytest.raises(ImportError):
        importer.is_package("absent")


def test_get_data_reads_members_by_path(importer: ArchiveImporter) -> None:
    words = _path(importer, "demo/data/words.txt")
    assert importer.get_data(words) == DEMO_FILES["demo/data/words.txt"]
    assert importer.get_data(Path(words)) == DEMO_FILES["demo/data/words.txt"]  # type: ignore[arg-type]


def test_get_data_reads_files_outside_the_archive(
    importer: ArchiveImporter, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"on disk")
    assert importer.get_data(str(outside)) == b"on disk"


def test_get_data_of_a_missing_member_is_file_not_found(importer: ArchiveImporter) -> None:
    with pytest.raises(FileNotFoundError):
        importer.get_data(_path(importer, "demo/absent.txt"))


def test_source_of_path_serves_archived_python_files_only(
    importer: ArchiveImporter, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    found = [
        importer.source_of_path(path)
        for path in (
            _path(importer, "demo/cli.py"),
            _path(importer, "demo/data/words.txt"),
            _path(importer, "demo/absent.py"),
            str(outside),
        )
    ]
    assert found == [DEMO_FILES["demo/cli.py"].decode(), None, None, None]


def test_repr_names_the_archive(importer: ArchiveImporter) -> None:
    assert repr(importer) == f"<ArchiveImporter {importer.archive.path!r}>"


# -- resources and metadata --------------------------------------------------------------------


def test_packages_have_one_resource_reader_each(importer: ArchiveImporter) -> None:
    reader = importer.get_resource_reader("demo")
    assert isinstance(reader, ArchiveResourceReader)
    assert importer.get_resource_reader("demo") is reader
    assert reader.files() == ArchivePath(importer.archive, "demo")


@pytest.mark.parametrize("name", ["demo.cli", "absent"])
def test_modules_that_are_not_packages_have_no_resource_reader(
    importer: ArchiveImporter, name: str
) -> None:
    assert importer.get_resource_reader(name) is None


def test_namespace_package_reads_resources_from_the_archive(importer: ArchiveImporter) -> None:
    spec = importer.find_spec("nsroot")
    assert spec is not None
    reader = spec.loader.get_resource_reader("nsroot")  # type: ignore[union-attr]
    assert reader.files() == ArchivePath(importer.archive, "nsroot")


def test_importlib_resources_files_reads_package_data(importer: ArchiveImporter) -> None:
    demo = _execute(importer, "demo")
    words = importlib.resources.files(demo).joinpath("data/words.txt")
    assert words.read_bytes() == DEMO_FILES["demo/data/words.txt"]


def test_find_distributions_serves_the_archived_dist_info(importer: ArchiveImporter) -> None:
    context = importlib.metadata.DistributionFinder.Context(name="demo")
    (found,) = importer.find_distributions(context)
    assert isinstance(found, ArchiveDistribution)
    assert found.version == "1.0"


# -- listing modules ------------------------------------------------------------------------------


def test_iter_package_lists_the_modules_directly_inside(importer: ArchiveImporter) -> None:
    assert list(importer.iter_package("demo")) == [("cli", False), ("sub", True)]
    assert list(importer.iter_package("")) == [("demo", True), ("nsroot", True), ("top", False)]
    assert list(importer.iter_package("demo.sub")) == [("deep", False)]


def test_path_finder_iter_modules_adds_the_prefix(importer: ArchiveImporter) -> None:
    finder = ArchivePathFinder(importer, "demo")
    assert list(finder.iter_modules("demo.")) == [("demo.cli", False), ("demo.sub", True)]


def test_path_finder_finds_the_archives_modules(importer: ArchiveImporter) -> None:
    spec = ArchivePathFinder(importer, "demo").find_spec("demo.cli")
    assert spec is not None
    assert (spec.loader, spec.origin) == (importer, _path(importer, "demo/cli.py"))


def test_path_finder_without_fallback_finds_nothing_else(importer: ArchiveImporter) -> None:
    finder = ArchivePathFinder(importer, "")
    assert finder.find_spec("linecache") is None
    assert finder.find_spec("absent") is None


def test_path_finder_asks_its_fallback_for_other_modules(importer: ArchiveImporter) -> None:
    asked: list[str] = []
    fallback_spec = importlib.machinery.ModuleSpec("other", None)

    class Fallback:
        def find_spec(self, fullname: str, target: object = None) -> Any:
            asked.append(fullname)
            return fallback_spec

    finder = ArchivePathFinder(importer, "", Fallback())
    assert finder.find_spec("other") is fallback_spec
    assert finder.find_spec("top") is not fallback_spec
    assert asked == ["other"]


def test_root_path_finder_asks_zipimport_only_for_the_stub_and_the_runtime(
    importer: ArchiveImporter,
) -> None:
    finder = ArchivePathFinder(importer, "", outer=importer.archive.path)
    assert (finder.find_spec("linecache"), finder.fallback) == (None, None)
    spec = finder.find_spec("_bundler_runtime")
    assert spec is not None and spec.origin == _path(importer, "_bundler_runtime/__init__.pyc")
    assert finder.fallback is not None


def test_path_finder_accepts_a_fallback_with_find_loader_only(importer: ArchiveImporter) -> None:
    """zipimport's zipimporter on Python 3.9 has find_loader, not find_spec."""
    loader = importlib.machinery.SourceFileLoader("other", "/nowhere/other.py")

    class OldFallback:
        def find_loader(self, fullname: str) -> tuple[Any, list[str]]:
            return (loader if fullname == "other" else None), []

    finder = ArchivePathFinder(importer, "", OldFallback())
    spec = finder.find_spec("other")
    assert spec is not None
    assert (spec.name, spec.loader) == ("other", loader)
    assert finder.find_spec("absent") is None


# -- install_importer, in a process of its own --------------------------------------------------

_INSTALLED = """
import importlib.metadata, importlib.resources, json, linecache, marshal, pkgutil, sys, zipfile
from bundler.runtime.importer import install_importer

path = sys.argv[1]
index = marshal.loads(zipfile.ZipFile(path).read(".bundle/index"))
install_importer(path, index)
import demo.cli, demo.sub.deep, nsroot.part

print(json.dumps({
    "first finder": type(sys.meta_path[0]).__name__,
    "main": demo.cli.main(),
    "file": demo.cli.__file__,
    "deep": demo.sub.deep.WORD,
    "part": nsroot.part.PART,
    "namespace path": list(nsroot.__path__),
    "words": importlib.resources.files("demo").joinpath("data/words.txt").read_text("utf-8"),
    "submodules": [m.name for m in pkgutil.iter_modules(demo.__path__)],
    "top level": sorted(m.name for m in pkgutil.iter_modules([path])),
    "version": importlib.metadata.version("demo"),
    "line": linecache.getline(demo.cli.__file__, 2),
}))
"""


def test_installed_importer_imports_from_the_archive(
    demo_archive: BuiltArchive, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _INSTALLED, str(demo_archive.path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(PYTHONPATH=str(REPO), BUNDLER_CACHE=str(tmp_path / "cache")),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    path = str(demo_archive.path)
    assert json.loads(result.stdout) == {
        "first finder": "ArchiveImporter",
        "main": "hello",
        "file": f"{path}/demo/cli.py",
        "deep": "deep",
        "part": "part",
        "namespace path": [f"{path}/nsroot"],
        "words": "alpha\nbeta\ncafé\n",
        "submodules": ["cli", "sub"],
        "top level": ["demo", "nsroot", "top"],
        "version": "1.0",
        "line": "    return 'hello'\n",
    }
