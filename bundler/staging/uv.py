"""Install distributions with uv (``uv pip install``), laid out exactly as pip lays them out.

uv installs into ``--prefix`` (as into a virtual environment), and its files are then
moved into the staging directory as ``pip install --target`` places them (packages at the
top, ``bin/``, ``share/``, ``include/`` beside them, RECORD rows outside it written
``../../x``), so everything after staging reads one layout. uv does not say which file it
installed each distribution from; the SHA-256 the SBOM gives comes from uv's own lock of
exactly the installed versions (``uv pip compile --format pylock.toml``), from the one file
whose wheel tags are the installed wheel's: where that is not one file, there is no hash.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from bundler.distribution import find_distributions
from bundler.errors import StagingError, TargetError
from bundler.installers import INSTALLER_ENV, uv_executable
from bundler.runtime.metadata import normalise_name
from bundler.staging.keys import file_digest
from bundler.staging.pip import IndexOptions, PipRequest
from bundler.staging.tools import ToolSettings, relevant_tail, run_tool
from bundler.targets import ForeignTarget

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

__all__ = [
    "UvRun",
    "uv_install_into_directory",
    "uv_install_into_environment",
    "uv_platform",
    "uv_reason",
]

# No colours or bars in captured output; copies, not hard links into uv's cache, since the
# staging directory is edited afterwards.
_QUIET = ("--no-progress", "--color", "never", "--link-mode", "copy")
# uv's --python-platform names for manylinux: these glibc versions, on these machines.
_MANYLINUX = (17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40)
_WINDOWS = {
    "win_amd64": "x86_64-pc-windows-msvc",
    "win32": "i686-pc-windows-msvc",
    "win_arm64": "aarch64-pc-windows-msvc",
}


@dataclass(frozen=True)
class UvRun:
    """One run of uv: for the interpreter ``python`` (or the ``foreign`` target staged
    without one), looking where ``index`` says; ``what`` names the requirements in messages."""

    python: str
    index: IndexOptions
    settings: ToolSettings
    what: str
    foreign: ForeignTarget | None = None


def uv_install_into_directory(target: Path, request: PipRequest, run: UvRun) -> dict[str, str]:
    """What ``pip install --target`` does, with uv; the SHA-256 of the files installed
    (normalised name -> hex) when ``request.report`` asks for them."""
    options, env = _target_options(run.python, run.foreign)
    with tempfile.TemporaryDirectory(prefix="bundle-uv-", dir=run.settings.temp_dir) as scratch:
        prefix = Path(scratch) / "prefix"
        command = [_uv(), "pip", "install", *_QUIET, "--prefix", str(prefix), *options]
        command += [*run.index.arguments(), *request.arguments()]
        _run_uv(run, command, env)
        hashes = _hashes(prefix, options, run, env) if request.report else {}
        _adopt(prefix, target)
    return hashes


def uv_install_into_environment(requirements: Sequence[str], run: UvRun) -> None:
    """``uv pip install`` of ``requirements`` into the virtual environment of ``run.python``
    (uv reads their markers from the command line, unlike pip)."""
    command = [_uv(), "pip", "install", *_QUIET, "--python", run.python, *run.index.arguments()]
    _run_uv(run, [*command, "--", *requirements], {})


def uv_platform(foreign: ForeignTarget) -> tuple[str, dict[str, str]]:
    """uv's ``--python-platform`` for a target, and the environment it needs (macOS's
    release); TargetError where uv has no name for exactly that platform."""
    tag = foreign.platform
    if foreign.is_host:
        tag = next((t for t in foreign.platforms() if t.startswith("manylinux_")), tag)
    many = re.match(r"^manylinux(?:_2_(\d+)|(2014))_(x86_64|aarch64)$", tag)
    if many is not None and (many.group(2) or int(many.group(1)) in _MANYLINUX):
        return f"{many.group(3)}-manylinux{many.group(2) or '_2_' + many.group(1)}", {}
    if tag in _WINDOWS:
        return _WINDOWS[tag], {}
    mac = re.match(r"^macosx_(\d+)_(\d+)_(arm64|x86_64)$", tag)
    if mac is not None:
        arch = "aarch64" if mac.group(3) == "arm64" else "x86_64"
        return f"{arch}-apple-darwin", {
            "MACOSX_DEPLOYMENT_TARGET": f"{mac.group(1)}.{mac.group(2)}"
        }
    raise TargetError(
        f"uv cannot install for target {foreign.name}: it has no --python-platform for "
        f"exactly {tag}; build with --installer pip (or {INSTALLER_ENV}=pip)"
    )


def _uv() -> str:
    found = uv_executable()
    if found is None:  # the configuration chose uv because it was there
        raise StagingError("uv is no longer importable: build with --installer pip")
    return found


def _target_options(python: str, foreign: ForeignTarget | None) -> tuple[list[str], dict[str, str]]:
    """Whom uv installs for: the interpreter ``python``, or a target without one (its
    version and platform; the running interpreter only lays out the prefix)."""
    if foreign is None:
        return ["--python", python], {}
    platform, env = uv_platform(foreign)
    version = f"{foreign.python[0]}.{foreign.python[1]}"
    options = ["--python", sys.executable, "--python-version", version]
    return [*options, "--python-platform", platform, "--only-binary", ":all:"], env


def _run_uv(run: UvRun, command: list[str], env: dict[str, str]) -> None:
    """Run uv's ``command``; its failure as one line naming what it installed."""
    settings = run.settings
    output = run_tool(command, settings=settings, what=f"uv installing {run.what}", env=env)
    if output.ok:
        return
    details = () if settings.verbose else relevant_tail(output.lines)
    raise StagingError(f"uv could not install {run.what}: {uv_reason(output.lines)}", details)


def uv_reason(lines: Sequence[str]) -> str:
    """uv's ``error:`` line and its causes, then its hint, in one line."""
    error = next((i for i, line in enumerate(lines) if line.startswith("error:")), None)
    if error is None:
        useful = [line.strip() for line in lines if line.strip()]
        return useful[-1] if useful else "no output"
    causes = []
    for line in lines[error + 1 :]:
        text = line.strip()
        if not text or text.startswith("hint:"):
            break
        causes.append(text[len("cause:") :].strip() if text.startswith("cause:") else text)
    reason = lines[error][len("error:") :].strip()
    reason = f"{reason}: {' '.join(causes)}" if causes else reason
    hint = next((line[len("hint:") :].strip() for line in lines if line.startswith("hint:")), "")
    fallback = "uv's last lines are above; -v shows all of its output"
    return f"{reason.rstrip('.')}; {hint or fallback}"


def _site_packages(prefix: Path) -> Path | None:
    """The prefix's site-packages (none when uv had nothing to install)."""
    found = [*prefix.glob("lib/python*/site-packages"), *prefix.glob("Lib/site-packages")]
    return sorted(found)[0] if found else None


def _adopt(prefix: Path, site: Path) -> None:
    """Move uv's ``prefix`` into ``site`` as ``pip --target`` lays it out, RECORD too."""
    packages = _site_packages(prefix)
    site.mkdir(parents=True, exist_ok=True)
    if packages is None:
        return
    inside = packages.relative_to(prefix).as_posix()
    for dist_info in packages.glob("*.dist-info"):
        _relocate_record(dist_info / "RECORD", inside)
    for item in sorted(packages.iterdir()):
        _merge(item, site / item.name)
    shutil.rmtree(packages)
    for item in sorted(prefix.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if item.is_dir() and not any(item.iterdir()):
            item.rmdir()  # the emptied lib/pythonX.Y
    for item in sorted(prefix.iterdir()) if prefix.exists() else ():
        if item.name != ".lock":
            _merge(item, site / item.name)


def _relocate_record(record: Path, inside: str) -> None:
    """Rows relative to the prefix's site-packages, made relative to pip's: inside it
    they stay; outside, ``x`` of the prefix is ``../../x``."""
    try:
        text = record.read_text(encoding="utf-8")
    except OSError:
        return
    rows = []
    for line in text.splitlines():
        path, comma, rest = line.partition(",")
        if path.startswith("../"):
            where = posixpath.normpath(posixpath.join(inside, path))
            path = where[len(inside) + 1 :] if where.startswith(inside + "/") else f"../../{where}"
        rows.append(f"{path}{comma}{rest}")
    record.unlink()
    record.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _merge(source: Path, destination: Path) -> None:
    """Move ``source`` to ``destination``, into it where both are directories."""
    if source.is_dir() and not source.is_symlink() and destination.is_dir():
        for child in sorted(source.iterdir()):
            _merge(child, destination / child.name)
        source.rmdir()
        return
    if destination.is_dir() and not destination.is_symlink():
        shutil.rmtree(destination)
    os.replace(source, destination)


def _hashes(prefix: Path, options: list[str], run: UvRun, env: dict[str, str]) -> dict[str, str]:
    """Normalised name -> SHA-256 of the file each installed wheel came from, by uv's lock
    of exactly those versions; of the local file a distribution was installed from (as
    pip reports it); none for a local directory, a VCS checkout or a remote URL."""
    packages = _site_packages(prefix)
    installed, found = {}, {}
    for dist in find_distributions([packages] if packages else []):
        local = _local_file(dist.dist_info / "direct_url.json")
        if local is not None:
            found[dist.key] = file_digest(local)
        elif not (dist.dist_info / "direct_url.json").exists():
            installed[dist.key] = (dist.version, _installed_tags(dist.dist_info))
    if not installed:
        return found
    scratch = prefix.parent
    pins = scratch / "installed.txt"
    pins.write_text("".join(f"{k}=={v}\n" for k, (v, _) in sorted(installed.items())), "utf-8")
    lock = scratch / "pylock.toml"
    command = [_uv(), "pip", "compile", *_QUIET[:3], "--quiet", "--no-deps", "--no-header"]
    command += [*options, *run.index.arguments(), "--format", "pylock.toml", "-o", str(lock)]
    output = run_tool(
        [*command, str(pins)], settings=run.settings, what="uv locking what it installed", env=env
    )
    try:
        locked = tomllib.loads(lock.read_text(encoding="utf-8")).get("packages", [])
    except (OSError, ValueError):
        locked = []
    for package in locked if output.ok and isinstance(locked, list) else []:
        key = normalise_name(str(package.get("name", "")))
        if key in installed and str(package.get("version")) == installed[key][0]:
            digest = _file_hash(package, installed[key][1])
            if digest:
                found[key] = digest
    return found


def _local_file(direct_url: Path) -> Path | None:
    """The local file (a wheel or an sdist, not a directory) a distribution came from."""
    try:
        url = str(json.loads(direct_url.read_text(encoding="utf-8")).get("url", ""))
    except (OSError, ValueError, AttributeError):
        return None
    if not url.startswith("file:"):
        return None
    path = Path(url2pathname(unquote(urlparse(url).path)))
    return path if path.is_file() else None


def _installed_tags(dist_info: Path) -> frozenset[str]:
    try:
        lines = (dist_info / "WHEEL").read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(line[4:].strip() for line in lines if line.startswith("Tag:"))


def _file_hash(package: dict[str, Any], tags: frozenset[str]) -> str | None:
    """The SHA-256 of the one wheel whose tags are ``tags``; of the sdist when the lock
    lists no wheel (uv built it); else None."""
    wheels = package.get("wheels") or []
    matching = [wheel for wheel in wheels if _wheel_tags(wheel) == tags]
    chosen = matching[0] if len(matching) == 1 else None
    if not wheels and isinstance(package.get("sdist"), dict):
        chosen = package["sdist"]
    digest = dict(chosen.get("hashes", {})).get("sha256") if chosen else None
    return str(digest) if digest else None


def _wheel_tags(wheel: Any) -> frozenset[str] | None:
    if not isinstance(wheel, dict):
        return None
    name = str(wheel.get("name") or wheel.get("url") or wheel.get("path") or "")
    try:
        tags = parse_wheel_filename(name.rsplit("/", 1)[-1])[3]
    except InvalidWheelFilename:
        return None
    return frozenset(str(tag) for tag in tags)
