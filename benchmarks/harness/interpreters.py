"""The interpreters under test, and "clean" copies of them with an empty site-packages.

Why a clean copy: an interpreter's own site-packages is processed at every start of every
command that runs it directly (``python app.pyz``) but not by a virtualenv's console
script. On this machine the pyenv interpreters' site-packages hold hundreds of
distributions and ``.pth`` files that make ``python -c pass`` take ~50 ms instead of ~9 ms;
that would be charged to the archives (and twice to pex, which re-executes the base
interpreter), not to how they import. The clean copy is the same binary and the same
standard library (symlinked, with its warm ``__pycache__``); only site-packages is empty.
Every variant, the virtualenvs included, is created from or run by that copy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.common import BenchError, log, run

_DESCRIBE = (
    "import json, sys, sysconfig; print(json.dumps({"
    "'version': '.'.join(map(str, sys.version_info[:3])),"
    "'base_prefix': sys.base_prefix,"
    "'executable': sys.executable,"
    "'base_executable': getattr(sys, '_base_executable', sys.executable),"
    "'purelib': sysconfig.get_paths()['purelib'],"
    "'cache_tag': sys.implementation.cache_tag}))"
)


@dataclass(frozen=True)
class Interpreter:
    """One CPython installation: its version and where it lives."""

    python: Path
    """The executable to run (for a clean copy: the copy)."""
    version: str
    """``3.11.7``."""
    prefix: Path
    """``sys.base_prefix`` of the installation."""
    cache_tag: str
    """``cpython-311``."""

    @property
    def minor(self) -> str:
        """``3.11``."""
        return ".".join(self.version.split(".")[:2])


def describe(python: Path) -> Interpreter:
    """Ask `python` for its version and prefix."""
    facts = json.loads(run([python, "-I", "-c", _DESCRIBE]).stdout)
    return Interpreter(
        python=python,
        version=facts["version"],
        prefix=Path(facts["base_prefix"]),
        cache_tag=facts["cache_tag"],
    )


def clean_copy(original: Interpreter, root: Path) -> Interpreter:
    """A copy of `original`'s installation whose site-packages is empty (made once, reused).

    ``bin/pythonX.Y`` is copied (CPython finds its prefix from the executable's location, and
    a symlink would be followed back to the original); ``lib/pythonX.Y/*`` except
    ``site-packages``, and the rest of ``lib/`` (``libpython``), are symlinks.
    """
    minor = original.minor
    dest = root / f"python-{original.version}-clean"
    python = dest / "bin" / f"python{minor}"
    marker = dest / ".complete"
    if not marker.exists():
        log(f"making a clean copy of Python {original.version} in {dest}")
        source_bin = original.prefix / "bin" / f"python{minor}"
        source_lib = original.prefix / "lib"
        stdlib = source_lib / f"python{minor}"
        if not source_bin.is_file() or not (stdlib / "os.py").is_file():
            raise BenchError(
                f"{original.prefix} does not look like a CPython installation "
                f"(bin/python{minor}, lib/python{minor}/os.py); run with --no-clean-python"
            )
        if dest.exists():
            shutil.rmtree(dest)
        (dest / "bin").mkdir(parents=True)
        shutil.copy2(source_bin, python)
        for alias in ("python3", "python"):
            (dest / "bin" / alias).symlink_to(python.name)
        (dest / "lib" / f"python{minor}" / "site-packages").mkdir(parents=True)
        for entry in source_lib.iterdir():
            if entry.name != f"python{minor}":
                (dest / "lib" / entry.name).symlink_to(entry)
        for entry in stdlib.iterdir():
            if entry.name != "site-packages":
                (dest / "lib" / f"python{minor}" / entry.name).symlink_to(entry)
        marker.write_text(str(original.prefix), encoding="utf-8")
    copy = describe(python)
    if copy.prefix != dest or copy.version != original.version:
        raise BenchError(
            f"the clean copy {python} reports prefix {copy.prefix} and version {copy.version}; "
            "run with --no-clean-python"
        )
    return copy


def pyenv_python(minor: str) -> Path | None:
    """The newest pyenv-installed CPython ``minor`` (e.g. "3.13"), or None if there is none."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    try:
        listed = subprocess.run(
            [pyenv, "versions", "--bare"], capture_output=True, text=True, timeout=60, check=True
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    matching = [v for v in listed if v.startswith(minor + ".") and v[len(minor) + 1 :].isdigit()]
    for version in sorted(matching, key=lambda v: int(v.rsplit(".", 1)[1]), reverse=True):
        try:
            prefix = subprocess.run(
                [pyenv, "prefix", version], capture_output=True, text=True, timeout=60, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        candidate = Path(prefix) / "bin" / f"python{minor}"
        if candidate.is_file():
            return candidate
    return None
