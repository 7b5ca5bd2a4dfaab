"""Build environments: made once per set of requirements, in place, and reused; thrown
away when there is no cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bundler.errors import StagingError
from bundler.staging.buildenv import BuildEnvironments
from bundler.staging.pip import IndexOptions
from bundler.staging.tools import ToolSettings

pytestmark = pytest.mark.usefixtures("pip_free")


def _environments(tmp_path: Path, backend_wheels: Path, **options: object) -> BuildEnvironments:
    index = IndexOptions((str(backend_wheels),), no_index=True)
    return BuildEnvironments(
        python=sys.executable,
        index=index,
        settings=ToolSettings(temp_dir=tmp_path),
        area=tmp_path / "build-envs",
        **options,  # type: ignore[arg-type]
    )


def _imports(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], check=False).returncode == 0


def test_an_environment_is_made_once_where_it_stays_and_reused(
    tmp_path: Path, backend_wheels: Path
) -> None:
    environments = _environments(tmp_path, backend_wheels)
    with environments.enter(["setuptools>=61"]) as first:
        assert first.path.parent.parent == tmp_path / "build-envs"
        assert _imports(first.python_executable, "setuptools")
        scripts = first.path / "bin"
        assert (scripts / "python").exists()
    made = (first.path.parent / "bundle-entry.json").stat().st_mtime_ns
    with environments.enter(["setuptools>=61"]) as second:
        assert second == first
    assert (first.path.parent / "bundle-entry.json").stat().st_mtime_ns == made
    with environments.enter([]) as bare:
        assert bare.path != first.path
        assert not _imports(bare.python_executable, "setuptools")


def test_refresh_makes_it_again(tmp_path: Path, backend_wheels: Path) -> None:
    with _environments(tmp_path, backend_wheels).enter([]) as first:
        (first.path / "marker").write_text("old")
    with _environments(tmp_path, backend_wheels, refresh=True).enter([]) as again:
        assert again.path == first.path and not (again.path / "marker").exists()


def test_without_a_cache_the_environment_is_thrown_away(
    tmp_path: Path, backend_wheels: Path
) -> None:
    environments = BuildEnvironments(
        sys.executable, IndexOptions(no_index=True), ToolSettings(temp_dir=tmp_path)
    )
    with environments.enter([]) as env:
        assert env.path.parent.parent == tmp_path
    assert list(tmp_path.iterdir()) == []


def test_a_failed_install_leaves_no_environment(tmp_path: Path, backend_wheels: Path) -> None:
    with pytest.raises(StagingError), _environments(tmp_path, backend_wheels).enter(["nosuch"]):
        pass
    assert [p.suffix for p in (tmp_path / "build-envs").iterdir()] == [".lock"]
