"""Installed distributions and their requirements: extras, markers for a target, the
closure of what a project declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.distribution import (
    Distribution,
    applies,
    find_distributions,
    parse_entry_points,
    parse_requirement,
    read_distribution,
    required_closure,
    script_extras,
)
from tests.helpers.environments import install_distribution

LINUX_311 = {
    "python_version": "3.11",
    "python_full_version": "3.11.7",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_release": "6.0",
    "platform_version": "#1",
    "implementation_name": "cpython",
    "implementation_version": "3.11.7",
    "platform_python_implementation": "CPython",
}


def _dist(*requires: str, extras: tuple[str, ...] = ()) -> Distribution:
    return Distribution(
        "demo", "1.0", Path("/s/demo-1.0.dist-info"), Path("/s"), requires=requires,
        provides_extras=extras,
    )  # fmt: skip


def test_extras_name_what_each_adds_and_which_extra_provides_a_module() -> None:
    dist = _dist(
        "inkwell>=1",
        'click>=8; extra == "cli"',
        "PyYAML; extra == 'Yaml_Support' and python_version >= '3.8'",
        extras=("cli", "Yaml_Support", "docs"),
    )
    assert dist.extras == {"cli": ("click",), "docs": (), "yaml-support": ("PyYAML",)}
    assert dist.extras_providing("click.core") == ("cli",)
    assert dist.extras_providing("pyyaml") == ("yaml-support",)
    assert dist.extras_providing("inkwell") == ()


@pytest.mark.parametrize(
    ("text", "extras", "expected"),
    [
        ("inkwell", (), True),
        ('tomli; python_version < "3.11"', (), False),
        ('click; extra == "cli"', (), False),
        ('click; extra == "cli"', ("cli",), True),
        ('colorama; extra == "cli" and sys_platform == "win32"', ("cli",), False),
        ('x; platform_machine == "x86_64"', (), True),
    ],
)
def test_requirements_apply_for_the_targets_markers_and_extras(
    text: str, extras: tuple[str, ...], expected: bool
) -> None:
    requirement = parse_requirement(text)
    assert requirement is not None
    assert applies(requirement, LINUX_311, extras) is expected


def test_invalid_requirement_is_none() -> None:
    assert parse_requirement("not a requirement !!") is None


def test_closure_follows_requirements_with_extras_and_markers(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_distribution(site, "app", requires=("lib[fast]", 'old; python_version < "3.9"'))
    install_distribution(site, "lib", requires=('speedups; extra == "fast"', "base"))
    install_distribution(site, "speedups")
    install_distribution(site, "base")
    install_distribution(site, "stray")
    dists = list(find_distributions([site]))
    assert required_closure([("app", ())], dists, LINUX_311) == frozenset(
        {"app", "lib", "speedups", "base"}
    )
    assert required_closure([("lib", ())], dists, LINUX_311) == frozenset({"lib", "base"})


def test_summary_and_extras_are_read_from_metadata(tmp_path: Path) -> None:
    dist_info = install_distribution(tmp_path, "demo", requires=('click; extra == "cli"',))
    metadata = dist_info / "METADATA"
    metadata.write_text(
        metadata.read_text().replace(
            "Version: 1.0\n", "Version: 1.0\nSummary: A demo\nProvides-Extra: cli\n"
        )
    )
    dist = read_distribution(dist_info)
    assert dist is not None
    assert (dist.summary, dist.provides_extras) == ("A demo", ("cli",))


def test_entry_points_and_script_extras() -> None:
    groups = parse_entry_points(
        ["[console_scripts]", "demo = demo.cli:main [cli, color]", "plain=demo:run", "junk"]
    )
    assert groups == {
        "console_scripts": {"demo": "demo.cli:main [cli, color]", "plain": "demo:run"}
    }
    assert script_extras(groups["console_scripts"]["demo"]) == ("cli", "color")
    assert script_extras("demo:run") == ()
