"""uv sources: workspace members and path sources made direct, for the project's
requirements and for what those local packages need in turn."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from bundler.errors import ConfigError
from bundler.staging.sources import read_uv_sources
from tests.conftest import write_project
from tests.test_distribution import LINUX_311


def _member(name: str, *dependencies: str, sources: str = "") -> str:
    listed = ", ".join(f'"{d}"' for d in dependencies)
    return f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = [{listed}]\n{sources}'


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "ws",
        {
            "pyproject.toml": (
                '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/skip"]\n'
                "[tool.uv.sources]\nacme-core = { workspace = true }\n"
                "acme-util = { workspace = true }\n"
            ),
            "packages/app/pyproject.toml": _member(
                "acme-app",
                "acme-core",
                "inkwell>=1",
                sources='[tool.uv.sources]\nvendored = { path = "../../vendor/vendored" }\n'
                'remote = { git = "https://example.org/remote.git", tag = "v2" }\n',
            ),
            "packages/core/pyproject.toml": _member(
                "acme-core", "acme-util; python_version >= '3.9'"
            ),
            "packages/util/pyproject.toml": _member("acme-util"),
            "packages/skip/pyproject.toml": _member("acme-skip"),
            "vendor/vendored/pyproject.toml": _member("vendored"),
        },
    )


def _direct(workspace: Path, *requirements: str) -> tuple[list[str], list[Path]]:
    sources = read_uv_sources(workspace / "packages" / "app")
    return sources.direct([Requirement(r) for r in requirements], LINUX_311)


def test_workspace_members_become_direct_with_what_they_need(workspace: Path) -> None:
    direct, paths = _direct(workspace, "acme-core", "inkwell>=1")
    core = (workspace / "packages" / "core").resolve()
    util = (workspace / "packages" / "util").resolve()
    assert direct == [f"acme-core @ {core.as_uri()}", "inkwell>=1", f"acme-util @ {util.as_uri()}"]
    assert paths == [core, util]


def test_path_and_git_sources_of_the_project_itself(workspace: Path) -> None:
    direct, paths = _direct(workspace, "vendored[fast]", "remote")
    vendored = workspace / "vendor" / "vendored"
    assert direct == [
        f"vendored[fast] @ {vendored.as_uri()}",
        "remote @ git+https://example.org/remote.git@v2",
    ]
    assert paths == [vendored]


def test_excluded_member_is_not_in_the_workspace(workspace: Path) -> None:
    (workspace / "pyproject.toml").write_text(
        (workspace / "pyproject.toml").read_text() + "acme-skip = { workspace = true }\n"
    )
    with pytest.raises(ConfigError) as caught:
        _direct(workspace, "acme-skip")
    assert str(caught.value) == (
        "[tool.uv.sources] takes acme-skip from the workspace, but no member of a uv workspace "
        "around the project is called that"
    )


def test_a_project_without_uv_sources_is_left_alone(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {"pyproject.toml": _member("p", "inkwell")})
    sources = read_uv_sources(project)
    direct, paths = sources.direct([Requirement("inkwell>=1; python_version > '3'")], LINUX_311)
    assert (direct, paths) == (["inkwell>=1"], [])
