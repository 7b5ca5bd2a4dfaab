"""Promises of the runtime inside every archive, checked by running archives for real."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Runner, assert_app_error, pyproject, run_bundle, write_project
from tests.helpers.pythons import find_python, python_version

APP = """\
import sys


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "optional":
        try:
            import tallyho  # installed on the host only
        except ImportError:
            return "tallyho: absent"
        return "tallyho: present"
    if command == "fail":
        from demo import deep
        deep.explode()
    if command == "code":
        return int(sys.argv[2])
    if command == "interrupt":
        raise KeyboardInterrupt
    if command == "exit":
        sys.exit(int(sys.argv[2]))
    if command == "runtime":  # the runtime's modules a start has loaded
        print(" ".join(sorted(m for m in sys.modules if m.startswith("_bundler_runtime"))))
    if command == "chdir":  # a runtime module loaded after the app changed directory
        import os

        os.chdir(sys.argv[2])
        from importlib.metadata import version

        print(version("demo"))
    print("ok")
    return None
"""

DEEP = """\
def explode():
    value = {"key": 1}
    return value["missing"]  # the line a traceback must show
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(
        tmp_path_factory.mktemp("demo"),
        {
            "pyproject.toml": pyproject(
                scripts={"demo": "demo.cli:main"}, extra="[tool.bundle]\nexclude = ['tallyho']\n"
            ),
            "demo/__init__.py": "",
            "demo/cli.py": APP,
            "demo/deep.py": DEEP,
        },
    )
    result = run_bundle("build", root, "-o", root / "demo.pyz", "-q", "--no-install")
    assert result.returncode == 0, result.stderr
    return root / "demo.pyz"


# What a start of a pure-Python app runs of the runtime (first.START_MODULES), and nothing
# else: the rest is loaded when a feature first needs it.
STARTED = "_bundler_runtime _bundler_runtime.bootstrap _bundler_runtime.first "
STARTED += "_bundler_runtime.importer _bundler_runtime.reader"


def test_a_start_loads_only_the_start_modules_of_the_runtime(demo: Path, run_app: Runner) -> None:
    assert run_app(demo, "runtime").stdout == f"{STARTED}\nok\n"


def test_another_python_compiles_the_runtime_once_then_only_what_reads_the_cache(
    demo: Path, run_app: Runner, tmp_path: Path
) -> None:
    other = next((find_python(m) for m in ("3.13", "3.12", "3.10") if find_python(m)), None)
    if other is None or python_version(other)[:4] == python_version(Path(sys.executable))[:4]:
        pytest.skip("no Python other than the build's")
    env = {"BUNDLER_CACHE": str(tmp_path / "cache"), "PYTHONDONTWRITEBYTECODE": ""}
    first = run_app(demo, "runtime", python=other, env=env)
    cached = {p.stem for p in (tmp_path / "cache").rglob("_bundler_runtime/*.pyc")}
    assert {"first", "__init__", "bootstrap", "importer", "reader", "special"} <= cached
    assert "pycache" not in cached  # compiled at each start: it reads the cache
    second = run_app(demo, "runtime", python=other, env=env)
    # The second start reads the app's bytecode from the cache too (special, pycache),
    # and neither compiles nor stores anything: cache, trust and the packs stay unloaded.
    started = sorted([*STARTED.split(), "_bundler_runtime.pycache", "_bundler_runtime.special"])
    assert first.stdout.endswith("ok\n")
    assert second.stdout == " ".join(started) + "\nok\n"


def test_runtime_modules_load_after_the_app_changes_directory(
    demo: Path, run_app: Runner, tmp_path: Path
) -> None:
    result = run_app(Path(demo.name), "chdir", str(tmp_path), cwd=demo.parent)
    assert (result.returncode, result.stdout) == (0, "1.0\nok\n"), result.stderr


def test_host_site_packages_are_hidden(demo: Path, run_app: Runner, deps_python: Path) -> None:
    # deps_python has tallyho installed; the archive must not pick it up from there.
    result = run_app(demo, "optional", python=deps_python)
    assert (result.returncode, result.stderr) == (1, "tallyho: absent\n")


def test_inherit_path_lets_the_host_site_packages_in(
    demo: Path, run_app: Runner, deps_python: Path, tmp_path: Path
) -> None:
    project = demo.parent
    output = tmp_path / "inherit.pyz"
    built = run_bundle("build", project, "-o", output, "-q", "--inherit-path", "--no-install")
    assert (built.returncode, built.stderr) == (0, "")
    result = run_app(output, "optional", python=deps_python)
    assert (result.returncode, result.stderr) == (1, "tallyho: present\n")


def test_traceback_shows_source_lines_and_starts_at_the_app(demo: Path, run_app: Runner) -> None:
    result = run_app(demo, "fail")
    assert result.returncode == 1
    # Python 3.11 and later underline the failing expression: those lines vary by version.
    lines = [line for line in result.stderr.splitlines() if line.strip(" ~^")]
    assert lines == [
        "Traceback (most recent call last):",
        f'  File "{demo}/demo/cli.py", line 14, in main',
        "    deep.explode()",
        f'  File "{demo}/demo/deep.py", line 3, in explode',
        '    return value["missing"]  # the line a traceback must show',
        "KeyError: 'missing'",
    ]


@pytest.mark.parametrize(("args", "code"), [(("code", "3"), 3), (("exit", "7"), 7), ((), 0)])
def test_exit_status_comes_from_the_entry_point(
    demo: Path, run_app: Runner, args: tuple[str, ...], code: int
) -> None:
    assert run_app(demo, *args).returncode == code


def test_keyboard_interrupt_exits_130_quietly(demo: Path, run_app: Runner) -> None:
    result = run_app(demo, "interrupt")
    assert result.returncode == 130
    assert result.stderr == ""


def test_requires_python_names_both_versions(tmp_path: Path, run_app: Runner) -> None:
    python39 = find_python("3.9")
    if python39 is None:
        pytest.skip("Python 3.9 is not installed here")
    root = write_project(
        tmp_path,
        {
            "pyproject.toml": pyproject(scripts={"demo": "demo.cli:main"}).replace(
                'version = "1.0"', 'version = "1.0"\nrequires-python = ">=3.10"'
            ),
            "demo/__init__.py": "",
            "demo/cli.py": "def main():\n    return 0\n",
        },
    )
    built = run_bundle("build", root, "-o", root / "app.pyz", "-q", "--no-install")
    assert (built.returncode, built.stderr) == (0, "")
    result = run_app(root / "app.pyz", python=python39)
    assert_app_error(
        result,
        root / "app.pyz",
        f"demo requires Python >=3.10, but this is Python {python_version(python39)} "
        f"({python39}); run it with a matching interpreter",
    )


def test_corrupt_payload_is_one_clear_line(demo: Path, run_app: Runner, tmp_path: Path) -> None:
    # The bytecode of the entry module: the first member that the app reads.
    member = f"demo/__pycache__/cli.{sys.implementation.cache_tag}.pyc"
    damaged = tmp_path / "damaged.pyz"
    damaged.write_bytes(with_zeroed_member(demo.read_bytes(), member))
    result = run_app(damaged, "fail")
    assert_app_error(
        result,
        damaged,
        f"{damaged} is corrupt ({member} does not match its checksum); rebuild or re-download it",
    )


def with_zeroed_member(archive: bytes, member: str) -> bytes:
    """``archive`` with 64 bytes in the middle of ``member``'s data (inside the stored
    payload zip) set to zero."""
    with zipfile.ZipFile(io.BytesIO(archive)) as outer:
        payload = outer.getinfo(".bundle/payload.zip")
        payload_start = _data_offset(archive, payload)
        with zipfile.ZipFile(outer.open(payload)) as inner:
            info = inner.getinfo(member)
    start = payload_start + _data_offset(archive[payload_start:], info) + info.compress_size // 2
    data = bytearray(archive)
    data[start : start + 64] = bytes(64)
    return bytes(data)


def _data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    """Where the data of ``info`` starts in ``data``: after its local file header."""
    header = data[info.header_offset : info.header_offset + 30]
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    return info.header_offset + 30 + name_length + extra_length
