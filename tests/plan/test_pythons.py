"""The Pythons an archive runs on: Requires-Python, markers, native code without a
fallback, each limit with its reason."""

from __future__ import annotations

from pathlib import Path

from bundler.plan.extraction import plan_extraction
from bundler.plan.pythons import PythonLimit, PythonRange, python_range
from tests.helpers.environments import install_distribution
from tests.plan.conftest import SO, plan_app, plan_project


def _range(tmp_path: Path, imports: str) -> PythonRange:
    planned = plan_app(tmp_path, imports)
    extraction = plan_extraction(planned.graph, planned.payload, planned.env)
    return python_range(
        planned.graph, planned.env, planned.payload, extraction.native, extraction.fallbacks
    )


def test_no_limits_is_any_python(tmp_path: Path) -> None:
    install_distribution(tmp_path / "site", "dep", {"dep.py": ""}, requires_python=">=3.8")
    found = _range(tmp_path, "dep")
    assert (found.limits, found.describe(), found.index_table()) == ((), "any Python 3.9+", ())


def test_requires_python_of_a_bundled_distribution(tmp_path: Path) -> None:
    install_distribution(tmp_path / "site", "dep", {"dep.py": ""}, requires_python=">=3.10,<3.14")
    found = _range(tmp_path, "dep")
    assert found.limits == (PythonLimit(">=3.10,<3.14", "dep 1.0 requires Python >=3.10,<3.14"),)
    assert found.describe() == ">=3.10,<3.14"
    assert found.index_table() == ((">=3.10,<3.14", "dep 1.0 requires Python >=3.10,<3.14"),)


def test_dependency_a_marker_selects_only_on_other_pythons(tmp_path: Path) -> None:
    """black needs tomli where python_version < "3.11": an archive made on 3.11 lacks it."""
    site = tmp_path / "site"
    install_distribution(site, "dep", {"dep.py": ""}, requires=['old; python_version < "3.11"'])
    found = _range(tmp_path, "dep")
    assert found.limits == (
        PythonLimit(
            ">=3.11",
            'dep 1.0 needs old where python_version < "3.11", which was not installed: the '
            "build resolved the dependencies for Python 3.11",
        ),
    )


def test_marker_dependency_bundled_anyway_sets_no_limit(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_distribution(
        site, "dep", {"dep.py": "import old\n"}, requires=['old>=1; python_version < "3.11"']
    )
    install_distribution(site, "old", {"old.py": ""})
    assert _range(tmp_path, "dep").limits == ()


def test_native_code_every_run_imports_holds_the_archive_to_its_python(tmp_path: Path) -> None:
    install_distribution(
        tmp_path / "site", "nat", {"nat/__init__.py": "from . import fast\n", f"nat/fast{SO}": ""}
    )
    (limit,) = _range(tmp_path, "nat").limits
    assert limit.specifier == "==3.11.*"
    assert limit.reason.startswith("nat 1.0 has native code (nat.fast) built for CPython 3.11")


def test_native_code_with_a_fallback_sets_no_limit(tmp_path: Path) -> None:
    """An optional speed-up (MarkupSafe) and a mypyc module with its source (black)."""
    install_distribution(
        tmp_path / "site",
        "nat",
        {
            "nat/__init__.py": (
                "from . import twin\ntry:\n    from . import fast\nexcept ImportError:\n"
                "    fast = None\n"
            ),
            f"nat/fast{SO}": "",
            f"nat/twin{SO}": "",
            "nat/twin.py": "",
        },
    )
    assert _range(tmp_path, "nat").limits == ()


def test_decisive_limits_come_first(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_distribution(site, "loose", {"loose.py": ""}, requires_python=">=3.10")
    install_distribution(site, "tight", {"tight.py": ""}, requires_python=">=3.12")
    planned = plan_project(tmp_path, {"app.py": "import loose, tight\ndef main():\n    pass\n"})
    found = python_range(planned.graph, planned.env, planned.payload, {}, ())
    assert found.describe() == ">=3.12"
    assert [limit.specifier for limit in found.decisive()] == [">=3.12", ">=3.10"]
