"""The harness's private tool venv (shiv, pex, bundler) and the local wheelhouse.

Both are made once under the cache root and reused; each is keyed by what determines it,
so a change of pins, of bundler's dependencies or of the interpreter makes a new one.
Only these two steps use the network (pip, PyPI); every build afterwards is offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.apps import App
from harness.common import CACHE_ROOT, REPO, BenchError, controlled_env, log, run
from harness.interpreters import Interpreter

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the harness needs 3.11+, run.py says so
    tomllib = None

SHIV = "shiv==1.0.8"
PEX = "pex==2.105.2"
SETUPTOOLS = "setuptools==80.9.0"
"""The build backend of the sample projects, from the wheelhouse (offline, isolated builds)."""
PEX_WHEEL = "wheel==0.37.1"
"""pex's vendored pip (20.3.4) asks for exactly this to build a local project."""


@dataclass(frozen=True)
class Tools:
    """Commands of the tool venv."""

    python: Path
    """The tool venv's interpreter (runs ``-m bundler``, ``-m pip``)."""
    shiv: Path
    pex: Path
    versions: dict[str, str]

    @property
    def bundle(self) -> list[str]:
        """The ``bundle`` command of the checkout under test."""
        return [os.fspath(self.python), "-m", "bundler"]

    def pip(self, target: Path) -> list[str]:
        """pip (the tool venv's) installing into the environment of interpreter `target`."""
        return [os.fspath(self.python), "-m", "pip", "--python", os.fspath(target)]


def bundler_dependencies() -> list[str]:
    """``[project].dependencies`` of the checkout's pyproject.toml."""
    if tomllib is None:
        raise BenchError("the harness needs Python 3.11+ (tomllib)")
    with (REPO / "pyproject.toml").open("rb") as stream:
        project = tomllib.load(stream)["project"]
    return list(project.get("dependencies", []))


def bench_extra() -> list[str]:
    """``[project.optional-dependencies] bench`` (matplotlib, for the chart)."""
    if tomllib is None:
        raise BenchError("the harness needs Python 3.11+ (tomllib)")
    with (REPO / "pyproject.toml").open("rb") as stream:
        extras = tomllib.load(stream)["project"].get("optional-dependencies", {})
    return list(extras.get("bench", []))


def tool_venv(base: Interpreter) -> Tools:
    """The tool venv for `base`, made if missing: shiv, pex, bundler's dependencies and
    its ``bench`` extra.

    bundler itself is not installed: a ``.pth`` file puts this checkout on the venv's path,
    so the code measured is always the working tree, as it is now.
    """
    requirements = [SHIV, PEX, *bundler_dependencies(), *bench_extra()]
    key = _key(base.version, base.python, *requirements)
    root = CACHE_ROOT / "tools" / f"py{base.version}-{key}"
    python = root / "bin" / "python"
    marker = root / ".complete"
    if not marker.exists():
        log(f"creating the tool venv {root} ({', '.join(requirements)})")
        if root.exists():
            shutil.rmtree(root)
        run([base.python, "-m", "venv", root], env=controlled_env())
        # The machine's pip configuration (index and find-links) applies to this download.
        run([python, "-m", "pip", "install", "--quiet", *requirements], env=_network_env())
        marker.write_text("\n".join(requirements), encoding="utf-8")
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    pth = Path(purelib.stdout.strip()) / "_bundler_bench_checkout.pth"
    if not pth.exists() or pth.read_text(encoding="utf-8").strip() != os.fspath(REPO):
        pth.write_text(f"{REPO}\n", encoding="utf-8")
    versions = json.loads(
        run(
            [
                python,
                "-c",
                "import json, importlib.metadata as m, bundler; print(json.dumps({"
                "'shiv': m.version('shiv'), 'pex': m.version('pex'), "
                "'bundler': bundler.__version__, 'bundler_path': bundler.__file__}))",
            ],
            env=controlled_env(),
        ).stdout
    )
    if not Path(versions["bundler_path"]).is_relative_to(REPO):
        raise BenchError(f"the tool venv imports bundler from {versions['bundler_path']}")
    return Tools(
        python=python, shiv=root / "bin" / "shiv", pex=root / "bin" / "pex", versions=versions
    )


def download_wheelhouse(tools: Tools, base: Interpreter, requirements: Iterable[str]) -> Path:
    """Wheels of `requirements` (and the samples' build backend) for `base`, downloaded once."""
    wanted = sorted({*requirements, SETUPTOOLS, PEX_WHEEL})
    dest = CACHE_ROOT / "wheelhouse" / base.cache_tag
    marker = dest / f".complete-{_key(*wanted)}"
    if not marker.exists():
        log(f"downloading wheels into {dest}: {', '.join(wanted)}")
        dest.mkdir(parents=True, exist_ok=True)
        run(
            [
                tools.python,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--only-binary=:all:",
                "-d",
                dest,
                f"--python-version={base.minor}",
                *wanted,
            ],
            env=_network_env(),
        )
        marker.write_text("\n".join(wanted), encoding="utf-8")
    return dest


def not_pure(wheelhouse: Path) -> list[str]:
    """Wheels in `wheelhouse` that carry native code (not ``*-none-any.whl``)."""
    return sorted(p.name for p in wheelhouse.glob("*.whl") if not p.name.endswith("-none-any.whl"))


def local_wheelhouse(downloaded: Path, dest: Path) -> Path:
    """One directory with the downloaded wheels and the sample projects' fixture wheels."""
    dest.mkdir(parents=True, exist_ok=True)
    for wheel in downloaded.glob("*.whl"):
        shutil.copy2(wheel, dest / wheel.name)
    if os.fspath(REPO) not in sys.path:
        sys.path.insert(0, os.fspath(REPO))
    from tests.helpers.wheels import build_fixture_wheelhouse  # type: ignore[import-not-found,unused-ignore]

    build_fixture_wheelhouse(dest)
    return dest


def sample_wheels(tools: Tools, apps: Sequence[App], wheelhouse: Path) -> dict[str, str]:
    """Put a wheel of each sample project into `wheelhouse`; app name -> ``name==version``.

    Each wheel is built once per content of its project (``pip wheel``, offline, isolated
    build with the wheelhouse's setuptools) and cached, so every tool then installs the
    same wheel and no build time includes running setuptools.
    """
    if tomllib is None:
        raise BenchError("the harness needs Python 3.11+ (tomllib)")
    requirements: dict[str, str] = {}
    for app in apps:
        source = app.project_dir
        if source is None:
            continue
        with (source / "pyproject.toml").open("rb") as stream:
            project = tomllib.load(stream)["project"]
        files = sorted(
            p
            for p in source.rglob("*")
            if p.is_file()
            and not {"__pycache__", "build"} & set(p.parts)
            and ".egg-info" not in str(p)
        )
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.relative_to(source).as_posix().encode() + b"\0" + path.read_bytes())
        cached = CACHE_ROOT / "sample-wheels" / f"{app.name}-{digest.hexdigest()[:12]}"
        if not (cached / ".complete").exists():
            log(f"building a wheel of sample project {app.project}")
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / "project"
                shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
                if cached.exists():
                    shutil.rmtree(cached)
                cmd = [str(tools.python), "-m", "pip", "wheel", "--quiet", "--no-deps"]
                cmd += ["--no-index", "--find-links", str(wheelhouse), "-w", str(cached)]
                run([*cmd, str(copy)], env=controlled_env())
            (cached / ".complete").write_text(str(source), encoding="utf-8")
        for wheel in cached.glob("*.whl"):
            shutil.copy2(wheel, wheelhouse / wheel.name)
        requirements[app.name] = f"{project['name']}=={project['version']}"
    return requirements


def make_venv(base: Interpreter, dest: Path) -> Path:
    """A virtualenv of `base` without pip (the tool venv's pip installs into it); its python."""
    if dest.exists():
        shutil.rmtree(dest)
    run([base.python, "-m", "venv", "--without-pip", dest], env=controlled_env())
    return dest / "bin" / "python"


def _key(*parts: object) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:12]


def _network_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def wheel_names(wheelhouse: Path) -> Sequence[str]:
    """File names of the wheels in `wheelhouse`, sorted."""
    return sorted(p.name for p in wheelhouse.glob("*.whl"))
