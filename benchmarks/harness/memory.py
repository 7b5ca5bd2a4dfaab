"""Peak memory of a build and of a run, for an app that ships a 1 GiB data file.

Neither may read the file whole: the builder copies payload files in blocks, the runtime
streams members above its threshold. The app reads the file through
``importlib.resources`` in 1 MiB blocks and prints how many bytes it read; a second run
(``noop``) does not touch it, for the baseline. Peak RSS is GNU time's ``%M`` (the
process's ``ru_maxrss``): measured from a process started by ``/usr/bin/time``, since a
child forked from the harness itself inherits the harness's own high-water mark.
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
_TIME = "/usr/bin/time"

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
    if not os.access(_TIME, os.X_OK):
        raise BenchError(f"{_TIME} (GNU time) is needed to measure peak memory")
    started = time.perf_counter()
    process = subprocess.Popen(
        [_TIME, "-f", "%M", *(os.fspath(part) for part in cmd)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    out, err = process.communicate()
    if process.returncode != 0:
        raise BenchError(f"{cmd[0]} ... exited {process.returncode}:\n{tail(err.decode())}")
    kib = err.decode().strip().splitlines()[-1]
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss": int(kib) * 1024,
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
