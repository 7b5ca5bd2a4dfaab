"""First and second start of a numpy app from its archive, against the same app in a venv.

    python benchmarks/native_start.py [--runs 20] [--workdir DIR] [--keep]

The archive's first start extracts numpy's extension modules and ``numpy.libs`` into an
empty cache (hyperfine's ``--prepare`` empties it before every run); its second start
finds them there. The virtualenv has the same wheel installed by pip, with its bytecode
compiled at install, which is its steady state. ``PYTHONDONTWRITEBYTECODE`` is removed
from the environment of every run, so neither side pays for recompiling.

Needs hyperfine, and PyPI the first time (the numpy wheel is kept in the work directory).
Prints a table of medians, the ratios to the virtualenv, and what the first start wrote:
bytes, files, the units it extracted (site.done) and, where strace is installed, how many
fsync calls one first start makes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NUMPY = "numpy==2.4.6"
APP = """\
import sys

import numpy as np


def main():
    matrix = np.array([[4.0, 1.0], [1.0, 3.0]])
    solved = np.linalg.solve(matrix, np.array([1.0, 2.0]))
    print(" ".join(f"{value:.6f}" for value in solved))
    return 0
"""
PYPROJECT = """\
[project]
name = "numapp"
version = "1.0"
dependencies = ["numpy"]

[project.scripts]
numapp = "numapp:main"
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per measurement")
    parser.add_argument("--workdir", type=Path, help="where to build (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if shutil.which("hyperfine") is None:
        sys.exit("native_start: hyperfine is needed (apt-get install hyperfine)")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bundler-native-start-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        report = measure(work, args.runs)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(report)
    return 0


def measure(work: Path, runs: int) -> str:
    """Build everything under ``work``, time the three starts, return the report."""
    wheels = work / "wheels"
    if not list(wheels.glob("numpy-*.whl")):
        _run(
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--only-binary=:all:",
            "-d",
            wheels,
            NUMPY,
        )
    project = work / "project"
    project.mkdir(exist_ok=True)
    (project / "numapp.py").write_text(APP)
    (project / "pyproject.toml").write_text(PYPROJECT)

    app_venv = _venv(work / "venv", with_pip=True)
    python = app_venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--no-index", "--find-links", wheels, NUMPY)
    _install_app(python, project / "numapp.py", app_venv / "bin" / "numapp")
    clean = _venv(work / "clean", with_pip=False)  # runs the archive: no numpy here
    archive = work / "numapp.pyz"
    _run(
        sys.executable,
        "-m",
        "bundler",
        "build",
        project,
        "-o",
        archive,
        "-q",
        "--no-install",
        "--python",
        app_venv / "bin" / "python",
        cwd=REPO,
    )

    cache = work / "cache"
    env = _bench_env(cache)
    first = _hyperfine(
        work,
        "archive, first start",
        f"{clean}/bin/python {archive}",
        runs,
        env,
        prepare=f"rm -rf {cache}",
    )
    extracted = _tree_size(cache)
    files = sum(1 for p in cache.rglob("*") if p.is_file() and p.parent.name != "site.done")
    units = sorted(p.name.replace("+", "/") for p in cache.glob("apps/*/site.done/*"))
    fsyncs = _fsyncs(f"{clean}/bin/python {archive}", env, cache)
    second = _hyperfine(work, "archive, second start", f"{clean}/bin/python {archive}", runs, env)
    baseline = _hyperfine(work, "virtualenv", f"{app_venv}/bin/numapp", runs, env)

    rows = [
        ("virtualenv", baseline),
        ("archive, first start", first),
        ("archive, second start", second),
    ]
    lines = [
        f"numpy app, {runs} runs each, median (mean ± stddev) in ms; Python "
        f"{sys.version.split()[0]}",
        "",
        f"{'':<24}{'median':>8}{'mean':>9}{'stddev':>8}{'vs venv':>9}",
    ]
    for name, result in rows:
        ratio = result["median"] / baseline["median"]
        lines.append(
            f"{name:<24}{result['median'] * 1000:8.1f}{result['mean'] * 1000:9.1f}"
            f"{result['stddev'] * 1000:8.1f}{ratio:8.2f}x"
        )
    lines += [
        "",
        f"archive: {archive.stat().st_size / 2**20:.1f} MiB; first start extracts "
        f"{extracted / 2**20:.1f} MiB in {files} files, {len(units)} units; "
        f"fsync calls: {fsyncs if fsyncs is not None else 'not counted (no strace)'}",
        *(f"  {unit}" for unit in units),
    ]
    return "\n".join(lines)


def _install_app(python: Path, module: Path, script: Path) -> None:
    """What ``pip install`` of the project leaves: the module in site-packages (with its
    bytecode) and a console script."""
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shutil.copy(module, Path(site) / module.name)
    _run(python, "-m", "compileall", "-q", Path(site) / module.name)
    script.write_text(
        f"#!{python}\nimport sys\nfrom numapp import main\n\nif __name__ == '__main__':\n"
        "    sys.exit(main())\n"
    )
    script.chmod(0o755)


def _bench_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["BUNDLER_CACHE"] = str(cache)
    return env


def _hyperfine(
    work: Path, name: str, command: str, runs: int, env: dict[str, str], prepare: str = ""
) -> dict[str, float]:
    out = work / f"{name.replace(' ', '-').replace(',', '')}.json"
    options = ["--prepare", prepare] if prepare else ["--warmup", "3"]
    _run(
        "hyperfine",
        "-N",
        "--runs",
        str(runs),
        *options,
        "--export-json",
        out,
        "-n",
        name,
        command,
        env=env,
        quiet=True,
    )
    result = json.loads(out.read_text())["results"][0]
    return {key: float(result[key]) for key in ("median", "mean", "stddev")}


def _venv(target: Path, *, with_pip: bool) -> Path:
    if not (target / "bin" / "python").exists():
        venv.EnvBuilder(with_pip=with_pip).create(target)
    return target


def _fsyncs(command: str, env: dict[str, str], cache: Path) -> int | None:
    """The fsync/fdatasync calls of one first start (strace -f -c), or None."""
    if shutil.which("strace") is None:
        return None
    shutil.rmtree(cache, ignore_errors=True)
    counted = subprocess.run(
        ["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", *command.split()],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    calls = [line.split() for line in counted.stderr.splitlines()]
    return sum(int(row[3]) for row in calls if row and row[-1] in ("fsync", "fdatasync"))


def _tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _run(
    *command: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    quiet: bool = False,
) -> None:
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=quiet,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        detail = (completed.stderr or "")[-2000:] if quiet else ""
        sys.exit(f"native_start: {' '.join(map(str, command))} failed\n{detail}")


if __name__ == "__main__":
    sys.exit(main())
