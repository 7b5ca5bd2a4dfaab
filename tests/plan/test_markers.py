"""Environment markers evaluated for the target interpreter, and for it on other Pythons."""

from __future__ import annotations

from pathlib import Path

from bundler.environment import Distribution
from bundler.plan.markers import declared_requirements, marker_environment, requirement_applies
from tests.helpers.environments import fake_interpreter


def _dist(*requires: str) -> Distribution:
    return Distribution("owner", "1.0", Path("owner-1.0.dist-info"), Path("."), requires=requires)


def test_environment_of_a_linux_cpython() -> None:
    assert marker_environment(fake_interpreter()) == {
        "implementation_name": "cpython",
        "implementation_version": "3.11.7",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": "3.11.7",
        "platform_python_implementation": "CPython",
        "python_version": "3.11",
        "sys_platform": "linux",
    }


def test_environment_as_another_python_and_other_platforms() -> None:
    other = marker_environment(fake_interpreter(), (3, 9))
    assert (other["python_version"], other["python_full_version"]) == ("3.9", "3.9.0")
    mac = marker_environment(fake_interpreter(platform="macosx-11.0-arm64"))
    assert (mac["sys_platform"], mac["platform_system"], mac["platform_machine"]) == (
        "darwin",
        "Darwin",
        "arm64",
    )
    windows = marker_environment(fake_interpreter(platform="win-amd64"))
    assert (windows["sys_platform"], windows["os_name"], windows["platform_machine"]) == (
        "win32",
        "nt",
        "AMD64",
    )


def test_requirements_apply_by_marker_and_extra() -> None:
    dist = _dist(
        "plain>=1",
        "old; python_version < '3.11'",
        "cli-only; extra == 'cli'",
        "not a requirement !!",
    )
    declared = {d.requirement.name: d for d in declared_requirements(dist)}
    assert sorted(declared) == ["cli-only", "old", "plain"]
    target = marker_environment(fake_interpreter())
    older = marker_environment(fake_interpreter(), (3, 10))
    assert requirement_applies(declared["plain"], target, frozenset())
    assert not requirement_applies(declared["old"], target, frozenset())
    assert requirement_applies(declared["old"], older, frozenset())
    assert not requirement_applies(declared["cli-only"], target, frozenset())
    assert requirement_applies(declared["cli-only"], target, frozenset({"cli"}))
