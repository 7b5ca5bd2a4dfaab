"""Reading pyproject.toml: [project] and [tool.bundle], each value checked for its type."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.errors import ConfigError
from bundler.pyproject import ProjectMetadata, read_pyproject


def _read(tmp_path: Path, text: str) -> tuple[ProjectMetadata | None, dict[str, object]]:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    return read_pyproject(path)


def test_project_table_and_tool_table_are_read(tmp_path: Path) -> None:
    project, tool = _read(
        tmp_path,
        '[project]\nname = "demo"\nversion = "2.0"\nrequires-python = ">=3.9"\n'
        '[project.scripts]\ndemo = "demo.cli:main"\n[tool.bundle]\nstrict = true\n',
    )
    assert project == ProjectMetadata(
        name="demo", version="2.0", requires_python=">=3.9", scripts={"demo": "demo.cli:main"}
    )
    assert tool == {"strict": True}


def test_without_a_project_table_the_backend_decides(tmp_path: Path) -> None:
    assert _read(tmp_path, "[tool.poetry]\nname = 'x'\n") == (None, {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.bundle]\nstrcit = true\n", "unknown key 'strcit' in [tool.bundle] (did you mean "),
        ("[tool.bundle]\nstrict = 'yes'\n", "[tool.bundle] 'strict' must be a bool"),
        ("[tool.bundle]\ninclude = [1]\n", "[tool.bundle] include must be a list of strings"),
        ("[project]\nversion = '1'\n", "[project] needs a 'name'"),
        ("tool = 1\n", "[tool] must be a table"),
    ],
)
def test_wrong_shapes_are_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _read(tmp_path, text)
    assert str(caught.value).startswith(f"{tmp_path / 'pyproject.toml'}: {message}")
