"""The payload: which files and modules of the reached packages go into the archive, how
the runtime loads each module and where it comes from, and the project's generated
dist-info."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from bundler.config import ProjectMetadata
from bundler.entrypoint import EntryPoint
from bundler.environment import environment_for, staged_environment
from bundler.plan.payload import (
    PayloadModule,
    file_size,
    package_inits,
    plan_payload,
    python_directories,
    read_file,
)
from bundler.resolve import ModuleKind, resolve_imports
from bundler.runtime import EXTENSION, NAMESPACE, SOURCE
from tests.conftest import write_project
from tests.helpers.environments import fake_interpreter, install_distribution
from tests.plan.conftest import APP, MAIN, SO, Planned, plan, plan_app, plan_project


def _members(planned: Planned, prefix: str) -> list[str]:
    return [member for member in planned.payload.files if member.startswith(prefix)]


def _record_line(member: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{member},sha256={digest},{len(data)}"


# -- what is included ------------------------------------------------------------------------


def test_reached_package_is_included_whole_with_its_dist_info(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_distribution(
        site,
        "dep",
        {
            "dep/__init__.py": "",
            "dep/used.py": "",
            "dep/unused.py": "",
            "dep/data/table.txt": "rows",
            "dep/deep/__init__.py": "",
            "dep/deep/inner.py": "",
        },
        entry_points="[console_scripts]\ndep = dep.used:main\n",
    )
    install_distribution(site, "other", {"other/__init__.py": ""})
    planned = plan_app(tmp_path, "dep.used")

    assert _members(planned, "dep") == [
        "dep-1.0.dist-info/METADATA",
        "dep-1.0.dist-info/RECORD",
        "dep-1.0.dist-info/entry_points.txt",
        "dep/__init__.py",
        "dep/data/table.txt",
        "dep/deep/__init__.py",
        "dep/deep/inner.py",
        "dep/unused.py",
        "dep/used.py",
    ]
    assert planned.payload.files["dep/unused.py"] == site / "dep/unused.py"
    assert _members(planned, "other") == []
    assert planned.payload.distributions == ("app-1.0.dist-info", "dep-1.0.dist-info")
    assert dict(planned.payload.units) == {"app": ModuleKind.PROJECT, "dep": ModuleKind.THIRD_PARTY}


def test_only_the_reached_portions_of_a_namespace_package_are_included(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_distribution(site, "ns-a", {"ns/a/__init__.py": "", "ns/a/mod.py": ""})
    install_distribution(site, "ns-b", {"ns/b/__init__.py": ""})
    planned = plan_app(tmp_path, "ns.a")

    assert _members(planned, "ns") == [
        "ns/a/__init__.py",
        "ns/a/mod.py",
        "ns_a-1.0.dist-info/METADATA",
        "ns_a-1.0.dist-info/RECORD",
    ]
    assert planned.module("ns") == (None, True, NAMESPACE, "namespace")
    assert planned.module("ns.a") == ("ns/a/__init__.py", True, SOURCE, "third-party")
    assert "ns_b-1.0.dist-info" not in planned.payload.distributions


def test_namespace_package_reached_alone_brings_no_files(tmp_path: Path) -> None:
    install_distribution(tmp_path / "site", "ns-a", {"ns/a/__init__.py": ""})
    planned = plan_app(tmp_path, "ns")

    assert _members(planned, "ns") == []
    assert planned.module("ns") == (None, True, NAMESPACE, "namespace")
    assert planned.payload.distributions == ("app-1.0.dist-info",)


def test_a_reached_distribution_goes_in_with_every_file_it_installed(tmp_path: Path) -> None:
    install_distribution(tmp_path / "site", "single", {"single.py": "", "single_extra.py": ""})
    planned = plan_app(tmp_path, "single")

    assert _members(planned, "single") == [
        "single-1.0.dist-info/METADATA",
        "single-1.0.dist-info/RECORD",
        "single.py",
        "single_extra.py",
    ]
    assert planned.module("single") == ("single.py", False, SOURCE, "third-party")


def test_excluded_modules_leave_their_files_out(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site",
        "tool",
        {
            "tool/__init__.py": "",
            "tool/heavy.py": "",
            f"tool/heavy{SO}": "",
            "tool/heavy.pyi": "",
            "tool/heavy.txt": "data, not the module",
            "tool/heavyweight.py": "",
            "tool/tests/__init__.py": "",
            "tool/tests/data/x.json": "{}",
        },
    )
    root = write_project(tmp_path / "proj", {"app.py": f"import tool\n{MAIN}"})
    env = environment_for(fake_interpreter(), [root, tmp_path / "site"])
    exclude = ("tool.heavy", "tool.tests")
    graph = resolve_imports(EntryPoint("app", "main"), env, root, exclude=exclude)
    payload = plan_payload(graph, env, APP, exclude=exclude)

    assert sorted(m for m in payload.files if m.startswith("tool/")) == [
        "tool/__init__.py",
        "tool/heavy.txt",
        "tool/heavyweight.py",
    ]
    names = {module.name for module in payload.modules}
    assert {"tool", "tool.heavyweight"} <= names
    assert not names & {"tool.heavy", "tool.tests"}


def test_direct_url_json_and_pycache_are_left_out(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site",
        "dep",
        {
            "dep/__init__.py": "",
            "dep/mod.py": "",
            "dep/mod.pyc": "stale bytecode beside its source",
            "dep/sourceless.pyc": "bytecode without a source",
            "dep/__pycache__/mod.cpython-311.pyc": "cached",
            "dep-1.0.dist-info/direct_url.json": '{"url": "file:///home/builder/dep"}',
        },
    )
    # A stray __pycache__ in the dist-info directory too.
    write_project(tmp_path / "site/dep-1.0.dist-info/__pycache__", {"x.pyc": ""})
    planned = plan_app(tmp_path, "dep")

    assert _members(planned, "dep") == [
        "dep-1.0.dist-info/METADATA",
        "dep-1.0.dist-info/RECORD",
        "dep/__init__.py",
        "dep/mod.py",
        "dep/sourceless.pyc",
    ]


# -- the module index ----------------------------------------------------------------------


def test_index_lists_packages_modules_and_extensions(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site",
        "dep",
        {
            "dep/__init__.py": "",
            "dep/plain.py": "",
            f"dep/speed{SO}": "ELF",
            "dep/sub/__init__.py": "",
            "dep/sub/leaf.py": "",
            "dep/loose/mod.py": "",  # no __init__.py: a namespace inside the package
        },
    )
    planned = plan_app(tmp_path, "dep")

    dep_modules = {
        entry.name: (entry.member, entry.is_package, entry.load)
        for entry in planned.payload.modules
        if entry.name.startswith("dep")
    }
    assert dep_modules == {
        "dep": ("dep/__init__.py", True, SOURCE),
        "dep.loose": (None, True, NAMESPACE),
        "dep.loose.mod": ("dep/loose/mod.py", False, SOURCE),
        "dep.plain": ("dep/plain.py", False, SOURCE),
        "dep.speed": (f"dep/speed{SO}", False, EXTENSION),
        "dep.sub": ("dep/sub/__init__.py", True, SOURCE),
        "dep.sub.leaf": ("dep/sub/leaf.py", False, SOURCE),
    }
    assert [entry.name for entry in planned.payload.modules] == sorted(
        entry.name for entry in planned.payload.modules
    )


def test_extension_beats_source_and_package_beats_module(tmp_path: Path) -> None:
    """mypyc wheels ship ``md.py`` beside ``md.<suffix>``; a package shadows a module."""
    install_distribution(
        tmp_path / "site",
        "dep",
        {
            "dep/__init__.py": "",
            "dep/md.py": "",
            f"dep/md{SO}": "ELF",
            "dep/both.py": "",
            "dep/both/__init__.py": "",
            "dep/ranked.abi3.so": "ELF",
            f"dep/ranked{SO}": "ELF",
        },
    )
    planned = plan_app(tmp_path, "dep")

    assert planned.module("dep.md") == (f"dep/md{SO}", False, EXTENSION, "extension")
    assert planned.module("dep.both") == ("dep/both/__init__.py", True, SOURCE, "third-party")
    # The interpreter's suffixes rank in its order: the version-specific one first.
    assert planned.module("dep.ranked") == (f"dep/ranked{SO}", False, EXTENSION, "extension")


def test_every_module_file_finder_would_find_is_indexed_whatever_its_name(
    tmp_path: Path,
) -> None:
    """``importlib.import_module("dep.test-data.helper")`` works in a virtualenv; a name
    with a dot in a directory or a file stem cannot be imported."""
    install_distribution(
        tmp_path / "site",
        "dep",
        {
            "dep/__init__.py": "",
            "dep/test-data/helper.py": "",
            "dep/1st.py": "",
            "dep/unicode17-0-0.py": "",
            f"dep/ext-dir/fast{SO}": "ELF",
            "dep/v1.2/mod.py": "",
            "dep/two.parts.py": "",
        },
    )
    planned = plan_app(tmp_path, "dep")

    assert [m.name for m in planned.payload.modules if m.name.startswith("dep")] == [
        "dep",
        "dep.1st",
        "dep.ext-dir",
        "dep.ext-dir.fast",
        "dep.test-data",
        "dep.test-data.helper",
        "dep.unicode17-0-0",
    ]
    assert planned.module("dep.unicode17-0-0") == (
        "dep/unicode17-0-0.py",
        False,
        SOURCE,
        "third-party",
    )


# -- where modules come from ---------------------------------------------------------------


def test_origin_is_project_for_the_project_and_third_party_for_a_distribution(
    tmp_path: Path,
) -> None:
    install_distribution(tmp_path / "site", "dep", {"dep/__init__.py": "", "dep/util.py": ""})
    planned = plan_project(
        tmp_path,
        {"app/__init__.py": "", "app/main.py": f"import dep.util\n{MAIN}", f"app/speed{SO}": ""},
        entry="app.main:main",
    )

    origins = {entry.name: entry.origin for entry in planned.payload.modules}
    assert origins == {
        "app": ModuleKind.PROJECT,
        "app.main": ModuleKind.PROJECT,
        "app.speed": ModuleKind.PROJECT,
        "dep": ModuleKind.THIRD_PARTY,
        "dep.util": ModuleKind.THIRD_PARTY,
    }


def test_installed_project_keeps_its_own_dist_info_and_is_project(tmp_path: Path) -> None:
    """A staged build installs the project: its modules are found through its RECORD."""
    site = tmp_path / "site"
    install_distribution(site, "app", {"app/__init__.py": f"import dep\n{MAIN}"}, version="3.0")
    install_distribution(site, "dep", {"dep/__init__.py": ""})
    env = staged_environment(fake_interpreter(), site, "app")
    planned = plan(env, tmp_path / "proj", "app:main")

    assert planned.payload.distributions == ("app-3.0.dist-info", "dep-1.0.dist-info")
    metadata = "app-3.0.dist-info/METADATA"
    assert planned.payload.files[metadata] == site / metadata
    assert planned.module("app") == ("app/__init__.py", True, SOURCE, "project")
    assert planned.module("dep") == ("dep/__init__.py", True, SOURCE, "third-party")


# -- the project's generated dist-info -------------------------------------------------------


def test_project_dist_info_is_generated_with_hashes_in_its_record(tmp_path: Path) -> None:
    install_distribution(tmp_path / "site", "dep", {"dep/__init__.py": ""})
    project = ProjectMetadata(
        name="My-App",
        version="2.0",
        requires_python=">=3.9",
        dependencies=("dep>=1",),
        scripts={"my-app": "app.main:main"},
        entry_points={"my_app.plugins": {"b": "app.main:B", "a": "app.main:A"}},
        summary="An app",
    )
    sources = {"app/__init__.py": "", "app/main.py": f"import dep\n{MAIN}"}
    planned = plan_project(tmp_path, sources, "app.main:main", project)
    files = planned.payload.files

    assert "my_app-2.0.dist-info" in planned.payload.distributions
    generated = {
        "my_app-2.0.dist-info/INSTALLER": b"bundler\n",
        "my_app-2.0.dist-info/METADATA": (
            b"Metadata-Version: 2.1\nName: My-App\nVersion: 2.0\nSummary: An app\n"
            b"Requires-Python: >=3.9\nRequires-Dist: dep>=1\n"
        ),
        "my_app-2.0.dist-info/entry_points.txt": (
            b"[console_scripts]\nmy-app = app.main:main\n\n"
            b"[my_app.plugins]\na = app.main:A\nb = app.main:B\n\n"
        ),
        "my_app-2.0.dist-info/top_level.txt": b"app\n",
    }
    for member, data in generated.items():
        assert files[member] == data, member
    listed = {
        **generated,
        "app/__init__.py": b"",
        "app/main.py": f"import dep\n{MAIN}".encode(),
    }
    expected = sorted(
        [_record_line(m, data) for m, data in listed.items()] + ["my_app-2.0.dist-info/RECORD,,"]
    )
    assert files["my_app-2.0.dist-info/RECORD"] == ("\n".join(expected) + "\n").encode()


def test_project_without_entry_points_gets_no_entry_points_txt(tmp_path: Path) -> None:
    planned = plan_project(tmp_path, {"app.py": MAIN})

    assert _members(planned, "app-1.0.dist-info/") == [
        "app-1.0.dist-info/INSTALLER",
        "app-1.0.dist-info/METADATA",
        "app-1.0.dist-info/RECORD",
        "app-1.0.dist-info/top_level.txt",
    ]


def test_top_level_txt_names_each_top_level_package_once(tmp_path: Path) -> None:
    """Two project packages in one namespace package are two units with one top level."""
    sources = {
        "corp/app/__init__.py": "import corp.tools\n" + MAIN,
        "corp/tools/__init__.py": "",
    }
    planned = plan_project(tmp_path, sources, "corp.app:main")

    assert planned.payload.files["app-1.0.dist-info/top_level.txt"] == b"corp\n"


# -- native code -------------------------------------------------------------------------------


def test_native_companions_of_included_distributions_are_included(tmp_path: Path) -> None:
    """auditwheel's ``<dist>.libs`` and mypyc's top-level helper: no import names them."""
    site = tmp_path / "site"
    install_distribution(
        site,
        "nat",
        {
            "nat/__init__.py": "",
            f"nat/core{SO}": "ELF",
            "nat.libs/libblas-1a2b3c.so.0": "ELF",
            f"1a2b3c__mypyc{SO}": "ELF",
        },
    )
    install_distribution(
        site, "unreached", {"unreached/__init__.py": "", "unreached.libs/libz.so": "ELF"}
    )
    planned = plan_app(tmp_path, "nat")

    assert _members(planned, "nat.libs/") == ["nat.libs/libblas-1a2b3c.so.0"]
    assert planned.payload.files[f"1a2b3c__mypyc{SO}"] == site / f"1a2b3c__mypyc{SO}"
    assert _members(planned, "unreached") == []
    # C code imports the helper by its file name, which need not be an identifier.
    assert planned.module("1a2b3c__mypyc") == (f"1a2b3c__mypyc{SO}", False, EXTENSION, "extension")
    assert "nat.libs" not in {entry.name for entry in planned.payload.modules}


# -- reading payload files ---------------------------------------------------------------------


def test_read_file_and_file_size_take_bytes_or_a_path(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"12345")

    assert read_file(b"inline") == b"inline"
    assert read_file(path) == b"12345"
    assert file_size(b"inline") == 6
    assert file_size(path) == 5


def test_python_directories_are_every_directory_above_python_code() -> None:
    files = [
        "pkg/__init__.py",
        "pkg/sub/deep/mod.py",
        "pkg/data/table.csv",
        "top.py",
        "other/readme.txt",
    ]

    assert python_directories(files) == {"pkg", "pkg/sub", "pkg/sub/deep"}


def test_package_inits_are_the_init_files_above_a_module() -> None:
    modules = {
        entry.name: entry
        for entry in (
            PayloadModule("top", "top/__init__.py", True, SOURCE),
            PayloadModule("top.ns", None, True, NAMESPACE),
            PayloadModule("top.ns.fast", "top/ns/fast/__init__.cpython-311.so", True, EXTENSION),
            PayloadModule("top.ns.fast.sub", "top/ns/fast/sub/__init__.py", True, SOURCE),
        )
    }
    assert package_inits(modules, "top.ns.fast.sub.mod") == (
        "top/__init__.py",
        "top/ns/fast/sub/__init__.py",
    )
    assert package_inits(modules, "top") == ()


def test_record_hashes_large_files_in_blocks(tmp_path: Path) -> None:
    """A data file larger than memory is hashed for RECORD without being read whole."""
    from bundler.plan import payload as payload_module

    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (3 << 20))
    reads: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, *args: object, **kwargs: object) -> object:
        stream = real_open(self, *args, **kwargs)  # type: ignore[arg-type]
        real_read = stream.read

        def read(size: int = -1) -> bytes:
            assert 0 < size <= 1 << 20, "read whole"
            reads.append(size)
            return real_read(size)  # type: ignore[no-any-return]

        stream.read = read  # type: ignore[method-assign]
        return stream

    Path.open = counting_open  # type: ignore[assignment,method-assign]
    try:
        digest, size = payload_module._file_digest(big)
    finally:
        Path.open = real_open  # type: ignore[method-assign]
    assert (digest.hexdigest(), size) == (hashlib.sha256(b"x" * (3 << 20)).hexdigest(), 3 << 20)
    assert len(reads) == 4  # three blocks and the empty read at the end
