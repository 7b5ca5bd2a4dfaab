"""Peak memory of a build and of a run, for an app that ships a 1 GiB data file.

Neither may read the file whole: the builder copies payload files in blocks, the runtime
streams members above its threshold. The app reads the file through
``importlib.resources`` in 1 MiB blocks and prints how many bytes it read; a second run
(``noop``) does not touch it, for the baseline. Peak RSS comes from ``wait4`` (the
process's own ``ru_maxrss``, with its waited-for children), not from sampling.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.builders import BuildContext
from harness.common import BenchError, controlled_env, fresh_dir, log, tail

DATA_SIZE = 1 << 30

_CLI = textwrap.dedent(
    """\
    import sys
    from importlib.resources import files


    def main():
        if sys.argv[1:] == ["noop"]:
            print("noop")
            return 0
        total = 0
        with files("bigdata").joinpath("blob.bin").open("rb") as stream:
            while block := stream.read(1 << 20):
                total += len(block)
        print(total)
        return 0
    """
)


def write_project(dest: Path) -> Path:
    """A project whose package holds a 1 GiB data file (sparse: zeros cost no disk)."""
    fresh_dir(dest)
    (dest / "pyproject.toml").write_text(
        '[project]\nname = "bigdata"\nversion = "1.0"\n\n'
        '[project.scripts]\nbigdata = "bigdata.cli:main"\n',
        encoding="utf-8",
    )
    package = dest / "bigdata"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "cli.py").write_text(_CLI, encoding="utf-8")
    with (package / "blob.bin").open("wb") as stream:
        stream.truncate(DATA_SIZE)
    return dest


def peak(cmd: Sequence[os.PathLike[str] | str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd``; its wall time, peak RSS (bytes) and output. BenchError if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [os.fspath(part) for part in cmd],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    # Read the pipes on the side: wait4 reaps the process, and its rusage is what we want.
    out, err = b"", b""
    assert process.stdout is not None and process.stderr is not None
    out = process.stdout.read()
    err = process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise BenchError(f"{cmd[0]} ... exited {process.returncode}:\n{tail(err.decode())}")
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss": usage.ru_maxrss * 1024,  # KiB on Linux
        "stdout": out.decode().strip(),
    }


def bench_memory(ctx: BuildContext) -> dict[str, Any]:
    """Build the app (``--no-install``) and run it twice; peak RSS of each."""
    project = write_project(ctx.work / "memory" / "bigdata")
    archive = ctx.work / "memory" / "bigdata.pyz"
    cmd = [*ctx.tools.bundle, "build", str(project), "--no-install"]
    cmd += ["--python", str(ctx.base.python), "-o", str(archive), "-q"]
    log("memory: building the app with a 1 GiB data file")
    build = peak(cmd, ctx.env())
    env = controlled_env(path_first=ctx.base.python.parent, BUNDLER_CACHE=ctx.work / "mem-cache")
    log("memory: running it (reads the file in 1 MiB blocks), then without reading it")
    read = peak([ctx.base.python, archive], env)
    if read["stdout"] != str(DATA_SIZE):
        raise BenchError(f"the app read {read['stdout']} bytes, not {DATA_SIZE}")
    noop = peak([ctx.base.python, archive, "noop"], env)
    return {
        "data_bytes": DATA_SIZE,
        "archive_bytes": archive.stat().st_size,
        "build": build,
        "run_reading": read,
        "run_noop": noop,
    }
