"""Missing imports grouped by the distribution whose code makes them, with the extra that
provides each one according to the distribution's metadata."""

from __future__ import annotations

from pathlib import Path

from bundler.entrypoint import EntryPoint
from bundler.environment import staged_environment
from bundler.misses import group_misses, is_ignored
from bundler.resolve import Graph, MissingImport, Module, ModuleKind
from tests.helpers.environments import fake_interpreter, install_distribution

REQUIRES = [
    'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
    "PyYAML>=6; extra == 'yaml'",
    'python-dateutil; extra == "dates" and python_version >= "3.9"',
    "requests>=2",
    "not a requirement; extra == 'x'",
]


def _graph(site: Path, misses: list[tuple[str, str, bool]]) -> Graph:
    modules = {
        "tool.core": Module("tool.core", ModuleKind.THIRD_PARTY, site / "tool/core.py", False),
        "app": Module("app", ModuleKind.PROJECT, Path("/project/app.py"), False),
    }
    missing = tuple(
        MissingImport(name, importer, 1, optional) for name, importer, optional in misses
    )
    return Graph(EntryPoint("app", "main"), modules, missing)


def test_misses_are_grouped_by_distribution_with_extras_from_metadata(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_distribution(site, "Tool", {"tool/core.py": ""}, version="2.1", requires=REQUIRES)
    env = staged_environment(fake_interpreter(), site)
    graph = _graph(
        site,
        [
            ("socks", "tool.core", True),
            ("yaml", "tool.core", True),
            ("dateutil.parser", "tool.core", True),
            ("requests", "tool.core", True),
            ("x", "tool.core", True),
            ("helper", "app", True),
            ("fatal", "tool.core", False),
        ],
    )
    optional = group_misses(graph, env, optional=True)
    assert [(group.owner, [m.name for m in group.misses]) for group in optional] == [
        (None, ["helper"]),
        ("Tool 2.1", ["socks", "yaml", "dateutil.parser", "requests", "x"]),
    ]
    tool = optional[1]
    assert [tool.extra_for(name) for name in ("socks", "yaml", "dateutil.parser", "requests")] == [
        "Tool[socks]",
        "Tool[yaml]",
        "Tool[dates]",
        None,  # required without an extra: no extra brings it
    ]
    required = group_misses(graph, env, optional=False)
    assert [(group.owner, [m.name for m in group.misses]) for group in required] == [
        ("Tool 2.1", ["fatal"])
    ]


def test_ignored_names_cover_their_submodules() -> None:
    assert is_ignored("win32api", ["win32api"])
    assert is_ignored("win32api.sub", ["win32api"])
    assert not is_ignored("win32apix", ["win32api"])
