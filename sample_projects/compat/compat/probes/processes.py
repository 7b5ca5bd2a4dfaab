"""Probes of child processes: multiprocessing start methods, process pools, subprocesses.

Every child must import the app's modules from where the parent did, and none may run the
app's main again. ``main()`` appends a line to the file named by ``COMPAT_MAIN_MARKER``; each
probe points that variable at a fresh file and counts the lines its children added.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable

from compat.cli import MAIN_MARKER_ENV
from compat.registry import describe_error, install_root, probe
from compat.subjects import workers

NUMBERS = [1, 2, 3]
TIMEOUT = 60  # seconds; a pool whose workers cannot import the task would wait forever


@probe("multiprocessing_fork")
def multiprocessing_fork() -> Any:
    """A ``fork`` Pool maps a function defined in a bundled module."""
    return _pool_map("fork")


@probe("multiprocessing_spawn")
def multiprocessing_spawn() -> Any:
    """A ``spawn`` Pool maps a function defined in a bundled module."""
    return _pool_map("spawn")


@probe("multiprocessing_forkserver")
def multiprocessing_forkserver() -> Any:
    """A ``forkserver`` Pool maps a function defined in a bundled module."""
    return _pool_map("forkserver")


@probe("process_pool_executor")
def process_pool_executor() -> Any:
    """``ProcessPoolExecutor`` with the default start method, and with ``spawn``."""
    return {
        "default": _executor_map(None),
        "spawn": _executor_map(multiprocessing.get_context("spawn")),
    }


@probe("subprocess_rerun")
def subprocess_rerun() -> Any:
    """``[sys.executable, sys.argv[0], "probe", "child"]`` runs the same app again."""
    with _children_environment() as main_runs:
        done = subprocess.run(
            [sys.executable, sys.argv[0], "probe", "child"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if done.returncode != 0:
            return {"returncode": done.returncode, "stderr": done.stderr.splitlines()[-3:]}
        return {
            "returncode": done.returncode,
            "child": json.loads(done.stdout)["child"],
            "main_runs_in_children": main_runs(),
        }


@probe("child", in_all=False)
def child() -> dict[str, Any]:
    """Run by ``subprocess_rerun`` in the child: where it imports the app from."""
    import compat

    return {
        "compat_file": compat.__file__,
        "same_root_as_parent": install_root() == os.environ.get(workers.PARENT_ROOT_ENV),
    }


@probe("main_module", in_all=False)
def main_module() -> dict[str, Any]:
    """What ``__main__`` looks like; compared only between two ``python -m compat`` runs."""
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    return {
        "name": main.__name__,
        "spec_name": spec.name if spec is not None else None,
        "package": getattr(main, "__package__", None),
        "file": getattr(main, "__file__", None),
        "argv0": sys.argv[0],
        "main_submodule_in_sys_modules": "compat.__main__" in sys.modules,
    }


def _pool_map(method: str) -> Any:
    if method not in multiprocessing.get_all_start_methods():
        return f"{method} is not available on {sys.platform}"
    context = multiprocessing.get_context(method)
    with _children_environment() as main_runs:
        # A Pool whose workers cannot unpickle the task hangs; one Process fails fast.
        single = _run_one_process(context)
        if single is not None:
            return {"single_process": single, "main_runs_in_children": main_runs()}
        with context.Pool(2) as pool:
            results = pool.map_async(workers.square, NUMBERS).get(timeout=TIMEOUT)
        return {"results": results, "main_runs_in_children": main_runs()}


def _executor_map(context: Any) -> Any:
    with _children_environment() as main_runs:
        # A worker that cannot import the task breaks the pool at once: no hang to guard.
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
            results = list(executor.map(workers.square, NUMBERS, timeout=TIMEOUT))
        return {"results": results, "main_runs_in_children": main_runs()}


def _run_one_process(context: Any) -> Any:
    """None when a child could run ``workers.touch``; else what went wrong."""
    with tempfile.TemporaryDirectory() as scratch:
        proof = os.path.join(scratch, "proof")
        process = context.Process(target=workers.touch, args=(proof,))
        try:
            process.start()
        except Exception as exc:
            return {"start": describe_error(exc)}
        process.join(TIMEOUT)
        if process.exitcode == 0 and os.path.exists(proof):
            return None
        if process.exitcode is None:
            process.kill()
        return {"exitcode": process.exitcode}


@contextlib.contextmanager
def _children_environment() -> Iterator[Callable[[], int]]:
    """Point children at a fresh main-run marker and at this install root."""
    saved = {name: os.environ.get(name) for name in (MAIN_MARKER_ENV, workers.PARENT_ROOT_ENV)}
    descriptor, marker = tempfile.mkstemp(prefix="compat-main-")
    os.close(descriptor)

    def main_runs() -> int:
        with open(marker, encoding="utf-8") as stream:
            return len(stream.read().split())

    os.environ[MAIN_MARKER_ENV] = marker
    os.environ[workers.PARENT_ROOT_ENV] = install_root()
    try:
        yield main_runs
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        os.unlink(marker)
