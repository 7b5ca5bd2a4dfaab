"""Which distributions go into the archive (all, the declared closure, or those reached),
and the files of each, scripts and data files included."""

from __future__ import annotations

from pathlib import Path

from bundler.environment import Environment, environment_for
from bundler.plan.distributions import Scope, distribution_files, select_distributions
from tests.conftest import write_project
from tests.helpers.environments import fake_interpreter, install_distribution


def _env(tmp_path: Path) -> Environment:
    site = tmp_path / "site"
    install_distribution(site, "app", {"app/__init__.py": ""}, requires=["lib[fast]", "gone"])
    install_distribution(
        site,
        "lib",
        {"lib/__init__.py": ""},
        requires=["speed; extra == 'fast'", "old; python_version < '3.11'", "other"],
    )
    install_distribution(site, "speed", {"speed.py": ""})
    install_distribution(site, "old", {"old.py": ""})
    install_distribution(site, "other", {"other.py": ""})
    install_distribution(site, "unrelated", {"unrelated.py": ""})
    return environment_for(fake_interpreter(), [site])


def _names(dists: tuple[object, ...]) -> list[str]:
    return [dist.name for dist in dists]  # type: ignore[attr-defined]


def test_all_keeps_every_installed_distribution(tmp_path: Path) -> None:
    env = _env(tmp_path)
    app = env.distribution("app")
    assert app is not None
    selection = select_distributions([app], env, Scope.ALL)
    assert _names(selection.included) == ["app", "lib", "old", "other", "speed", "unrelated"]
    assert (selection.pruned, selection.warnings) == ((), ())


def test_declared_follows_requires_dist_with_extras_and_markers_for_the_target(
    tmp_path: Path,
) -> None:
    """A dependency imported only through a dotted string is declared: it goes in."""
    env = _env(tmp_path)
    app = env.distribution("app")
    assert app is not None
    selection = select_distributions([app], env, Scope.DECLARED)
    assert _names(selection.included) == ["app", "lib", "other", "speed"]
    assert selection.warnings == (
        "app 1.0 requires 'gone', which is not installed in the environment; the app may "
        "fail where it needs it",
    )


def test_reached_keeps_only_what_the_resolver_reached_and_lists_the_rest(tmp_path: Path) -> None:
    env = _env(tmp_path)
    app = env.distribution("app")
    assert app is not None
    selection = select_distributions([app], env, Scope.REACHED)
    assert _names(selection.included) == ["app"]
    assert _names(selection.pruned) == ["lib", "old", "other", "speed", "unrelated"]


def test_files_of_a_distribution_scripts_and_data_under_its_data_directory(
    tmp_path: Path,
) -> None:
    """pip --target records scripts and data files as ../../bin/x and ../../share/y, and
    moves them into the target; a virtualenv records ../../../bin/x beside the prefix."""
    site = tmp_path / "target"
    dist_info = install_distribution(
        site,
        "tool",
        {
            "tool/__init__.py": "",
            "tool/__pycache__/__init__.cpython-311.pyc": "",
            "tool/mod.py": "",
            "tool/mod.pyc": "",
            "bin/tool-script": "#!python\n",
            "share/tool/theme.css": "body {}",
        },
    )
    record = (dist_info / "RECORD").read_text()
    record = record.replace("bin/tool-script", "../../bin/tool-script")
    record = record.replace("share/tool/theme.css", "../../share/tool/theme.css")
    (dist_info / "RECORD").write_text(record + "../../../etc/passwd,,\n/abs/path,,\n")
    env = environment_for(fake_interpreter(), [site])
    dist = env.distribution("tool")
    assert dist is not None
    assert dict(distribution_files(dist)) == {
        ".prefix/share/tool/theme.css": site / "share/tool/theme.css",
        "tool-1.0.data/scripts/tool-script": site / "bin/tool-script",
        "tool/__init__.py": site / "tool/__init__.py",
        "tool/mod.py": site / "tool/mod.py",
    }


def test_files_of_a_virtualenv_distribution_outside_site_packages(tmp_path: Path) -> None:
    prefix = tmp_path / "venv"
    site = prefix / "lib/python3.11/site-packages"
    write_project(prefix, {"share/jupyter/lab.json": "{}", "bin/helper": "#!python\n"})
    dist_info = install_distribution(site, "lab", {"lab.py": ""})
    record = dist_info / "RECORD"
    record.write_text(
        record.read_text() + "../../../share/jupyter/lab.json,,\n../../../bin/helper,,\n"
    )
    dist = environment_for(fake_interpreter(), [site]).distribution("lab")
    assert dist is not None
    assert dict(distribution_files(dist)) == {
        ".prefix/share/jupyter/lab.json": prefix / "share/jupyter/lab.json",
        "lab-1.0.data/scripts/helper": prefix / "bin/helper",
        "lab.py": site / "lab.py",
    }


def test_declared_starts_from_the_requirements_of_a_project_that_is_not_installed(
    tmp_path: Path,
) -> None:
    """--no-install: a dependency the project imports only through a string goes in."""
    env = _env(tmp_path)
    selection = select_distributions([], env, Scope.DECLARED, ("other", "absent>=1"))
    assert _names(selection.included) == ["other"]
    assert selection.warnings == (
        "the project requires 'absent>=1', which is not installed in the environment; the "
        "app may fail where it needs it",
    )
