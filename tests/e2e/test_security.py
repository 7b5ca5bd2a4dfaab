"""Issue 10's findings, each reproduced end to end: another user's code in the cache,
symlinks, outputs the build must not replace, tracebacks, configuration, memory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    Runner,
    assert_user_error,
    bundle_env,
    leftovers,
    pyproject,
    run_bundle,
    write_project,
)
from tests.helpers.wheels import write_wheel

READER = """\
import os

HERE = os.path.dirname(__file__)


def read():
    with open(os.path.join(HERE, "greeting.txt")) as stream:
        return stream.read().strip()
"""
CLI = """\
import sys


def main():
    if sys.argv[1:] == ["resource"]:
        from importlib.resources import files
        return files("demo").joinpath("missing.txt").read_text()
    if sys.argv[1:] == ["import"]:
        from demo import broken
    if sys.argv[1:] == ["big"]:
        from importlib.resources import files
        with files("demo").joinpath("big.bin").open("rb") as stream:
            print(stream.read(16).hex())
        return 0
    from demo import reader
    print(reader.read())
"""
BROKEN = "def helper():\n    raise RuntimeError('broken at import')\n\n\nhelper()\n"


def _project(root: Path, extra: str = "", files: dict[str, str] | None = None) -> Path:
    toml = pyproject(scripts={"demo": "demo.cli:main"}, extra=extra)
    return write_project(
        root,
        {
            "pyproject.toml": toml,
            "demo/__init__.py": "",
            "demo/cli.py": CLI,
            "demo/reader.py": READER,
            "demo/broken.py": BROKEN,
            "demo/greeting.txt": "hello\n",
            **(files or {}),
        },
    )


def _build(project: Path, output: Path, *extra: str) -> None:
    result = run_bundle("build", project, "-o", output, "-q", "--no-install", *extra)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.fixture(scope="module")
def extracting_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app whose ``demo`` package is extracted into the cache at first import."""
    root = _project(tmp_path_factory.mktemp("extracting"), "[tool.bundle]\nextract = ['demo']\n")
    _build(root, root / "app.pyz")
    return root / "app.pyz"


# -- finding 1: another user's code ------------------------------------------------------


@pytest.fixture
def other_user() -> Iterator[str]:
    """A throwaway user, removed afterwards; skips where users cannot be made."""
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("needs root, useradd and runuser to act as another user")
    name = f"bt{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["useradd", "--no-create-home", name], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"useradd failed: {made.stderr.decode().strip()}")
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True)


@pytest.fixture
def shared_cache() -> Iterator[Path]:
    """A cache directory that another user can reach once it is opened by mistake."""
    parent = Path(tempfile.mkdtemp(prefix="bundler-shared-"))
    parent.chmod(0o755)
    try:
        yield parent / "cache"
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def test_another_users_file_in_an_opened_cache_never_runs(
    extracting_app: Path, run_app: Runner, other_user: str, shared_cache: Path
) -> None:
    env = {"BUNDLER_CACHE": str(shared_cache)}
    assert run_app(extracting_app, env=env).stdout == "hello\n"
    subprocess.run(["chmod", "-R", "a+rwX", str(shared_cache)], check=True)  # the accident
    (site,) = shared_cache.glob("apps/*/site")
    planted = site / "demo" / "reader.py"
    attack = f"rm -f {planted} && printf 'def read():\\n    return \"pwned\"\\n' > {planted}"
    subprocess.run(["runuser", "-u", other_user, "--", "sh", "-c", attack], check=True)
    assert planted.stat().st_uid != os.getuid()
    result = run_app(extracting_app, env=env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello\n", "")
    assert planted.stat().st_uid == os.getuid()
    assert (site.parent.stat().st_mode & 0o777) == 0o700


# -- finding 2: symlinks below the app directory -----------------------------------------


def test_symlinked_site_is_never_followed(
    extracting_app: Path, run_app: Runner, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    env = {"BUNDLER_CACHE": str(cache)}
    assert run_app(extracting_app, env=env).stdout == "hello\n"
    (site,) = cache.glob("apps/*/site")
    shutil.rmtree(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    site.symlink_to(elsewhere)
    (site.parent / "site.done").chmod(0o700)
    result = run_app(extracting_app, env=env)
    assert (result.returncode, result.stdout) == (0, "hello\n")
    assert list(elsewhere.iterdir()) == []
    assert not site.is_symlink()


# -- finding 4: where the build may write ------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _project(tmp_path / "proj")


@pytest.mark.parametrize("target", ["pyproject.toml", "demo/cli.py"])
def test_output_over_a_project_file_is_refused(project: Path, target: str) -> None:
    before = (project / target).read_bytes()
    result = run_bundle("build", project, "-o", project / target, "--no-install")
    assert_user_error(
        result,
        f"output {project / target} exists and is not an archive bundle wrote: remove it, "
        "choose another path, or pass --force to replace it",
    )
    assert (project / target).read_bytes() == before


def test_output_over_a_device_is_refused_even_with_force(project: Path) -> None:
    result = run_bundle("build", project, "-o", "/dev/null", "--no-install", "--force")
    assert_user_error(result, "output /dev/null is not a regular file: give another path")
    assert not Path("/dev/null").is_file()


def test_read_only_output_is_refused_and_force_replaces_it(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    target.chmod(0o444)
    refused = run_bundle("build", project, "-o", target, "--no-install")
    assert_user_error(
        refused,
        f"output {target} is read-only: remove it, choose another path, or pass --force to "
        "replace it",
    )
    assert target.read_text() == "mine"
    forced = run_bundle("build", project, "-o", target, "-q", "--no-install", "--force")
    assert (forced.returncode, forced.stderr) == (0, "")
    assert target.read_bytes().startswith(b"#!")


def test_rebuild_over_its_own_archive_needs_no_force(project: Path, tmp_path: Path) -> None:
    _build(project, tmp_path / "app.pyz")
    _build(project, tmp_path / "app.pyz")


@pytest.mark.parametrize("value", ["/tmp/evil.pyz", "../outside.pyz", "dist/../../x.pyz"])
def test_configured_output_must_stay_inside_the_project(tmp_path: Path, value: str) -> None:
    root = _project(tmp_path / "proj", f"[tool.bundle]\noutput = {value!r}\n")
    result = run_bundle("build", root, "--no-install")
    assert_user_error(
        result,
        f"{root}/pyproject.toml: [tool.bundle] output must be a relative path inside the "
        f"project, not {value!r}: pass -o to write elsewhere",
        status=2,
    )
    assert leftovers(tmp_path) == ["proj"]


# -- finding 9: tracebacks ---------------------------------------------------------------


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plain_reader = "def read():\n    return 'hello'\n"
    root = _project(tmp_path_factory.mktemp("plain"), files={"demo/reader.py": plain_reader})
    _build(root, root / "app.pyz")
    return root / "app.pyz"


def _frames(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.startswith("  File ")]


def test_error_raised_by_the_runtime_for_the_app_keeps_the_apps_frames(
    plain_app: Path, run_app: Runner
) -> None:
    result = run_app(plain_app, "resource")
    assert result.returncode == 1
    assert _frames(result.stderr) == [
        f'File "{plain_app}/demo/cli.py", line 7, in main',
    ]
    assert result.stderr.splitlines()[-1].startswith("FileNotFoundError: ")


def test_error_raised_while_importing_keeps_every_frame_a_virtualenv_shows(
    plain_app: Path, run_app: Runner
) -> None:
    result = run_app(plain_app, "import")
    assert _frames(result.stderr) == [
        f'File "{plain_app}/demo/cli.py", line 9, in main',
        f'File "{plain_app}/demo/broken.py", line 5, in <module>',
        f'File "{plain_app}/demo/broken.py", line 2, in helper',
    ]
    assert result.stderr.splitlines()[-1] == "RuntimeError: broken at import"


def test_bundler_traceback_full_shows_the_runtimes_frames(plain_app: Path, run_app: Runner) -> None:
    result = run_app(plain_app, "resource", env={"BUNDLER_TRACEBACK": "full"})
    frames = _frames(result.stderr)
    assert any("_bundler_runtime/bootstrap.py" in frame for frame in frames)
    assert any("_bundler_runtime/resources.py" in frame for frame in frames)
    assert f'File "{plain_app}/demo/cli.py", line 7, in main' in frames


# -- finding 11: configuration and SIGTERM -----------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("tool = 1\n", "[tool] must be a table"),
        (
            '[project]\nname = "x"\nentry-points = "oops"\n',
            "[project.entry-points] must be a table",
        ),
    ],
)
def test_configuration_of_the_wrong_shape_is_one_line(
    tmp_path: Path, toml: str, message: str
) -> None:
    root = write_project(tmp_path / "proj", {"pyproject.toml": toml, "x.py": ""})
    result = run_bundle("build", root, "-o", tmp_path / "app.pyz", "--no-install")
    assert_user_error(result, f"{root}/pyproject.toml: {message}", status=2)


def test_sigterm_while_writing_leaves_no_temporary_file(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from bundler.archive import writer
        from bundler.cli import main

        original = writer._write_outer

        def interrupted(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGTERM)
            return original(*args, **kwargs)

        writer._write_outer = interrupted
        sys.exit(main(["build", {str(project)!r}, "-o", {str(out / "app.pyz")!r}, "-q",
                       "--no-install"]))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (143, "bundle: error: terminated\n")
    assert leftovers(out) == []


def test_temporary_file_of_a_killed_build_is_swept(project: Path, tmp_path: Path) -> None:
    child = subprocess.Popen(["true"])  # its pid is one of a process that is gone
    child.wait()
    stale = tmp_path / f".app.pyz.{child.pid}.0badf00d.tmp"
    stale.write_bytes(bytes(1 << 20))
    _build(project, tmp_path / "app.pyz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.pyz", "proj"]


# -- finding 6: memory ---------------------------------------------------------------------

BIG = 96 << 20


def _peak_rss_kib(command: list[str], cwd: Path | None = None) -> int:
    """The peak resident memory of ``command`` and its children, in KiB."""
    script = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True,"
        " stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=bundle_env(),
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


BIG_CLI = """\
from importlib.resources import files


def main():
    with files("bigdata").joinpath("blob.bin").open("rb") as stream:
        print(stream.read(16).hex())
"""


def _bundle_blob(tmp_path: Path, name: str, blob: bytes) -> tuple[int, Path]:
    """Peak RSS (KiB) of building an app whose dependency holds ``blob``, and the archive."""
    wheels = tmp_path / f"{name}-wheels"
    files = {"bigdata/__init__.py": "", "bigdata/cli.py": BIG_CLI, "bigdata/blob.bin": blob}
    scripts = {"console_scripts": {"bigdata": "bigdata.cli:main"}}
    write_wheel(wheels, "bigdata", "1.0", files, entry_points=scripts)
    output = tmp_path / f"{name}.pyz"
    build = [sys.executable, "-m", "bundler", "build", "--with", "bigdata", "-c", "bigdata"]
    build += ["--no-index", "--find-links", str(wheels), "-q", "-o", str(output)]
    cwd = tmp_path / name
    cwd.mkdir()
    return _peak_rss_kib(build, cwd=cwd), output


def test_a_large_resource_is_streamed_at_build_and_at_run(
    tmp_path: Path, clean_python: Path
) -> None:
    blob = os.urandom(BIG)
    baseline_build, small = _bundle_blob(tmp_path, "small", b"x" * 16)
    big_build, big = _bundle_blob(tmp_path, "big", blob)
    baseline_run = _peak_rss_kib([str(clean_python), str(small)])
    big_run = _peak_rss_kib([str(clean_python), str(big)])
    # A few tens of MiB above the baseline, never the size of the file (96 MiB).
    assert big_build - baseline_build < 40 << 10
    assert big_run - baseline_run < 40 << 10
