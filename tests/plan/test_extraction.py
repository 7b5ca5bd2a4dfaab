"""The extraction plan: which units of native code and zip-unsafe packages the runtime
writes out, what each needs first, why, and the tables the index and the manifest keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.plan.extraction import ExtractionPlan, ExtractReason, ExtractUnit, plan_extraction
from bundler.plan.native import NativeCode
from bundler.plan.unsafe import Overrides
from bundler.runtime import native_record, unit_record
from tests.helpers.environments import install_distribution
from tests.plan.conftest import MAIN, OPENS_BESIDE, SO, plan_app, plan_project

BUILT_FOR = "CPython 3.11 on linux x86_64 (cp311-cp311-manylinux_2_17_x86_64)"
UNSAFE_REASON = "zip-unsafe: uns/__init__.py:2 open() of a path next to __file__"


def _wheel(name: str) -> dict[str, str]:
    """The WHEEL file of distribution ``name`` 1.0, built for CPython 3.11 on Linux."""
    tag = "Wheel-Version: 1.0\nTag: cp311-cp311-manylinux_2_17_x86_64\n"
    return {f"{name}-1.0.dist-info/WHEEL": tag}


def _extraction(tmp_path: Path, imports: str, overrides: Overrides | None = None) -> ExtractionPlan:
    """The plan for an app that imports ``imports`` from what the test installed."""
    planned = plan_app(tmp_path, imports)
    return plan_extraction(planned.graph, planned.payload, planned.env, overrides)


# -- native units ------------------------------------------------------------------------------


def test_extension_directory_is_a_unit_of_its_native_and_data_files(tmp_path: Path) -> None:
    """Python modules and subpackages beside an extension keep importing from the zip."""
    install_distribution(
        tmp_path / "site",
        "nat",
        {
            # Reads its data through importlib.resources: not zip-unsafe for shipping it.
            "nat/__init__.py": "import importlib.resources\nimport nat.core\n",
            f"nat/core{SO}": "c" * 100,
            "nat/helpers.py": "",
            "nat/stubs.pyi": "",
            "nat/README.txt": "r" * 3,
            "nat/data/table.bin": "t" * 10,
            "nat/data/nested/more.bin": "m" * 5,
            "nat/data/nested/stub.pyi": "s",
            "nat/examples/tool.py": "p",  # Python below: not a data folder
            "nat/sub/__init__.py": "",
            "nat/sub/values.json": "{}",
            **_wheel("nat"),
        },
    )
    plan = _extraction(tmp_path, "nat")

    assert plan.units == {
        f"nat/core{SO}": ExtractUnit(f"nat/core{SO}", (f"nat/core{SO}",), ("nat",), "nat", 100),
        "nat": ExtractUnit(
            key="nat",
            members=(
                "nat/README.txt",
                "nat/data/nested/more.bin",
                "nat/data/nested/stub.pyi",
                "nat/data/table.bin",
                "nat/stubs.pyi",
            ),
            needs=(),
            distribution="nat",
            size=19,
        ),
    }
    assert plan.modules == {"nat.core": f"nat/core{SO}"}


def test_each_extension_module_is_a_unit_of_its_own(tmp_path: Path) -> None:
    """Extracted when imported: numpy's ``_simd`` or test modules are not with its core."""
    install_distribution(
        tmp_path / "site",
        "nat",
        {
            "nat/__init__.py": "import importlib.resources\nimport nat.core\n",
            f"nat/core{SO}": "c" * 100,
            f"nat/_tests{SO}": "t" * 50,
            "nat/table.bin": "b" * 3,
            **_wheel("nat"),
        },
    )
    plan = _extraction(tmp_path, "nat, nat._tests")

    assert plan.units[f"nat/core{SO}"].members == (f"nat/core{SO}",)
    assert plan.units[f"nat/_tests{SO}"].members == (f"nat/_tests{SO}",)
    assert plan.units[f"nat/core{SO}"].needs == plan.units[f"nat/_tests{SO}"].needs == ("nat",)
    assert plan.units["nat"].members == ("nat/table.bin",)


def test_library_folders_are_units_that_extensions_need(tmp_path: Path) -> None:
    """auditwheel's ``nat.libs/`` and delocate's ``nat/.dylibs/``, even in a subpackage."""
    site = tmp_path / "site"
    install_distribution(
        site,
        "nat",
        {
            "nat/__init__.py": "",
            f"nat/core{SO}": "c" * 100,
            f"nat/sub/inner{SO}": "i" * 7,
            "nat/sub/__init__.py": "",
            "nat.libs/libblas-1a2b.so.0": "l" * 1000,
            "nat/.dylibs/libgfortran.dylib": "d" * 20,
            **_wheel("nat"),
        },
    )
    install_distribution(
        site, "oth", {"oth/__init__.py": "", f"oth/x{SO}": "", "oth.libs/libz.so": ""}
    )
    plan = _extraction(tmp_path, "nat, oth")

    # Not ELF files (these are made up): every library folder, whole.
    libraries = ("nat.libs/", "nat/.dylibs/")
    assert plan.units[f"nat/core{SO}"].needs == libraries
    assert plan.units[f"nat/sub/inner{SO}"].needs == libraries
    assert plan.units["nat.libs/"] == ExtractUnit(
        "nat.libs/", ("nat.libs/libblas-1a2b.so.0",), (), "nat", 1000
    )
    assert plan.units["nat/.dylibs/"] == ExtractUnit(
        "nat/.dylibs/", ("nat/.dylibs/libgfortran.dylib",), (), "nat", 20
    )
    assert plan.units[f"oth/x{SO}"].needs == ("oth.libs/",)
    assert plan.modules == {
        "nat.core": f"nat/core{SO}",
        "nat.sub.inner": f"nat/sub/inner{SO}",
        "oth.x": f"oth/x{SO}",
    }


def test_mypyc_helper_needs_every_native_unit_of_its_distribution(tmp_path: Path) -> None:
    """The shared ``<hash>__mypyc`` module initialises its whole group itself."""
    helper = f"9f8e__mypyc{SO}"
    install_distribution(
        tmp_path / "site",
        "nat",
        {
            "nat/__init__.py": "",
            f"nat/core{SO}": "c",
            "nat/sub/__init__.py": "",
            f"nat/sub/inner{SO}": "i",
            "nat.libs/libx.so": "l",
            helper: "h" * 5,
            **_wheel("nat"),
        },
    )
    plan = _extraction(tmp_path, "nat")

    group = ("nat.libs/", f"nat/core{SO}", f"nat/sub/inner{SO}")
    assert plan.units[helper] == ExtractUnit(helper, (helper,), group, "nat", 5)
    assert plan.units[f"nat/core{SO}"].needs == ("nat.libs/",)
    assert plan.modules[helper.split(".")[0]] == helper


# -- zip-unsafe packages -----------------------------------------------------------------------


def test_zip_unsafe_package_is_one_whole_unit_with_its_modules(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site",
        "uns",
        {
            "uns/__init__.py": OPENS_BESIDE,
            "uns/x.txt": "x" * 4,
            "uns/mod.py": "",
            "uns/sub/__init__.py": "",
        },
    )
    plan = _extraction(tmp_path, "uns")

    size = len(OPENS_BESIDE) + 4
    members = ("uns/__init__.py", "uns/mod.py", "uns/sub/__init__.py", "uns/x.txt")
    assert plan.units == {"uns/": ExtractUnit("uns/", members, (), "uns", size)}
    assert plan.modules == {"uns": "uns/", "uns.mod": "uns/", "uns.sub": "uns/"}
    assert plan.reasons == (ExtractReason("uns", UNSAFE_REASON, size),)


def test_zip_unsafe_package_with_native_code_has_no_native_unit_of_its_own(tmp_path: Path) -> None:
    """Its extensions load from the whole copy, which needs the library folders; mypyc's
    helper does not need the whole copy."""
    helper = f"9f8e__mypyc{SO}"
    install_distribution(
        tmp_path / "site",
        "uns",
        {
            "uns/__init__.py": OPENS_BESIDE,
            "uns/x.txt": "",
            f"uns/fast{SO}": "",
            "uns.libs/libx.so": "",
            helper: "",
            **_wheel("uns"),
        },
    )
    plan = _extraction(tmp_path, "uns")

    assert sorted(plan.units) == [helper, "uns.libs/", "uns/"]
    assert plan.units["uns/"].needs == ("uns.libs/",)
    assert plan.units[helper].needs == ("uns.libs/",)
    assert plan.modules["uns.fast"] == "uns/"
    assert list(plan.native) == ["uns"]
    assert [(r.name, r.reason) for r in plan.reasons] == [
        ("uns", UNSAFE_REASON),
        ("uns 1.0", "native code: 1 extension module and uns.libs"),
    ]


def test_extract_setting_makes_a_subpackage_a_whole_unit(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site",
        "dep",
        {"dep/__init__.py": "", "dep/sub/__init__.py": "", "dep/sub/mod.py": "", "dep/top.py": ""},
    )
    overrides = Overrides(extract=("dep.sub", "absent"))
    plan = _extraction(tmp_path, "dep", overrides)

    # The package above it is on disk too, but imported from the archive still.
    members = ("dep/sub/__init__.py", "dep/sub/mod.py")
    assert plan.units == {
        "dep/__init__.py": ExtractUnit("dep/__init__.py", ("dep/__init__.py",), (), "dep", 0),
        "dep/sub/": ExtractUnit("dep/sub/", members, ("dep/__init__.py",), "dep", 0),
    }
    assert plan.modules == {"dep.sub": "dep/sub/", "dep.sub.mod": "dep/sub/"}
    assert plan.reasons == (
        ExtractReason("dep.sub", "asked for with extract (--extract or [tool.bundle])", 0),
    )
    assert plan.warnings == (
        "--extract (or [tool.bundle] extract) names 'absent', which is not bundled; ignored",
    )


def test_unsafe_subpackage_needs_the_init_of_every_package_above_it(tmp_path: Path) -> None:
    """pylint's checkers/ is extracted, pylint/ is not: astroid maps the path of each
    checker to a module name only where every directory above it is a package on disk."""
    install_distribution(
        tmp_path / "site",
        "lint",
        {
            "lint/__init__.py": "",
            "lint/ns/plugins/__init__.py": (
                "import os\nHERE = os.listdir(os.path.dirname(__file__))\n"
            ),
            "lint/ns/plugins/one.py": "",
            "lint/cli.py": "",
        },
    )
    plan = _extraction(tmp_path, "lint.ns.plugins")

    # lint/ns is a namespace package: no file of its own to put there.
    assert plan.units["lint/ns/plugins/"].needs == ("lint/__init__.py",)
    assert plan.units["lint/__init__.py"].members == ("lint/__init__.py",)
    assert "lint" not in plan.modules  # imported from the archive, as before
    assert "lint/__init__.py" not in plan.whole


def test_extract_setting_naming_a_top_level_module_extracts_its_file(tmp_path: Path) -> None:
    install_distribution(tmp_path / "site", "single", {"single.py": "VALUE = 1\n"})
    plan = _extraction(tmp_path, "single", Overrides(extract=("single",)))

    assert plan.units == {"single.py": ExtractUnit("single.py", ("single.py",), (), "single", 10)}
    assert plan.modules == {"single": "single.py"}


def test_zip_safe_setting_keeps_an_unsafe_package_in_the_zip(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site", "uns", {"uns/__init__.py": OPENS_BESIDE, "uns/x.txt": ""}
    )
    plan = _extraction(tmp_path, "uns", Overrides(zip_safe=("uns",)))

    assert plan == ExtractionPlan()


# -- fallbacks, reasons, native code -----------------------------------------------------------


def test_extensions_with_a_pure_python_twin_fall_back_to_it(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site",
        "nat",
        {
            "nat/__init__.py": "",
            "nat/__init__.abi3.so": "",
            "nat/core.py": "",
            f"nat/core{SO}": "",
            f"nat/alone{SO}": "",
            **_wheel("nat"),
        },
    )
    plan = _extraction(tmp_path, "nat")

    assert plan.fallbacks == {"nat": "nat/__init__.py", "nat.core": "nat/core.py"}


def _with_data_beside_the_environment(tmp_path: Path, files: dict[str, str]) -> ExtractionPlan:
    """The plan of an app whose distribution installed ``files`` beside the environment
    (RECORD lists them as ``../../share/...``, as pip --target leaves them)."""
    site = tmp_path / "site"
    dist_info = install_distribution(site, "tool", {"tool/__init__.py": "", **files})
    record = (dist_info / "RECORD").read_text()
    for name in files:
        record = record.replace(f"{name},", f"../../{name},")
    (dist_info / "RECORD").write_text(record)
    return _extraction(tmp_path, "tool")


def test_data_beside_the_environment_is_extracted_at_start_but_not_man_pages(
    tmp_path: Path,
) -> None:
    plan = _with_data_beside_the_environment(
        tmp_path,
        {
            "share/tool/motd.txt": "hello",
            "share/man/man1/tool.1": ".TH TOOL 1",
            "share/bash-completion/completions/tool": "complete -F _tool tool",
        },
    )
    assert plan.units[".prefix/"].members == (".prefix/share/tool/motd.txt",)
    assert [r.describe() for r in plan.reasons] == [
        "share/tool (data files beside the environment, under sys.prefix: 1 file; 0 KiB)"
    ]


def test_only_man_pages_and_completions_leave_sys_prefix_alone(tmp_path: Path) -> None:
    """tox ships share/man/man1/tox.1 and nothing else there: moving sys.prefix off the
    interpreter for it broke tox's own interpreter discovery."""
    plan = _with_data_beside_the_environment(
        tmp_path,
        {"share/man/man1/tool.1": ".TH TOOL 1", "share/zsh/site-functions/_tool": "#compdef"},
    )
    assert ".prefix/" not in plan.units
    assert plan.reasons == ()


def test_native_reason_counts_extensions_and_libraries_with_their_total_size(
    tmp_path: Path,
) -> None:
    install_distribution(
        tmp_path / "site",
        "nat",
        {
            "nat/__init__.py": "",
            f"nat/core{SO}": "c" * 100,
            "nat/sub/__init__.py": "",
            f"nat/sub/inner{SO}": "i" * 7,
            "nat.libs/libx.so": "l" * 1000,
            "nat/.dylibs/liby.dylib": "d" * 20,
            **_wheel("nat"),
        },
    )
    plan = _extraction(tmp_path, "nat")

    reason = "native code: 2 extension modules and nat.libs, nat/.dylibs"
    assert plan.reasons == (ExtractReason("nat 1.0", reason, 1127),)
    assert plan.reasons[0].describe() == f"nat 1.0 ({reason}; 1 KiB)"


def test_project_extension_is_reported_by_its_top_level_name(tmp_path: Path) -> None:
    """The project's own native code belongs to no installed distribution."""
    sources = {"app/__init__.py": MAIN, f"app/speed{SO}": "s" * 9}
    planned = plan_project(tmp_path, sources, "app:main")
    plan = plan_extraction(planned.graph, planned.payload, planned.env)

    member = f"app/speed{SO}"
    assert plan.units == {member: ExtractUnit(member, (member,), (), None, 9)}
    assert plan.native == {}
    assert plan.reasons == (ExtractReason("app", "native code: 1 extension module", 9),)


def test_native_code_of_each_distribution_is_described(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site",
        "nat",
        {"nat/__init__.py": "", f"nat/core{SO}": "", "nat/fast.abi3.so": "", **_wheel("nat")},
    )
    plan = _extraction(tmp_path, "nat")

    assert plan.native == {
        "nat": NativeCode(
            key="nat",
            title="nat 1.0",
            wheel_tags=("cp311-cp311-manylinux_2_17_x86_64",),
            suffixes=(".abi3.so", SO),
            platforms=(("linux", "x86_64", "glibc"),),
            abi3_floor=None,
            built_for=BUILT_FOR,
        )
    }


@pytest.mark.parametrize(
    ("size", "shown"),
    [(512, "0 KiB"), (10 * 1024, "10 KiB"), (3 * 1024 * 1024 + 1, "3.0 MiB")],
)
def test_reason_describes_its_size_in_kib_or_mib(size: int, shown: str) -> None:
    assert ExtractReason("pkg", "why", size).describe() == f"pkg (why; {shown})"


# -- the index's and the manifest's tables -----------------------------------------------------

NATIVE = NativeCode(
    key="nat",
    title="nat 1.0",
    wheel_tags=("cp311-cp311-manylinux_2_17_x86_64",),
    suffixes=(SO,),
    platforms=(("linux", "x86_64", "glibc"),),
    abi3_floor=None,
    built_for=BUILT_FOR,
)
PLAN = ExtractionPlan(
    units={
        "nat": ExtractUnit("nat", (f"nat/core{SO}",), ("nat.libs/",), "nat", 100),
        "nat.libs/": ExtractUnit("nat.libs/", ("nat.libs/libx.so",), (), "nat", 1000),
        "uns/": ExtractUnit("uns/", ("uns/x.txt", "uns/__init__.py"), (), "uns", 30),
    },
    modules={"nat.core": "nat", "uns": "uns/"},
    fallbacks={"nat.core": "nat/core.py"},
    native={"nat": NATIVE},
    reasons=(
        ExtractReason("nat 1.0", "native code: 1 extension module and nat.libs", 1100),
        ExtractReason("uns", "zip-unsafe: uns/__init__.py:2 open()", 30),
    ),
    whole=frozenset({"uns/"}),
)
BYTECODE = {
    "uns/__init__.py": "uns/__pycache__/__init__.cpython-311.pyc",
    "nat/core.py": "nat/__pycache__/core.cpython-311.pyc",
}


def test_index_table_holds_runtime_records_and_the_bytecode_of_whole_packages() -> None:
    assert PLAN.index_table(BYTECODE) == {
        "units": {
            "nat": unit_record((f"nat/core{SO}",), ("nat.libs/",), "nat"),
            "nat.libs/": unit_record(("nat.libs/libx.so",), (), "nat"),
            "uns/": unit_record(
                (
                    "uns/__init__.py",
                    "uns/__pycache__/__init__.cpython-311.pyc",
                    "uns/x.txt",
                ),
                (),
                "uns",
            ),
        },
        "modules": {"nat.core": "nat", "uns": "uns/"},
        "fallbacks": {"nat.core": ("nat/core.py", "nat/__pycache__/core.cpython-311.pyc")},
        "native": {
            "nat": native_record("nat 1.0", BUILT_FOR, (("linux", "x86_64", "glibc"),), None)
        },
    }


def test_index_table_uses_the_member_strings_of_the_file_table() -> None:
    """marshal then stores each member name once in the index every start reads."""
    files = {"".join(["uns/", name]): None for name in ("x.txt", "__init__.py")}
    members = PLAN.index_table({}, files)["units"]["uns/"][0]

    assert members == ("uns/__init__.py", "uns/x.txt")
    assert all(any(member is key for key in files) for member in members)


def test_index_table_of_an_empty_plan_is_empty() -> None:
    assert ExtractionPlan().index_table(BYTECODE) == {
        "units": {},
        "modules": {},
        "fallbacks": {},
        "native": {},
    }


def test_manifest_table_lists_reasons_units_and_native_code() -> None:
    assert PLAN.manifest_table() == {
        "extract": [
            {
                "package": "nat 1.0",
                "reason": "native code: 1 extension module and nat.libs",
                "size": 1100,
            },
            {"package": "uns", "reason": "zip-unsafe: uns/__init__.py:2 open()", "size": 30},
        ],
        "units": {
            "nat": {
                "distribution": "nat",
                "needs": ["nat.libs/"],
                "size": 100,
                "members": [f"nat/core{SO}"],
            },
            "nat.libs/": {
                "distribution": "nat",
                "needs": [],
                "size": 1000,
                "members": ["nat.libs/libx.so"],
            },
            "uns/": {
                "distribution": "uns",
                "needs": [],
                "size": 30,
                "members": ["uns/x.txt", "uns/__init__.py"],
            },
        },
        "native": [
            {
                "distribution": "nat 1.0",
                "built_for": BUILT_FOR,
                "wheel_tags": ["cp311-cp311-manylinux_2_17_x86_64"],
                "extension_suffixes": [SO],
            }
        ],
    }
