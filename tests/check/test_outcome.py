"""What a failed import means: extra, platform, integration, unavailable, or a failure."""

from __future__ import annotations

from email.parser import HeaderParser

from bundler.check.outcome import Finding, classify_failure

DEP = HeaderParser().parsestr(
    "Name: dep\nVersion: 2.0\nRequires-Dist: fastjson; extra == 'speed'\n"
    "Requires-Dist: winhelper; sys_platform == 'win32'\nRequires-Dist: core\n"
)
BUNDLED = {
    "app.cli": {"kind": "project"},
    "dep.fast": {"kind": "third-party"},
    "dep._windows": {"kind": "third-party"},
}
OWNERS = {"dep.fast": DEP, "dep._windows": DEP}


def _classify(module: str, *record: object) -> Finding:
    return classify_failure(module, record, BUNDLED, OWNERS)


def test_an_extra_that_is_not_installed_is_listed() -> None:
    found = _classify(
        "dep.fast", "ModuleNotFoundError", "No module", "fastjson", "dep/fast.py", 2, False
    )
    assert found == Finding(
        "dep.fast", "extra", "needs the extra dep[speed] (fastjson)", "dep/fast.py", 2
    )
    assert not found.problem


def test_a_requirement_of_another_platform_is_listed() -> None:
    found = _classify("dep.fast", "ModuleNotFoundError", "", "winhelper", None, 0, False)
    assert (found.kind, found.reason) == (
        "platform",
        'needs winhelper, required on sys_platform == "win32"',
    )


def test_native_code_for_another_python_is_listed() -> None:
    found = _classify("dep.fast", "ExtractionError", "built for CPython 3.11", None, None, 0, True)
    assert found.kind == "platform" and not found.problem


def test_a_third_party_module_importing_what_it_does_not_require_is_an_integration() -> None:
    found = _classify("dep.fast", "ModuleNotFoundError", "No module", "sphinx", None, 0, False)
    assert found.kind == "integration"


def test_the_projects_own_missing_import_and_a_missing_requirement_fail() -> None:
    found = _classify(
        "app.cli",
        "ModuleNotFoundError",
        "No module named 'nodist'",
        "nodist",
        "app/cli.py",
        1,
        False,
    )
    assert found.problem
    assert found.describe() == (
        "app.cli: ModuleNotFoundError: No module named 'nodist'; 'nodist' is not in the archive "
        "(at app/cli.py:1)"
    )
    assert _classify("dep.fast", "ModuleNotFoundError", "", "core", None, 0, False).problem


def test_libraries_saying_unavailable_and_platform_modules_are_listed() -> None:
    assert _classify("dep.fast", "ImportError", "needs CommonMark", None, None, 0, False).kind == (
        "unavailable"
    )
    assert _classify("dep._windows", "AssertionError", "", None, None, 0, False).kind == "platform"
    assert _classify("app.cli", "ValueError", "bad", None, "app/cli.py", 4, False).problem
