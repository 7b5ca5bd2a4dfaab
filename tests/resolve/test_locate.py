"""Finding modules as the import system would, for the target."""

from __future__ import annotations

from pathlib import Path

from bundler.resolve import ModuleLocator
from tests.conftest import write_project


def test_locator_finds_namespace_portions_across_path_entries(tmp_path: Path) -> None:
    write_project(tmp_path / "a", {"ns/one.py": ""})
    write_project(tmp_path / "b", {"ns/two.py": ""})
    locator = ModuleLocator([tmp_path / "a", tmp_path / "b"], [".so"])
    spec = locator.find("ns")
    assert spec is not None and spec.loader is None
    assert [Path(p).parent.name for p in spec.submodule_search_locations or []] == ["a", "b"]
    assert locator.find("ns.two") is not None
    assert locator.find("ns.three") is None
