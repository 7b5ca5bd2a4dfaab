"""A build is never stale: every input the backend and pip read (git tags, local libraries,
files named by requirements files, what links point to) changes the archive when it
changes, and an unchanged project reuses everything. Each test changes an input between
two builds and runs the archive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Runner, report_lines, run_bundle, write_project
from tests.helpers.downloads import download_wheels
from tests.helpers.projects import (
    app_manifest,
    git,
    library,
    setuptools_app,
)

# Plugins that take a project's version from git, and PDM's backend, downloaded once like
# the build backends of tests/conftest.py.
MORE_BACKENDS = (
    "setuptools-scm==8.3.1",
    "hatch-vcs==0.5.0",
    "hatchling==1.33.0",
    "pdm-backend==2.5.0",
)


@pytest.fixture(scope="session")
def more_backends() -> Path:
    return download_wheels("more-backends", MORE_BACKENDS)


@pytest.fixture
def links(offline: tuple[str, ...], more_backends: Path) -> tuple[str, ...]:
    """Offline, from the fixture wheels, the build backends and the plugins above."""
    return (*offline, "--find-links", str(more_backends))


@pytest.fixture
def build_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(cache))
    return cache


def _build(project: Path, out: Path, links: tuple[str, ...], *args: str | Path) -> list[str]:
    result = run_bundle("build", project, "-o", out, *links, *args)
    assert result.returncode == 0, result.stderr
    return report_lines(result)


# ---------------------------------------------------------------- versions from git

SCM_PROJECTS = {
    "setuptools-scm": (
        '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "tagged"\ndynamic = ["version"]\n'
        '[project.scripts]\ntagged = "tagged:main"\n[tool.setuptools_scm]\n'
    ),
    "hatch-vcs": (
        '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
        'build-backend = "hatchling.build"\n\n'
        '[project]\nname = "tagged"\ndynamic = ["version"]\n'
        '[project.scripts]\ntagged = "tagged:main"\n[tool.hatch.version]\nsource = "vcs"\n'
    ),
}
TAGGED = (
    "import importlib.metadata\n\n\ndef main():\n    print(importlib.metadata.version('tagged'))\n"
)


@pytest.mark.parametrize("plugin", sorted(SCM_PROJECTS))
def test_a_new_git_tag_gives_the_new_version(
    plugin: str,
    tmp_path: Path,
    links: tuple[str, ...],
    run_app: Runner,
    build_cache: Path,
) -> None:
    repo = write_project(
        tmp_path / "repo",
        {"pyproject.toml": SCM_PROJECTS[plugin], "tagged/__init__.py": TAGGED},
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    git(repo, "tag", "v1.4.2")
    out = tmp_path / "app.pyz"
    _build(repo, out, links)
    assert run_app(out).stdout == "1.4.2\n"
    git(repo, "commit", "-q", "--allow-empty", "-m", "release")
    git(repo, "tag", "-a", "v1.5.0", "-m", "1.5.0")
    lines = _build(repo, out, links)
    assert lines[0] == "bundle: building the wheel of repo"
    assert run_app(out).stdout == "1.5.0\n"
    assert app_manifest(out)["app"] == {"name": "tagged", "version": "1.5.0"}
    unchanged = _build(repo, out, links)
    reused = [line for line in unchanged if line.startswith("bundle: reused")]
    assert reused == [line for line in unchanged if "cached staging directory" in line]
    assert len(reused) == 1


# ---------------------------------------------------------------- local libraries


# How each backend writes a dependency on a library beside the project: all of them end up
# as "acme-core @ file:///..." in the wheel's metadata.
PATH_DEPENDENCIES = {
    "hatchling": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "acme-app"\nversion = "1.0"\n'
        'dependencies = ["acme-core @ {root:uri}/../libs/core"]\n'
        '[project.scripts]\napp = "acme_app:main"\n'
        "[tool.hatch.metadata]\nallow-direct-references = true\n"
    ),
    "pdm-backend": (
        '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n\n'
        '[project]\nname = "acme-app"\nversion = "1.0"\n'
        'dependencies = ["acme-core @ file:///${PROJECT_ROOT}/../libs/core"]\n'
        '[project.scripts]\napp = "acme_app:main"\n'
    ),
    "poetry-core": (
        '[build-system]\nrequires = ["poetry-core>=2.0"]\n'
        'build-backend = "poetry.core.masonry.api"\n\n'
        '[project]\nname = "acme-app"\nversion = "1.0"\ndynamic = ["dependencies"]\n'
        '[project.scripts]\napp = "acme_app:main"\n'
        '[tool.poetry.dependencies]\nacme-core = { path = "../libs/core" }\n'
    ),
}


@pytest.mark.parametrize("backend", sorted(PATH_DEPENDENCIES))
def test_a_path_dependency_edited_between_builds(
    backend: str, tmp_path: Path, links: tuple[str, ...], run_app: Runner, build_cache: Path
) -> None:
    core = library(tmp_path / "libs" / "core", "acme-core", "one")
    main = "import acme_core\n\n\ndef main():\n    print(acme_core.VALUE)\n"
    project = write_project(
        tmp_path / "app",
        {"pyproject.toml": PATH_DEPENDENCIES[backend], "acme_app/__init__.py": main},
    )
    out = tmp_path / "app.pyz"
    _build(project, out, links)
    assert run_app(out).stdout == "one\n"
    (core / "acme_core" / "__init__.py").write_text("VALUE = 'two'\n")
    lines = _build(project, out, links)
    assert "bundle: building the wheel of app" not in lines  # the app did not change
    assert run_app(out).stdout == "two\n"


def test_a_library_a_path_dependency_needs_is_followed_too(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner, build_cache: Path
) -> None:
    """core needs util by path: util is read by pip only while it builds core."""
    util = library(tmp_path / "libs" / "util", "acme-util", "u1")
    util_url = util.as_uri()
    core = library(
        tmp_path / "libs" / "core", "acme-core", "c1", dependencies=(f"acme-util @ {util_url}",)
    )
    project = setuptools_app(
        tmp_path / "app", imports="acme_util", dependencies=(f"acme-core @ {core.as_uri()}",)
    )
    out = tmp_path / "app.pyz"
    _build(project, out, offline)
    assert run_app(out).stdout == "acme-app 1.0 u1\n"
    (util / "acme_util" / "__init__.py").write_text("VALUE = 'u2'\n")
    _build(project, out, offline)
    assert run_app(out).stdout == "acme-app 1.0 u2\n"


def test_a_requirements_file_names_a_path_relative_to_itself(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner, build_cache: Path
) -> None:
    core = library(tmp_path / "repo" / "libs" / "core", "acme-core", "one")
    project = setuptools_app(tmp_path / "repo" / "app", imports="acme_core")
    requirements = write_project(
        tmp_path / "repo" / "requirements", {"app.txt": "-e ../libs/core\n"}
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "app.pyz"
    args = ("-r", requirements / "app.txt", "-c", "app")
    result = run_bundle("build", project, "-o", out, *offline, *args, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert run_app(out).stdout == "acme-app 1.0 one\n"
    (core / "acme_core" / "__init__.py").write_text("VALUE = 'two'\n")
    again = run_bundle("build", project, "-o", out, *offline, *args, cwd=elsewhere)
    assert again.returncode == 0, again.stderr
    assert run_app(out).stdout == "acme-app 1.0 two\n"


# ---------------------------------------------------------------- links


def _plugin_app(root: Path, plugin: Path | str) -> Path:
    """An app whose package ``acme_app.plugin`` is a link to ``plugin``; setuptools finds
    packages below the link."""
    project = setuptools_app(
        root,
        imports="acme_app.plugin",
        extra='[tool.setuptools.packages.find]\ninclude = ["acme_app*"]\n',
        files={".shared/plugin/__init__.py": "VALUE = 'one'\n"},
    )
    toml = project / "pyproject.toml"
    toml.write_text(toml.read_text().replace('[tool.setuptools]\npackages = ["acme_app"]\n', ""))
    (project / "acme_app" / "plugin").symlink_to(plugin)
    return project


def test_a_symlinked_package_is_rebuilt_when_its_target_changes(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner, build_cache: Path
) -> None:
    project = _plugin_app(tmp_path / "app", "../.shared/plugin")
    out = tmp_path / "app.pyz"
    _build(project, out, offline)
    assert run_app(out).stdout == "acme-app 1.0 one\n"
    (project / ".shared" / "plugin" / "__init__.py").write_text("VALUE = 'two'\n")
    _build(project, out, offline)
    assert run_app(out).stdout == "acme-app 1.0 two\n"


def test_a_link_out_of_the_project_is_bundled_only_when_asked(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner, build_cache: Path
) -> None:
    shared = write_project(tmp_path / "shared", {"plugin/__init__.py": "VALUE = 'one'\n"})
    project = _plugin_app(tmp_path / "app", shared / "plugin")
    out = tmp_path / "app.pyz"
    refused = run_bundle("build", project, "-o", out, *offline)
    assert (refused.returncode, refused.stderr) == (
        2,
        f"bundle: error: symlink acme_app/plugin in the project points outside it, to "
        f"{shared / 'plugin'}: remove it or copy what it points to into the project, or pass "
        "--follow-symlinks to bundle it anyway\n",
    )
    assert not out.exists() and not build_cache.exists()
    _build(project, out, offline, "--follow-symlinks")
    assert run_app(out).stdout == "acme-app 1.0 one\n"
    (shared / "plugin" / "__init__.py").write_text("VALUE = 'two'\n")
    _build(project, out, offline, "--follow-symlinks")
    assert run_app(out).stdout == "acme-app 1.0 two\n"


# ---------------------------------------------------------------- reuse and reproducibility


def test_one_edited_file_reinstalls_the_project_alone(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner, build_cache: Path
) -> None:
    project = setuptools_app(
        tmp_path / "app",
        imports="acme_app.edited",
        dependencies=("tallyho",),
        files={"acme_app/edited.py": "import tallyho\n\nVALUE = 'v1'\n"},
    )
    out = tmp_path / "app.pyz"
    first = _build(project, out, offline)
    version = first[1].rsplit(" ", 1)[-1]
    assert first[:3] == [
        "bundle: building the wheel of app",
        f"bundle: installing the project's dependencies with pip for Python {version}",
        f"bundle: installing the project with pip for Python {version}",
    ]
    assert run_app(out).stdout == "acme-app 1.0 v1\n"
    (project / "acme_app" / "edited.py").write_text("import tallyho\n\nVALUE = 'v2'\n")
    second = _build(project, out, offline)
    assert second[:2] == [
        "bundle: building the wheel of app",
        f"bundle: installing the project with pip for Python {version}",
    ]
    assert run_app(out).stdout == "acme-app 1.0 v2\n"


def test_builds_in_other_caches_and_temporary_directories_are_identical(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    core = library(tmp_path / "libs" / "core", "acme-core", "one")
    project = setuptools_app(
        tmp_path / "app",
        imports="acme_core",
        dependencies=(f"acme-core @ {core.as_uri()}", "tallyho"),
    )
    archives = []
    for name in ("first", "second"):
        temp = tmp_path / f"tmp-{name}"
        temp.mkdir()
        env = {"BUNDLER_BUILD_CACHE": str(tmp_path / f"cache-{name}"), "TMPDIR": str(temp)}
        out = tmp_path / f"{name}.pyz"
        result = run_bundle("build", project, "-o", out, *offline, env=env)
        assert result.returncode == 0, result.stderr
        assert os.listdir(temp) == []
        archives.append(out.read_bytes())
    assert archives[0] == archives[1]
