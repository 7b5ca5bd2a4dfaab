"""Issue 5's invocation and failure bullets, with the compat sample's archive.

Every way of starting the archive must run the same app: the probes give what they give for
``python /absolute/path/compat.pyz``. A damaged archive, an interrupt or ``SystemExit``
ends the way the issue says. (Exit codes from ``main()``, requires-python and a corrupt
payload are covered by tests/e2e/test_runtime.py.)
"""

from __future__ import annotations

import json
import marshal
import os
import re
import shutil
import signal
import subprocess
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import assert_app_error
from tests.helpers.compat_sample import (
    BUILD_MINOR,
    app_env,
    clean_venv_python,
    compat_archives,
    installed_venv,
    probe_output,
    run_archive,
    run_installed,
)
from tests.helpers.pythons import SUPPORTED
from tests.helpers.shared import shared_directory

# Probes that look at paths, imports, resources, metadata and source lines: cheap, and
# sensitive to where the archive is and how Python was started.
PROBES = (
    "import_modules_and_packages",
    "module_attributes",
    "resources_files",
    "pkgutil_plugin_discovery",
    "metadata_files",
    "traceback_source_lines",
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_directory(tmp_path_factory, "compat-sample")


@pytest.fixture(scope="module")
def archive(shared: Path) -> Path:
    return compat_archives(shared).console


@pytest.fixture(scope="module")
def python(shared: Path) -> Path:
    return clean_venv_python(shared, BUILD_MINOR)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return app_env(tmp_path / "cache")


def assert_runs_as_expected(
    result: subprocess.CompletedProcess[str], shared: Path, minor: str = BUILD_MINOR
) -> None:
    """The run printed what ``python /absolute/path/compat.pyz probe PROBES...`` prints."""
    assert probe_output(result) == expected_results(shared, minor)


def copy_into(archive: Path, directory: Path, name: str = "compat.pyz") -> Path:
    """A copy of ``archive`` named ``name`` in the new directory ``directory``."""
    directory.mkdir(parents=True)
    return Path(shutil.copy2(archive, directory / name))


def expected_results(shared: Path, minor: str = BUILD_MINOR) -> dict[str, Any]:
    """What ``python /absolute/path/compat.pyz probe PROBES...`` prints on ``minor``."""
    return _expected_results(shared, minor)


@cache
def _expected_results(shared: Path, minor: str) -> dict[str, Any]:
    python = clean_venv_python(shared, minor)
    archive = compat_archives(shared).console
    env = app_env(shared / f"cache-expected-{minor}")
    return probe_output(run_archive(python, archive, "probe", *PROBES, env=env))


# -- invocation ----------------------------------------------------------------------------


def test_shebang_runs_the_archive_as_a_program(
    shared: Path, archive: Path, python: Path, env: dict[str, str]
) -> None:
    assert archive.read_bytes().startswith(b"#!/bin/sh\n")  # tests/e2e/test_sh_header.py
    assert os.access(archive, os.X_OK)
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"  # python3 is the clean one
    assert_runs_as_expected(_run([str(archive), "probe", *PROBES], env=env), shared)


@pytest.mark.parametrize("through", ["python", "shebang"])
def test_symlink_to_the_archive_runs_it(
    shared: Path, archive: Path, python: Path, env: dict[str, str], tmp_path: Path, through: str
) -> None:
    link = tmp_path / "bin" / "compat"
    link.parent.mkdir()
    link.symlink_to(archive)
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"
    command = [str(python), str(link)] if through == "python" else [str(link)]
    assert_runs_as_expected(_run([*command, "probe", *PROBES], env=env), shared)


def test_relative_path_from_another_working_directory(
    shared: Path, archive: Path, python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    copy_into(archive, tmp_path / "apps")
    elsewhere = tmp_path / "work" / "deeper"
    elsewhere.mkdir(parents=True)
    relative = os.path.join("..", "..", "apps", "compat.pyz")
    result = run_archive(python, relative, "probe", *PROBES, env=env, cwd=elsewhere)
    assert_runs_as_expected(result, shared)


@pytest.mark.pythons
@pytest.mark.parametrize("minor", SUPPORTED)
@pytest.mark.parametrize("flag", ["-I", "-E"])
def test_isolated_and_ignore_environment_flags(
    shared: Path, archive: Path, env: dict[str, str], minor: str, flag: str
) -> None:
    python = clean_venv_python(shared, minor)
    result = run_archive(python, archive, "probe", *PROBES, env=env, flags=[flag])
    assert_runs_as_expected(result, shared, minor)


def test_path_with_spaces_and_non_ascii_characters(
    shared: Path, archive: Path, python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    target = copy_into(archive, tmp_path / "my apps ünïcödé ✓ 日本", "compat app é.pyz")
    assert_runs_as_expected(run_archive(python, target, "probe", *PROBES, env=env), shared)


def test_archive_in_a_read_only_directory(
    shared: Path, archive: Path, python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    directory = tmp_path / "read-only"
    target = copy_into(archive, directory)
    target.chmod(0o555)
    directory.chmod(0o555)
    try:
        result = run_archive(python, target, "probe", *PROBES, env=env)
        listing = sorted(p.name for p in directory.iterdir())
    finally:
        directory.chmod(0o755)
    assert_runs_as_expected(result, shared)
    # Root writes through permission bits: check that nothing was written beside it.
    assert listing == ["compat.pyz"]


@pytest.mark.parametrize(
    ("flags", "evidence"),
    [
        # A whole line of stderr, as a pattern: the timings (in microseconds) vary by run.
        (["-X", "importtime"], r"import time: +\d+ \| +\d+ \| compat\.cli"),
        (["-v"], r"import 'compat\.cli' # <ArchiveImporter '{archive}'>"),
    ],
    ids=["importtime", "verbose"],
)
def test_python_diagnostic_flags_see_archived_imports(
    shared: Path,
    archive: Path,
    python: Path,
    env: dict[str, str],
    flags: list[str],
    evidence: str,
) -> None:
    result = run_archive(python, archive, "probe", *PROBES, env=env, flags=flags)
    assert_runs_as_expected(result, shared)
    pattern = evidence.replace("{archive}", re.escape(str(archive)))
    assert any(re.fullmatch(pattern, line) for line in result.stderr.splitlines()), result.stderr


# -- failure -------------------------------------------------------------------------------


def test_truncated_archive_is_one_clear_line(
    archive: Path, python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    data = archive.read_bytes()
    truncated = tmp_path / "truncated.pyz"
    # An interrupted download that ends just after the payload: where it ends decides
    # what Python makes of it (cut at a fixed fraction, the outcome moved with the
    # runtime's size: past 64 KiB from the payload's own end-of-zip record, Python finds
    # no zip and reports a SyntaxError in the /bin/sh header instead).
    with zipfile.ZipFile(archive) as outer:
        payload = outer.getinfo(".bundle/payload.zip")
    start = payload.header_offset + 30 + len(payload.filename) + len(payload.extra)
    truncated.write_bytes(data[: start + payload.compress_size + 1000])
    result = run_archive(python, truncated, "probe", "reload", env=env)
    # Not even the runtime can be read: Python's own message. Which one depends on where
    # the cut falls: zipimport may still find the payload's own zip directory (no
    # __main__ there), or no zip at all, and Python then reads the file as a script, whose
    # line 2 (the header's shell no-op) is a SyntaxError.
    no_main = f"{python}: can't find '__main__' module in '{truncated}'\n"
    not_a_zip = (
        f'  File "{truncated}", line 2\n'
        "    : 'If Python shows this line, this file is not a complete archive: rebuild or "
        "re-download it.\n"
    )
    assert result.returncode == 1
    assert result.stderr == no_main or (
        result.stderr.startswith(not_a_zip) and result.stderr.endswith("(detected at line 2)\n")
    ), result.stderr


def test_an_archive_cut_short_says_what_to_do_in_pythons_own_message(
    archive: Path, python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    # No zip directory left: Python reads the file as a script and quotes line 2.
    truncated = tmp_path / "cut.pyz"
    truncated.write_bytes(archive.read_bytes()[:3000])
    result = run_archive(python, truncated, "probe", env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        f'  File "{truncated}", line 2',
        "    : 'If Python shows this line, this file is not a complete archive: rebuild or "
        "re-download it.",
    ]


def test_archive_of_an_unknown_future_format_is_one_clear_line(
    archive: Path, python: Path, env: dict[str, str], tmp_path: Path
) -> None:
    future = tmp_path / "future.pyz"
    rewrite_with_format(archive, future, 99)
    result = run_archive(python, future, "probe", "reload", env=env)
    assert_app_error(
        result,
        future,
        f"{future} uses archive format 99, but its runtime reads format "
        f"{archive_format(archive)}; rebuild it with a matching bundler",
    )


@pytest.mark.pythons
@pytest.mark.parametrize("minor", SUPPORTED)
def test_interrupt_signal_exits_130_without_a_runtime_traceback(
    shared: Path, archive: Path, env: dict[str, str], minor: str
) -> None:
    python = clean_venv_python(shared, minor)
    with subprocess.Popen(
        [str(python), str(archive), "sleep", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == "sleeping\n"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert (process.returncode, stderr) == (130, "")


@pytest.mark.parametrize(
    "args",
    [("exit", "goodbye, with a message"), ("exit", "0"), ("exit", "5")],
    ids=["message", "zero", "code"],
)
def test_system_exit_passes_through_as_in_a_virtualenv(
    shared: Path, archive: Path, python: Path, env: dict[str, str], args: tuple[str, ...]
) -> None:
    installed = run_installed(installed_venv(shared, BUILD_MINOR), *args, env=env)
    archived = run_archive(python, archive, *args, env=env)
    expected = (installed.returncode, installed.stdout, installed.stderr)
    assert (archived.returncode, archived.stdout, archived.stderr) == expected


# -- helpers -------------------------------------------------------------------------------


def archive_format(archive: Path) -> int:
    """The format version that ``archive``'s manifest gives."""
    with zipfile.ZipFile(archive) as source:
        version: int = json.loads(source.read(".bundle/manifest.json"))["format"]
    return version


def rewrite_with_format(archive: Path, output: Path, version: int) -> None:
    """Copy ``archive`` with its index and manifest claiming format ``version``."""
    data = archive.read_bytes()
    with zipfile.ZipFile(archive) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
        first = min(info.header_offset for info, _ in members)
    with open(output, "wb") as stream:
        stream.write(data[:first])  # the shebang line
        with zipfile.ZipFile(stream, "w") as target:
            for info, content in members:
                target.writestr(info, _with_format(info.filename, content, version))
    output.chmod(0o755)


def _with_format(member: str, content: bytes, version: int) -> bytes:
    if member == ".bundle/index":
        return marshal.dumps({**marshal.loads(content), "format": version})
    if member == ".bundle/manifest.json":
        return json.dumps({**json.loads(content), "format": version}).encode()
    return content


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
