"""Reading pyproject.toml and merging the command line over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.config import Overrides, load_config
from bundler.errors import ConfigError, ProjectError, TargetError
from bundler.targets import ACCEPTED_FORMS, TargetSpec
from tests.conftest import pyproject, write_project

# ---------------------------------------------------------------- configuration


@pytest.fixture
def project(tmp_path: Path) -> Path:
    toml = pyproject(
        scripts={"demo": "demo.cli:main"},
        extra=(
            "[tool.bundle]\n"
            'with = ["plugin-a"]\n'
            'requirements = ["reqs.txt"]\n'
            'find-links = ["wheels"]\n'
            "no-index = true\n"
        ),
    )
    return write_project(
        tmp_path / "proj",
        {"pyproject.toml": toml, "reqs.txt": "extra-b\n", "wheels/.keep": "", "demo/cli.py": ""},
    )


def test_tool_table_install_options_are_relative_to_the_project(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "more.txt").write_text("x\n")
    cli = Overrides(
        output=Path("app.pyz"), requirements=("plugin-c",), requirement_files=(Path("more.txt"),)
    )
    install = load_config(project, cli).install
    assert install is not None
    assert install.requirements == ("plugin-a", "plugin-c")
    assert install.requirement_files == (project / "reqs.txt", tmp_path / "more.txt")
    assert install.find_links == (str(project / "wheels"),)
    assert install.no_index and install.build_isolation and install.use_cache


def test_cli_overrides_the_tool_table(project: Path) -> None:
    install = load_config(project, Overrides(output=Path("a.pyz"), no_index=False)).install
    assert install is not None and not install.no_index


def test_no_install_conflicts_with_requirements(project: Path) -> None:
    with pytest.raises(ConfigError, match="--with, --requirement, --find-links need an install"):
        load_config(project, Overrides(output=Path("a.pyz"), install=False))


def test_missing_requirements_file_is_named(project: Path) -> None:
    cli = Overrides(output=Path("a.pyz"), requirement_files=(Path("/no/reqs.txt"),))
    with pytest.raises(ConfigError, match=r"requirements file /no/reqs\.txt does not exist"):
        load_config(project, cli)


def test_without_a_project_requirements_are_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, Overrides(output=Path("a.pyz"), requirements=("black",)))
    assert (config.has_project, config.project) == (False, None)
    with pytest.raises(ProjectError, match="name distributions to bundle with --with"):
        load_config(None, Overrides(output=Path("a.pyz")))
    with pytest.raises(ProjectError, match=r"no pyproject\.toml"):
        load_config(tmp_path, Overrides(output=Path("a.pyz"), requirements=("black",)))


def test_project_table_may_be_left_to_the_backend_even_when_not_installing(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, {"pyproject.toml": "[tool.poetry]\nname = 'x'\n"})
    assert load_config(root, Overrides(output=Path("a.pyz"))).project is None
    # Without installing, the metadata comes from the installed project or its backend.
    assert load_config(root, Overrides(output=Path("a.pyz"), install=False)).project is None


# ---------------------------------------------------------------- extraction settings


def _with_tool(tmp_path: Path, tool: str) -> Path:
    toml = pyproject(scripts={"demo": "demo.cli:main"}, extra=f"[tool.bundle]\n{tool}")
    return write_project(tmp_path / "proj", {"pyproject.toml": toml, "demo/cli.py": ""})


def test_extract_zip_safe_and_prune_come_from_the_tool_table_then_the_command_line(
    tmp_path: Path,
) -> None:
    project = _with_tool(tmp_path, 'extract = ["demo.t"]\nzip-safe = ["lib"]\nprune = true\n')
    config = load_config(
        project, Overrides(output=Path("a.pyz"), extract=("other",), zip_safe=("more",))
    )
    assert (config.extract, config.zip_safe, config.prune) == (
        ("demo.t", "other"),
        ("lib", "more"),
        True,
    )
    assert load_config(project, Overrides(output=Path("a.pyz"), prune=False)).prune is False


def test_one_package_both_extracted_and_zip_safe_is_an_error(tmp_path: Path) -> None:
    project = _with_tool(tmp_path, 'extract = ["lib"]\n')
    with pytest.raises(ConfigError) as raised:
        load_config(project, Overrides(output=Path("a.pyz"), zip_safe=("lib",)))
    assert str(raised.value) == (
        "'lib' is named by both extract and zip-safe (--extract, --zip-safe or "
        "[tool.bundle]): keep one of them"
    )


def test_prune_must_be_a_boolean(tmp_path: Path) -> None:
    project = _with_tool(tmp_path, 'prune = "yes"\n')
    with pytest.raises(ConfigError, match=r"\[tool.bundle\] 'prune' must be a bool"):
        load_config(project, Overrides(output=Path("a.pyz")))


def test_a_setup_py_makes_a_project_whose_backend_knows_its_metadata(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"setup.py": "from setuptools import setup\nsetup()\n"})
    config = load_config(root, Overrides(output=Path("a.pyz")))
    assert (config.has_project, config.project, config.project_dir) == (True, None, root)


def test_a_setup_cfg_alone_is_not_a_project_pip_can_build(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"setup.cfg": "[metadata]\nname = x\n"})
    with pytest.raises(ProjectError) as caught:
        load_config(root, Overrides(output=Path("a.pyz")))
    assert str(caught.value) == (
        f"{root} has a setup.cfg but no setup.py or pyproject.toml, which pip and build need: "
        "add a pyproject.toml with a [build-system] table for setuptools"
    )


def test_extras_timeout_and_links_from_the_table_and_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BUNDLER_TIMEOUT", raising=False)
    toml = pyproject() + '[tool.bundle]\nextras = ["cli"]\ntimeout = 60\nwith = [".[color]"]\n'
    root = write_project(tmp_path, {"pyproject.toml": toml})
    cli = Overrides(output=Path("a.pyz"), extras=("docs",), follow_symlinks=True)
    config = load_config(root, cli)
    assert (config.extras, config.timeout, config.follow_symlinks) == (("cli", "docs"), 60.0, True)
    assert config.install is not None
    assert config.install.requirements == (str(root / ".[color]"),)
    configured_links = write_project(
        tmp_path / "two", {"pyproject.toml": pyproject() + "[tool.bundle]\ntimeout = 0\n"}
    )
    assert load_config(configured_links, Overrides(output=Path("a"))).follow_symlinks is False
    assert load_config(configured_links, Overrides(output=Path("a"))).timeout is None


# ---------------------------------------------------------------- size settings


def test_bytecode_and_sources_default_then_tool_table_then_command_line(tmp_path: Path) -> None:
    plain = write_project(tmp_path / "plain", {"pyproject.toml": pyproject(), "demo/cli.py": ""})
    config = load_config(plain, Overrides(output=Path("a.pyz")))
    assert (config.bytecode, config.sources) == ("imported", "packed")
    project = _with_tool(tmp_path, 'bytecode = "all"\nsources = "files"\n')
    config = load_config(project, Overrides(output=Path("a.pyz")))
    assert (config.bytecode, config.sources) == ("all", "files")
    given = Overrides(output=Path("a.pyz"), bytecode="imported", sources="packed")
    config = load_config(project, given)
    assert (config.bytecode, config.sources) == ("imported", "packed")


def test_unknown_sources_setting_is_one_line(tmp_path: Path) -> None:
    project = _with_tool(tmp_path, 'sources = "zstd"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(project, Overrides(output=Path("a.pyz")))
    assert str(raised.value) == "[tool.bundle] sources must be 'packed' or 'files', not 'zstd'"


def test_targets_come_from_the_tool_table_then_the_command_line(tmp_path: Path) -> None:
    toml = pyproject(
        extra='[tool.bundle]\ntargets = ["3.12", "cp313-win_amd64"]\npython = "3.11"\n'
    )
    project = write_project(tmp_path / "p", {"pyproject.toml": toml})
    cli = Overrides(output=Path("a.pyz"), target_pythons=("3.10",), platforms=("win32",))
    config = load_config(project, cli)
    assert config.targets == (
        TargetSpec((3, 12), None),
        TargetSpec((3, 13), "win_amd64"),
        TargetSpec((3, 10), "win32"),
    )
    assert (config.python, config.more_pythons) == ("3.11", ())
    given = load_config(project, Overrides(output=Path("a.pyz"), pythons=("3.9", "3.13")))
    assert (given.python, given.more_pythons) == ("3.9", ("3.13",))


def test_a_wrong_target_in_the_tool_table_names_the_file(tmp_path: Path) -> None:
    toml = pyproject(extra='[tool.bundle]\ntargets = ["3.12/linux"]\n')
    project = write_project(tmp_path / "p", {"pyproject.toml": toml})
    with pytest.raises(TargetError) as caught:
        load_config(project, Overrides(output=Path("a.pyz")))
    assert str(caught.value) == (
        f"{project / 'pyproject.toml'}: [tool.bundle] targets: unknown platform tag 'linux' (in "
        f"target '3.12/linux'): expected {ACCEPTED_FORMS}"
    )
