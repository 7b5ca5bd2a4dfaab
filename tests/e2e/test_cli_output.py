"""What ``bundle`` prints, as a user and a script see it: progress rewritten in place on a
terminal (a pseudo-terminal here), plain lines in CI, the archive's path on stdout, and
``--json`` documents valid against their published schemas."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REPO, bundle_env, pyproject, run_bundle, write_project

SCHEMAS = REPO / "docs" / "schema"
CLI = "import json\n\n\ndef main():\n    print(json.dumps({'ok': True}))\n"
SETUPTOOLS = (
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
)
# What a terminal shows: "\r" and erase-line before each redraw of the running step.
REDRAW = "\r\x1b[2K"


def _project(root: Path, name: str) -> Path:
    """A setuptools project (its wheel is built: a step that takes seconds)."""
    toml = SETUPTOOLS + pyproject(name, scripts={name: f"{name}.cli:main"})
    return write_project(
        root, {"pyproject.toml": toml, f"{name}/__init__.py": "", f"{name}/cli.py": CLI}
    )


def _on_terminal(args: list[str | Path], **env: str) -> tuple[str, str, int]:
    """Run ``bundle`` with stderr on a pseudo-terminal; returns (terminal, stdout, status)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bundler", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=bundle_env(COLUMNS="200", LANG="C.UTF-8", **env),
    )
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the child closed the terminal (EIO on Linux)
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    stdout = process.stdout.read().decode() if process.stdout else ""
    status = process.wait(timeout=600)
    # The terminal turns "\n" into "\r\n"; undo it to compare lines.
    return seen.decode().replace("\r\n", "\n"), stdout, status


def _without_ci() -> dict[str, str]:
    return {name: value for name, value in bundle_env().items() if name not in ("CI", "NO_COLOR")}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project no build has seen: its wheel is built, its install run."""
    name = f"p{os.urandom(4).hex()}"
    return _project(tmp_path / name, name)


def test_progress_is_rewritten_in_place_on_a_terminal(
    project: Path, tmp_path: Path, offline: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    archive = tmp_path / "app.pyz"
    screen, stdout, status = _on_terminal(["build", project, "-o", archive, *offline])
    assert (status, stdout) == (0, f"{archive}\n"), screen
    title = f"bundle: building the wheel of {project.name}"
    redraws = re.findall(re.escape(REDRAW + title) + r" \S (\d+\.\d) s", screen)
    # The running step's line is redrawn with its elapsed time, many times a second...
    assert len(redraws) >= 3, screen
    assert sorted(set(redraws), key=float)[-1] != "0.0"
    # ...and ends, in place, as one line with its duration, in the dim colour.
    assert re.search(re.escape(REDRAW + title) + r" \x1b\[2m\(\d+\.\d s\)\x1b\[0m\n", screen)
    entry = f"bundle: resolving imports from {project.name}.cli:main"
    assert re.search(re.escape(REDRAW + entry) + r" \x1b\[2m\(2 modules to bundle, ", screen)
    # Permanent lines come out whole, each on its own line.
    assert re.search(r"\nbundle: wrote .* in \d+\.\d s\n$", screen), screen


def test_no_colour_with_no_color_but_still_in_place(
    project: Path, tmp_path: Path, offline: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    screen, _, status = _on_terminal(
        ["build", project, "-o", tmp_path / "app.pyz", *offline], NO_COLOR="1"
    )
    assert status == 0, screen
    assert REDRAW in screen
    assert "\x1b[2m" not in screen and "\x1b[0m" not in screen


def _plain_lines(project: Path, archive: Path) -> list[str]:
    name = project.name
    return [
        f"bundle: building the wheel of {name}",
        "bundle: installing the project with pip for Python "
        f"{'.'.join(map(str, sys.version_info[:3]))}",
        f"bundle: resolving imports from {name}.cli:main",
        "bundle: planning the archive: native code, files read by path",
        f"bundle: writing {archive} (<files>)",
    ]


def test_ci_on_a_terminal_and_a_pipe_get_the_same_plain_lines(
    project: Path, tmp_path: Path, offline: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    archive = tmp_path / "app.pyz"
    screen, _, status = _on_terminal(["build", project, "-o", archive, *offline], CI="true")
    assert status == 0, screen
    assert "\r" not in screen and "\x1b" not in screen
    # No terminal, no CI: the same lines (--no-cache: the same steps run again).
    piped = run_bundle("build", project, "-o", archive, *offline, "--no-cache", env={"CI": ""})
    assert piped.returncode == 0, piped.stderr
    for output in (screen, piped.stderr):
        lines = re.sub(r"\(\d+ files, [^)]*\)", "(<files>)", output).splitlines()
        assert lines[:5] == _plain_lines(project, archive)
        assert lines[5].startswith("bundle: staged 1 distribution (built ")
        assert lines[6].startswith(f"bundle: wrote {archive} (")
        assert len(lines) == 7


def test_archive_path_on_stdout_feeds_a_script(
    project: Path, tmp_path: Path, offline: tuple[str, ...], clean_python: Path
) -> None:
    script = (
        'set -e\napp=$("$PYTHON" -m bundler build "$PROJECT" -o "$OUT" -q $OFFLINE)\n'
        '"$CLEAN" "$app"\n'
    )
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        env=bundle_env(
            PYTHON=sys.executable,
            PROJECT=str(project),
            OUT=str(tmp_path / "out" / "app.pyz"),
            OFFLINE=" ".join(offline),
            CLEAN=str(clean_python),
        ),
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, '{"ok": true}\n', "")


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_build_json_follows_its_schema(
    project: Path, tmp_path: Path, offline: tuple[str, ...]
) -> None:
    archive = tmp_path / "app.pyz"
    result = run_bundle("build", project, "-o", archive, *offline, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, _schema("build-1.json"))
    assert document["archive"]["path"] == str(archive)
    assert document["archive"]["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert document["archive"]["size"] == archive.stat().st_size
    assert document["entry_point"] == f"{project.name}.cli:main"
    assert document["counts"]["distributions"] == 1
    assert document["staging"]["wheel_built"] and document["staging"]["installed"]
    steps = [step["step"] for step in document["timings"]["steps"]]
    assert [f"bundle: {step}" for step in steps] == re.findall(
        r"^bundle: (?:building|installing|resolving|planning|writing) .*$",
        result.stderr,
        re.MULTILINE,
    )
    assert document["timings"]["total"] >= sum(s["seconds"] for s in document["timings"]["steps"])


def test_failed_build_json_follows_its_schema(tmp_path: Path) -> None:
    result = run_bundle("build", tmp_path / "nowhere", "-o", tmp_path / "a.pyz", "--json")
    assert result.returncode == 2
    document = json.loads(result.stdout)
    jsonschema.validate(document, _schema("build-1.json"))
    assert document["error"] == {
        "message": f"project directory {tmp_path / 'nowhere'} does not exist",
        "type": "ProjectError",
        "exit_status": 2,
        "details": [],
    }


def test_cache_json_follows_its_schema(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    entry = cache / "apps" / f"demo-{'1' * 16}"
    (entry / "site").mkdir(parents=True)
    (entry / "site" / "f").write_bytes(b"x" * 10)
    env = {"BUNDLER_CACHE": str(cache), "BUNDLER_BUILD_CACHE": str(cache)}
    listed = run_bundle("cache", "--json", env=env)
    cleared = run_bundle("cache", "--clear", "--json", env=env)
    for result in (listed, cleared):
        assert result.returncode == 0, result.stderr
        jsonschema.validate(json.loads(result.stdout), _schema("cache-1.json"))
    assert json.loads(cleared.stdout)["removed"]["size"] == 10
