"""Which packages must run from extracted files: the unit a file access makes zip-unsafe,
the user's ``extract`` and ``zip-safe`` settings, and the warnings about them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.plan.unsafe import Overrides, UnsafePackage, find_unsafe_packages, within
from tests.helpers.environments import install_distribution
from tests.plan.conftest import OPENS_BESIDE, plan_app

OPENS_ABOVE = "import os\nDATA = open(os.path.join(os.path.dirname(__file__), '..', 'x.txt'))\n"


def _unsafe(
    tmp_path: Path, files: dict[str, str], overrides: Overrides | None = None
) -> tuple[list[UnsafePackage], list[str]]:
    """Install ``files`` as the distribution "dep", plan an app that imports it, and find
    the unsafe packages of the payload."""
    install_distribution(tmp_path / "site", "dep", files)
    planned = plan_app(tmp_path, "dep")
    modules = {entry.name: entry for entry in planned.payload.modules}
    return find_unsafe_packages(planned.graph, planned.payload, modules, overrides or Overrides())


def _beside(member: str, line: int = 2) -> str:
    return f"zip-unsafe: {member}:{line} open() of a path next to __file__"


# -- the unit a file access makes unsafe -------------------------------------------------------


def test_module_opening_files_beside_itself_makes_its_own_package_unsafe(tmp_path: Path) -> None:
    """numpy.distutils, not numpy."""
    files = {
        "dep/__init__.py": "import dep.sub.reader\n",
        "dep/sub/__init__.py": "",
        "dep/sub/reader.py": OPENS_BESIDE,
        "dep/sub/x.txt": "",
    }
    assert _unsafe(tmp_path, files) == (
        [UnsafePackage("dep.sub", _beside("dep/sub/reader.py"))],
        [],
    )


def test_reached_module_climbing_out_of_its_directory_makes_the_top_level_unsafe(
    tmp_path: Path,
) -> None:
    files = {
        "dep/__init__.py": "import dep.sub.reader\n",
        "dep/sub/__init__.py": "",
        "dep/sub/reader.py": OPENS_ABOVE,
        "dep/x.txt": "",
    }
    assert _unsafe(tmp_path, files) == (
        [UnsafePackage("dep", _beside("dep/sub/reader.py"))],
        [],
    )


def test_unreached_test_directory_climbing_out_stays_in_its_own_package(tmp_path: Path) -> None:
    """A test directory that climbs out cannot make all of numpy extracted."""
    files = {
        "dep/__init__.py": "",
        "dep/tests/__init__.py": "",
        "dep/tests/test_data.py": OPENS_ABOVE,
    }
    assert _unsafe(tmp_path, files) == (
        [UnsafePackage("dep.tests", _beside("dep/tests/test_data.py"), dynamic=True)],
        [],
    )


def test_unreached_module_at_the_top_of_a_package_is_ignored(tmp_path: Path) -> None:
    """numpy/conftest.py must not make all of numpy extracted."""
    files = {
        "dep/__init__.py": "import importlib.resources\n",
        "dep/conftest.py": OPENS_BESIDE,
        "dep/x.txt": "",
    }
    assert _unsafe(tmp_path, files) == ([], [])


def test_module_at_the_top_of_a_package_nothing_imports_makes_it_unsafe(
    tmp_path: Path,
) -> None:
    """virtualenv run as `python -m virtualenv` (nox, pdm): nothing imports it literally,
    and its info.py builds ROOT from __file__; left in the zip, ROOT is the archive and
    virtualenv takes itself for a zipapp."""
    install_distribution(
        tmp_path / "site",
        "tool",
        {"cli.py": "", "tool/__init__.py": "", "tool/info.py": OPENS_BESIDE, "tool/x.txt": ""},
    )
    planned = plan_app(tmp_path, "cli")  # the distribution goes in whole; tool is not reached
    modules = {entry.name: entry for entry in planned.payload.modules}
    found = find_unsafe_packages(planned.graph, planned.payload, modules, Overrides())
    assert found == ([UnsafePackage("tool", _beside("tool/info.py"), dynamic=True)], [])


def test_reached_package_init_makes_its_package_unsafe(tmp_path: Path) -> None:
    files = {"dep/__init__.py": OPENS_BESIDE, "dep/x.txt": ""}
    assert _unsafe(tmp_path, files) == (
        [UnsafePackage("dep", _beside("dep/__init__.py"))],
        [],
    )


def test_top_level_module_is_unsafe_alone(tmp_path: Path) -> None:
    files = {"dep.py": OPENS_BESIDE, "x.txt": ""}
    assert _unsafe(tmp_path, files) == ([UnsafePackage("dep", _beside("dep.py"))], [])


def test_unsafe_package_nothing_imports_is_dynamic(tmp_path: Path) -> None:
    """Plugins imported by name (docutils' writers) are analysed too."""
    files = {
        "dep/__init__.py": "",
        "dep/writers/__init__.py": "",
        "dep/writers/html.py": OPENS_BESIDE,
        "dep/writers/x.txt": "",
    }
    assert _unsafe(tmp_path, files) == (
        [UnsafePackage("dep.writers", _beside("dep/writers/html.py"), dynamic=True)],
        [],
    )


def test_package_inside_an_unsafe_package_is_folded_into_it(tmp_path: Path) -> None:
    files = {
        "dep/__init__.py": "import dep.sub\n" + OPENS_BESIDE,
        "dep/x.txt": "",
        "dep/sub/__init__.py": OPENS_BESIDE,
        "dep/sub/x.txt": "",
    }
    assert _unsafe(tmp_path, files) == (
        [UnsafePackage("dep", _beside("dep/__init__.py", 3))],
        [],
    )


def test_reason_counts_the_other_accesses_of_the_unit(tmp_path: Path) -> None:
    files = {
        "dep/__init__.py": "import dep.a, dep.b\n",
        "dep/a.py": OPENS_BESIDE,
        "dep/b.py": OPENS_BESIDE,
        "dep/x.txt": "",
    }
    reason = _beside("dep/a.py") + ", and 1 more"
    assert _unsafe(tmp_path, files) == ([UnsafePackage("dep", reason)], [])


# -- the user's settings -----------------------------------------------------------------------


def test_extract_setting_adds_a_package_and_is_never_dynamic(tmp_path: Path) -> None:
    files = {"dep/__init__.py": "", "dep/plugins/__init__.py": "", "dep/plugins/x.py": ""}
    overrides = Overrides(extract=("dep.plugins",))
    assert _unsafe(tmp_path, files, overrides=overrides) == (
        [UnsafePackage("dep.plugins", "asked for with extract (--extract or [tool.bundle])")],
        [],
    )


def test_extract_setting_replaces_the_reason_found(tmp_path: Path) -> None:
    files = {"dep/__init__.py": OPENS_BESIDE, "dep/x.txt": ""}
    overrides = Overrides(extract=("dep",))
    assert _unsafe(tmp_path, files, overrides=overrides) == (
        [UnsafePackage("dep", "asked for with extract (--extract or [tool.bundle])")],
        [],
    )


def test_zip_safe_setting_skips_the_analysis_of_the_package(tmp_path: Path) -> None:
    files = {
        "dep/__init__.py": "import dep.sub\n",
        "dep/sub/__init__.py": OPENS_BESIDE,
        "dep/sub/x.txt": "",
    }
    overrides = Overrides(zip_safe=("dep",))
    assert _unsafe(tmp_path, files, overrides=overrides) == ([], [])


def test_settings_naming_modules_that_are_not_bundled_are_warned_about(tmp_path: Path) -> None:
    files = {"dep/__init__.py": ""}
    overrides = Overrides(extract=("dep", "absent"), zip_safe=("gone.sub",))
    assert _unsafe(tmp_path, files, overrides=overrides) == (
        [UnsafePackage("dep", "asked for with extract (--extract or [tool.bundle])")],
        [
            "--extract (or [tool.bundle] extract) names 'absent', which is not bundled; ignored",
            "--zip-safe (or [tool.bundle] zip-safe) names 'gone.sub', which is not bundled; "
            "ignored",
        ],
    )


def test_warning_names_the_setting_each_name_came_from(tmp_path: Path) -> None:
    overrides = Overrides(extract=("absent",), zip_safe=("absent",))
    assert _unsafe(tmp_path, {"dep/__init__.py": ""}, overrides=overrides)[1] == [
        "--extract (or [tool.bundle] extract) names 'absent', which is not bundled; ignored",
        "--zip-safe (or [tool.bundle] zip-safe) names 'absent', which is not bundled; ignored",
    ]


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "packages", "expected"),
    [
        ("pkg", ("pkg",), True),
        ("pkg.sub.mod", ("other", "pkg"), True),
        ("pkgx", ("pkg",), False),
        ("pkg", ("pkg.sub",), False),
        ("pkg", (), False),
    ],
)
def test_within_means_the_package_itself_or_below_it(
    name: str, packages: tuple[str, ...], expected: bool
) -> None:
    assert within(name, packages) is expected


def test_zip_safe_setting_keeps_a_package_and_its_modules_in_the_zip() -> None:
    overrides = Overrides(extract=("other",), zip_safe=("pkg.sub",))

    assert overrides.keeps_in_zip("pkg.sub") is True
    assert overrides.keeps_in_zip("pkg.sub.mod") is True
    assert overrides.keeps_in_zip("pkg") is False
    assert overrides.keeps_in_zip("pkg.subway") is False
    assert overrides.keeps_in_zip("other") is False


# -- paths that travel across modules ----------------------------------------------------------


def _unsafe_of(tmp_path: Path, imports: str) -> list[tuple[str, str]]:
    planned = plan_app(tmp_path, imports)
    modules = {entry.name: entry for entry in planned.payload.modules}
    found, _warnings = find_unsafe_packages(planned.graph, planned.payload, modules, Overrides())
    return [(package.name, package.reason) for package in found]


def test_path_computed_from_another_packages_file_marks_that_package(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_distribution(site, "data-pkg", {"datapkg/__init__.py": "", "datapkg/t.txt": ""})
    install_distribution(
        site,
        "reader",
        {
            "reader/__init__.py": (
                "import os\nimport datapkg\n\n\ndef load():\n"
                "    path = os.path.join(os.path.dirname(datapkg.__file__), 't.txt')\n"
                "    return open(path).read()\n"
            )
        },
    )
    assert _unsafe_of(tmp_path, "reader") == [
        ("datapkg", "zip-unsafe: reader/__init__.py:7 builds a path from datapkg.__file__")
    ]


def test_path_stored_on_an_object_and_opened_in_another_module(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site",
        "store",
        {
            "store/__init__.py": "from store import use\n",
            "store/paths.py": (
                "import os\n\n\nclass Root:\n    def __init__(self):\n"
                "        self.root = os.path.dirname(__file__)\n"
            ),
            "store/use.py": (
                "import os\nfrom store.paths import Root\n\n\ndef read(name):\n"
                "    return open(os.path.join(Root().root, name)).read()\n"
            ),
        },
    )
    assert _unsafe_of(tmp_path, "store") == [
        ("store", "zip-unsafe: store/paths.py:6 a path next to __file__ is stored on .root")
    ]


def test_package_path_handed_to_a_helper_that_lists_it(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site",
        "plug",
        {
            "plug/__init__.py": "from plug import plugins\n",
            "plug/helpers.py": "import os\n\n\ndef names(path):\n    return os.listdir(path[0])\n",
            "plug/plugins/__init__.py": (
                "from plug import helpers\n\nNAMES = helpers.names(__path__)\n"
            ),
            "plug/plugins/alpha.py": "",
        },
    )
    assert _unsafe_of(tmp_path, "plug") == [
        (
            "plug.plugins",
            "zip-unsafe: plug/plugins/__init__.py:3 a path next to __file__ is passed to "
            "plug.helpers.names()",
        )
    ]
