"""Layouts real teams use build and run: extras, uv workspaces, setup.py-only projects,
hash-locked requirements (``pip hash``) and ``pylock.toml``, and ``--no-install`` against
a development virtualenv with the project installed in editable mode."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import (
    Runner,
    assert_user_error,
    bundle_env,
    pyproject,
    report_lines,
    run_bundle,
    venv_with,
    write_project,
)
from tests.helpers.projects import SETUPTOOLS, app_manifest, library, setuptools_app

EXTRA = '[project.optional-dependencies]\ncount = ["tallyho"]\n'


def _built(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return report_lines(result)


# ---------------------------------------------------------------- extras


def test_the_extra_written_on_the_script_is_installed(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    project = setuptools_app(tmp_path / "app", imports="tallyho", extra=EXTRA)
    toml = project / "pyproject.toml"
    toml.write_text(toml.read_text().replace('"acme_app.cli:main"', '"acme_app.cli:main [count]"'))
    _built(run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline))
    ran = run_app(tmp_path / "app.pyz")
    assert ran.stdout == "acme-app 1.0 -\n", ran.stderr


@pytest.mark.parametrize("how", ["--extra", "config", "--with"])
def test_an_extra_asked_for_is_installed(
    how: str, tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    config = '[tool.bundle]\nextras = ["count"]\n' if how == "config" else ""
    project = setuptools_app(tmp_path / "app", imports="tallyho", extra=EXTRA + config)
    asked = {"--extra": ("--extra", "count"), "--with": ("--with", ".[count]"), "config": ()}
    out = tmp_path / "app.pyz"
    _built(run_bundle("build", project, "-o", out, *offline, *asked[how], cwd=project))
    assert run_app(out).stdout == "acme-app 1.0 -\n"


def test_without_the_extra_the_missing_import_fails_as_in_a_virtualenv(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    project = setuptools_app(tmp_path / "app", imports="tallyho", extra=EXTRA)
    _built(run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline))
    assert "No module named 'tallyho'" in run_app(tmp_path / "app.pyz").stderr
    unknown = run_bundle("build", project, "-o", tmp_path / "b.pyz", *offline, "--extra", "cli")
    assert_user_error(unknown, "acme-app has no extra 'cli' (its extras: count)", status=2)


# ---------------------------------------------------------------- uv workspaces


def test_a_uv_workspace_member_builds_with_its_sibling_packages(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    root = write_project(
        tmp_path / "ws",
        {
            "pyproject.toml": (
                '[tool.uv.workspace]\nmembers = ["packages/*"]\n\n'
                "[tool.uv.sources]\nacme-core = { workspace = true }\n"
                "acme-util = { workspace = true }\n"
            ),
        },
    )
    library(root / "packages" / "util", "acme-util", "from util")
    library(root / "packages" / "core", "acme-core", "from core", dependencies=("acme-util",))
    project = setuptools_app(
        root / "packages" / "app", imports="acme_util", dependencies=("acme-core",)
    )
    out = tmp_path / "app.pyz"
    _built(run_bundle("build", project, "-o", out, *offline))
    assert run_app(out).stdout == "acme-app 1.0 from util\n"
    (root / "packages" / "util" / "acme_util" / "__init__.py").write_text("VALUE = 'edited'\n")
    _built(run_bundle("build", project, "-o", out, *offline))
    assert run_app(out).stdout == "acme-app 1.0 edited\n"


# ---------------------------------------------------------------- legacy projects


def test_a_setup_py_only_project_builds_through_the_fallback(
    tmp_path: Path, offline: tuple[str, ...], run_app: Runner
) -> None:
    setup = (
        "from setuptools import setup\n\n"
        "setup(name='legacy-tool', version='0.7', packages=['legacy_tool'],\n"
        "      install_requires=['inkwell'],\n"
        "      entry_points={'console_scripts': ['legacy = legacy_tool:main']})\n"
    )
    main = (
        "import importlib.metadata\nimport inkwell\n\n\ndef main():\n"
        "    print('legacy', importlib.metadata.version('legacy-tool'))\n"
    )
    project = write_project(
        tmp_path / "legacy", {"setup.py": setup, "legacy_tool/__init__.py": main}
    )
    out = tmp_path / "legacy.pyz"
    _built(run_bundle("build", project, "-o", out, *offline))
    assert run_app(out).stdout == "legacy 0.7\n"
    assert app_manifest(out)["app"] == {"name": "legacy-tool", "version": "0.7"}


# ---------------------------------------------------------------- locks


def _pip_hash(wheel: Path) -> str:
    """The hash line ``pip hash`` prints for ``wheel``."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "hash", str(wheel)],
        capture_output=True,
        text=True,
        check=True,
        env=bundle_env(),
    )
    return result.stdout.splitlines()[-1].strip()


def test_a_hash_locked_requirements_file_installs_with_hashes_required(
    tmp_path: Path, offline: tuple[str, ...], wheelhouse: Path, run_app: Runner
) -> None:
    project = setuptools_app(tmp_path / "app", imports="tallyho", dependencies=("tallyho>=0.9",))
    pins = []
    for name in ("inkwell", "tallyho"):
        wheel = next(wheelhouse.glob(f"{name}-*.whl"))
        version = wheel.name.split("-")[1]
        pins.append(f"{name}=={version} \\\n    {_pip_hash(wheel)}")
    lock = tmp_path / "requirements.lock"
    lock.write_text("\n".join(pins) + "\n")
    out = tmp_path / "app.pyz"
    _built(run_bundle("build", project, "-o", out, *offline, "-r", lock))
    assert run_app(out).stdout == "acme-app 1.0 -\n"
    lock.write_text(lock.read_text().replace("--hash=sha256:", "--hash=sha256:0", 1))
    broken = run_bundle("build", project, "-o", tmp_path / "b.pyz", *offline, "-r", lock)
    assert broken.returncode == 1
    wheel = next(wheelhouse.glob("inkwell-*.whl"))
    good = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert broken.stderr.splitlines()[-1] == (
        "bundle: error: pip could not install the requirements in requirements.lock: "
        f"inkwell==1.4.0 does not have the hash the lock pins (expected sha256 0{good}, got "
        f"{good}); check the lock and where pip looks"
    )


def test_a_lock_that_lacks_a_requirement_of_the_project_says_so(
    tmp_path: Path, offline: tuple[str, ...], wheelhouse: Path
) -> None:
    project = setuptools_app(tmp_path / "app", imports="tallyho", dependencies=("tallyho",))
    wheel = next(wheelhouse.glob("inkwell-*.whl"))
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"inkwell==1.4.0 {_pip_hash(wheel)}\n")
    result = run_bundle("build", project, "-o", tmp_path / "app.pyz", *offline, "-r", lock)
    assert result.stderr.splitlines()[-1] == (
        "bundle: error: requirements.lock does not provide tallyho, which the project requires: "
        "add it to the lock with its hashes, or build without the lock"
    )


def _pylock(path: Path, wheelhouse: Path, environments: str) -> Path:
    packages = []
    for name in ("inkwell", "tallyho"):
        wheel = next(wheelhouse.glob(f"{name}-*.whl"))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        packages.append(
            f'[[packages]]\nname = "{name}"\nversion = "{wheel.name.split("-")[1]}"\n'
            f'wheels = [{{path = "{wheel}", hashes = {{sha256 = "{digest}"}}}}]\n'
        )
    header = f'lock-version = "1.0"\ncreated-by = "tests"\nenvironments = [{environments}]\n'
    path.write_text(header + "\n".join(packages))
    return path


def test_a_pylock_installs_exactly_its_files_for_a_target_it_covers(
    tmp_path: Path, offline: tuple[str, ...], wheelhouse: Path, run_app: Runner
) -> None:
    project = setuptools_app(tmp_path / "app", imports="tallyho", dependencies=("tallyho",))
    lock = _pylock(tmp_path / "pylock.toml", wheelhouse, "\"os_name == 'posix'\"")
    out = tmp_path / "app.pyz"
    _built(run_bundle("build", project, "-o", out, *offline, "-r", lock))
    assert run_app(out).stdout == "acme-app 1.0 -\n"
    elsewhere = _pylock(tmp_path / "pylock.toml", wheelhouse, "\"sys_platform == 'win32'\"")
    refused = run_bundle("build", project, "-o", tmp_path / "b.pyz", *offline, "-r", elsewhere)
    assert refused.stderr.splitlines()[-1].startswith(
        "bundle: error: pylock.toml does not cover CPython "
    )
    assert refused.stderr.splitlines()[-1].endswith(
        ": its environments are sys_platform == 'win32'; lock for this target too, or build "
        "with --python naming an interpreter it covers"
    )


# ---------------------------------------------------------------- --no-install


def test_no_install_takes_the_editable_installs_metadata_and_names_what_is_undeclared(
    tmp_path: Path, backend_wheels: Path, wheelhouse: Path, run_app: Runner
) -> None:
    toml = SETUPTOOLS + (
        '[project]\nname = "devtool"\ndynamic = ["version"]\ndependencies = ["inkwell"]\n'
        'description = "A tool in development"\n[project.scripts]\ndevtool = "devtool:main"\n'
        '[tool.setuptools.dynamic]\nversion = {attr = "devtool.__version__"}\n'
    )
    main = (
        '__version__ = "7.3.dev1"\n\nimport importlib.metadata\n\n\ndef main():\n'
        "    import inkwell\n    try:\n        import tallyho\n    except ImportError:\n"
        "        tallyho = None\n    print(importlib.metadata.version('devtool'))\n"
    )
    project = write_project(
        tmp_path / "devtool", {"pyproject.toml": toml, "devtool/__init__.py": main}
    )
    python = venv_with(tmp_path / "venv", wheelhouse, "inkwell", "tallyho")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    links = ["--find-links", str(backend_wheels), "--find-links", str(wheelhouse)]
    editable = [*pip, "--no-index", *links, "-e", str(project)]
    subprocess.run(editable, check=True, env=bundle_env(), timeout=600)
    out = tmp_path / "dev.pyz"
    result = run_bundle("build", project, "-o", out, "--no-install", "--python", python)
    warnings = [line for line in _built(result) if line.startswith("bundle: warning:")]
    assert warnings[0] == (
        "bundle: warning: tallyho 0.9.2 is bundled from the environment although the project "
        "does not declare it (devtool imports tallyho); add it to the project's dependencies, "
        "or --exclude tallyho"
    )
    assert app_manifest(out)["app"] == {"name": "devtool", "version": "7.3.dev1"}
    assert run_app(out).stdout == "7.3.dev1\n"


def test_a_pylock_with_a_wrong_hash_stops_the_build_naming_both_hashes(
    tmp_path: Path, offline: tuple[str, ...], wheelhouse: Path
) -> None:
    project = setuptools_app(tmp_path / "app", imports="tallyho", dependencies=("tallyho",))
    lock = _pylock(tmp_path / "pylock.toml", wheelhouse, "\"os_name == 'posix'\"")
    wheel = next(wheelhouse.glob("tallyho-*.whl"))
    good = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock.write_text(lock.read_text().replace(good, "0" * 64))
    out = tmp_path / "app.pyz"
    result = run_bundle("build", project, "-o", out, *offline, "-r", lock)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "bundle: error: pip could not install the project's requirements, the requirements in "
        f"pylock.toml and their dependencies: tallyho@ {wheel.as_uri()} does not have the hash "
        f"the lock pins (expected sha256 {'0' * 64}, got {good}); check the lock and where pip "
        "looks"
    )
    assert not out.exists()


def test_excluded_modules_cannot_be_imported_from_the_archive(
    tmp_path: Path, run_app: Runner
) -> None:
    # The README's own example: [tool.bundle] exclude = ["mytool.tests"], plus a flag.
    probe = (
        "import importlib\n"
        "def main():\n"
        "    for name in ('mytool.tests', 'mytool.tests.test_cli', 'mytool.extra', 'mytool.cli'):\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "            print(name, 'imported')\n"
        "        except ModuleNotFoundError as exc:\n"
        "            print(name, 'missing:', exc.name)\n"
    )
    extra = '[tool.bundle]\nexclude = ["mytool.tests"]\n'
    project = write_project(
        tmp_path / "mytool",
        {
            "pyproject.toml": pyproject("mytool", scripts={"mytool": "mytool:main"}, extra=extra),
            "mytool/__init__.py": probe,
            "mytool/cli.py": "",
            "mytool/extra.py": "",
            "mytool/tests/__init__.py": "",
            "mytool/tests/test_cli.py": "import mytool.extra\n",
        },
    )
    out = tmp_path / "mytool.pyz"
    result = run_bundle("build", project, "-o", out, "--no-install", "--exclude", "mytool.extra")
    assert result.returncode == 0, result.stderr
    assert run_app(out).stdout.splitlines() == [
        "mytool.tests missing: mytool.tests",
        "mytool.tests.test_cli missing: mytool.tests",
        "mytool.extra missing: mytool.extra",
        "mytool.cli imported",
    ]
