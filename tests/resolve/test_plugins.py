"""Entry points that bundled code may load at run time: a group is followed only when its
consumer is bundled, and console or GUI scripts never are."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.environment import Environment, staged_environment
from bundler.resolve import Module, ModuleKind, plugin_roots
from tests.helpers.environments import fake_interpreter, install_distribution


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    install_distribution(
        site,
        "hostapp",
        {"hostapp/__init__.py": "", "hostapp/cli.py": ""},
        entry_points=(
            "[console_scripts]\nhostapp = hostapp.cli:main\n"
            "[gui_scripts]\nhostapp-gui = hostapp.gui:main\n"
            "[hostapp.plugins]\nbuiltin = hostapp.builtin:Plugin\nshared = shared_mod:Second\n"
        ),
    )
    # Sorts before hostapp, so it comes first among the environment's distributions.
    install_distribution(
        site,
        "aaa-plugin",
        {"aaa_plugin/__init__.py": ""},
        entry_points=(
            "[console_scripts]\naaa = aaa_plugin.cli:main\n"
            "[hostapp.plugins]\nextra = aaa_plugin.extra:Plugin [speedups]\n"
            "shared = shared_mod:First\nplain = aaa_plugin.plain\n"
        ),
    )
    install_distribution(
        site, "otherlib", {"otherlib.py": ""}, entry_points="[otherlib.plugins]\nx = otherlib_x:X\n"
    )
    install_distribution(
        site,
        "testkit",
        {"testkit/__init__.py": ""},
        entry_points="[pytest11]\nkit = testkit.hook\n",
    )
    install_distribution(
        site,
        "Image-Kit",
        {"imgkit/__init__.py": ""},
        entry_points="[image-kit.codecs]\npng = imgkit_png:Codec\n",
    )
    install_distribution(
        site,
        "jsonext",
        {"jsonext.py": ""},
        entry_points="[json.encoders]\nfast = jsonext:Encoder\n",
    )
    return site


@pytest.fixture(scope="module")
def env(site: Path) -> Environment:
    return staged_environment(fake_interpreter(), site)


def _package(site: Path, name: str) -> Module:
    return Module(name, ModuleKind.THIRD_PARTY, site / name / "__init__.py", True)


def test_nothing_bundled_follows_nothing(env: Environment) -> None:
    assert plugin_roots(env, []) == {}


def test_group_is_followed_when_its_consumer_is_bundled(env: Environment, site: Path) -> None:
    assert plugin_roots(env, [_package(site, "hostapp")]) == {
        "hostapp.builtin": "hostapp",
        "shared_mod": "hostapp",
        "aaa_plugin.extra": "aaa-plugin",
        "aaa_plugin.plain": "aaa-plugin",
    }


def test_included_distribution_wins_a_module_that_a_plugin_also_declares(
    env: Environment, site: Path
) -> None:
    """aaa-plugin comes first in the environment, but hostapp's code is bundled."""
    names = [dist.name for dist in env.distributions]
    assert names.index("aaa-plugin") < names.index("hostapp")
    assert plugin_roots(env, [_package(site, "hostapp")])["shared_mod"] == "hostapp"


def test_group_of_an_unbundled_consumer_is_not_followed(env: Environment, site: Path) -> None:
    """otherlib is installed, and declares plugins for itself, but nothing bundles it."""
    roots = plugin_roots(env, [_package(site, "hostapp"), _package(site, "aaa_plugin")])
    assert "otherlib_x" not in roots


def test_stdlib_module_is_not_a_consumer(env: Environment) -> None:
    json = Module("json", ModuleKind.STDLIB, None, True)
    assert plugin_roots(env, [json]) == {}


def test_digits_after_the_consumer_name_are_ignored(env: Environment) -> None:
    """pytest's plugins register in ``pytest11``."""
    pytest_module = Module("pytest", ModuleKind.THIRD_PARTY, None, True)
    assert plugin_roots(env, [pytest_module]) == {"testkit.hook": "testkit"}


def test_group_may_name_the_distribution_of_a_bundled_module(env: Environment, site: Path) -> None:
    """``imgkit`` is installed by Image-Kit, whose group is ``image-kit.codecs``."""
    assert plugin_roots(env, [_package(site, "imgkit")]) == {"imgkit_png": "Image-Kit"}


def test_console_and_gui_scripts_are_never_followed(env: Environment, site: Path) -> None:
    """Not even when a bundled module happens to carry the group's name."""
    named_like_groups = [
        Module(name, ModuleKind.PROJECT, None, False) for name in ("console_scripts", "gui_scripts")
    ]
    roots = plugin_roots(env, [_package(site, "hostapp"), *named_like_groups])
    assert sorted(roots) == [
        "aaa_plugin.extra",
        "aaa_plugin.plain",
        "hostapp.builtin",
        "shared_mod",
    ]
