"""The project's file tree as build backends and the resolver read it, checked once.

Every build starts here, staged or ``--no-install``: the tree is walked the way a backend
walks it (through symbolic links), and what it would read decides the build. So a link
that points outside the project (``data/shadow -> /etc/shadow``) is refused unless the user
asked for it with ``--follow-symlinks``, a link that points nowhere or around in a circle
(``self -> .``, on which a backend's own walk never ends) is one clear line, and the list of
files it returns, each with the real file it reads, is what the source fingerprint hashes.

Directories that never hold sources (version control, virtual environments, caches, what
builds write) are not walked; a link by such a name is still checked for a loop, since a
backend that walks it would never stop.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from bundler.errors import ProjectError

__all__ = ["ProjectFile", "ProjectTree", "is_skipped_dir", "scan_project", "scan_sources"]

# Directories that never hold a project's sources. Names starting with "." are skipped too.
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})
# Skipped only at the top of the project: where setuptools and build put their output.
_SKIPPED_TOP_DIRS = frozenset({"build", "dist"})
# Files that tools rewrite without changing the sources (bytecode, coverage data, Finder's).
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_SKIPPED_PREFIXES = (".coverage", ".DS_Store")


@dataclass(frozen=True)
class ProjectFile:
    """A file of the tree: its path as the project shows it, and the file actually read."""

    relative: str  # POSIX path below the root, through links as they appear
    real: Path | None  # None for something that is not a regular file (a FIFO, a socket)


@dataclass(frozen=True)
class ProjectTree:
    """What a walk of the project found: its files, in a stable order."""

    root: Path
    files: tuple[ProjectFile, ...]
    # Links the walk went through: relative path -> where it points (resolved).
    links: tuple[tuple[str, Path], ...] = ()


def scan_project(
    root: Path, *, ignore: Collection[Path] = (), follow_symlinks: bool = False
) -> ProjectTree:
    """Walk the project at ``root`` as a backend would; raise ProjectError for a link that
    leaves the project (unless ``follow_symlinks``), dangles or loops.

    ``ignore`` holds paths to leave out (the archive being written into the project).
    """
    walker = _Walker(root.resolve(), ignore, strict=True, outside_ok=follow_symlinks)
    return walker.run()


def scan_sources(root: Path, *, ignore: Collection[Path] = ()) -> ProjectTree:
    """Walk a local dependency's sources: links are followed wherever they go, and a
    dangling or looping one is recorded, not refused (the dependency's own build decides
    what it makes of it); the walk always ends."""
    return _Walker(root.resolve(), ignore, strict=False, outside_ok=True).run()


def is_skipped_dir(name: str, path: Path, *, top: bool) -> bool:
    """Whether the directory ``name`` (at ``path``) holds no sources: hidden, a cache, a
    virtual environment, an egg-info, or ``build/``/``dist/`` at the top of a project."""
    return (
        name.startswith(".")
        or name in _SKIPPED_DIRS
        or name.endswith(".egg-info")
        or (top and name in _SKIPPED_TOP_DIRS)
        or (path / "pyvenv.cfg").is_file()  # a virtual environment kept in the project
    )


class _Walker:
    """One walk: the root, what to leave out, and how strict to be about links."""

    def __init__(
        self, root: Path, ignore: Collection[Path], *, strict: bool, outside_ok: bool
    ) -> None:
        self.root = root
        self.ignored = {os.path.abspath(path) for path in ignore}
        self.ignored |= {os.path.realpath(path) for path in ignore}
        self.strict = strict
        self.outside_ok = outside_ok
        self.files: list[ProjectFile] = []
        self.links: list[tuple[str, Path]] = []

    def run(self) -> ProjectTree:
        if not self.root.is_dir():
            raise ProjectError(f"project directory {self.root} is not a directory")
        self._walk(self.root, "", (str(self.root),))
        return ProjectTree(self.root, tuple(self.files), tuple(self.links))

    def _walk(self, directory: Path, relative: str, chain: tuple[str, ...]) -> None:
        """Walk ``directory`` (a real path); ``chain`` holds the real directories above it,
        so a link back into one of them is caught instead of walked forever."""
        for entry in _entries(directory, relative or "."):
            shown = f"{relative}/{entry.name}" if relative else entry.name
            if os.path.abspath(entry.path) in self.ignored:
                continue
            if entry.is_symlink():
                self._link(entry, shown, chain, top=not relative)
            elif entry.is_dir(follow_symlinks=False):
                if not is_skipped_dir(entry.name, Path(entry.path), top=not relative):
                    self._walk(Path(entry.path), shown, (*chain, entry.path))
            elif not _skipped_file(entry.name):
                regular = entry.is_file(follow_symlinks=False)
                self.files.append(ProjectFile(shown, Path(entry.path) if regular else None))

    def _link(self, entry: os.DirEntry[str], shown: str, chain: tuple[str, ...], top: bool) -> None:
        target = self._target(entry, shown)
        if target is None:
            return
        info, real = target
        if stat.S_ISDIR(info.st_mode):
            if real in chain or _is_within(chain[-1], real):
                self._problem(shown, f"points to a directory that contains it ({_show(real)})")
                return
            if is_skipped_dir(entry.name, Path(real), top=top):
                return
            self.links.append((shown, Path(real)))
            self._outside(shown, real)
            self._walk(Path(real), shown, (*chain, real))
        elif not _skipped_file(entry.name):
            self.links.append((shown, Path(real)))
            self._outside(shown, real)
            regular = stat.S_ISREG(info.st_mode)
            self.files.append(ProjectFile(shown, Path(real) if regular else None))

    def _target(self, entry: os.DirEntry[str], shown: str) -> tuple[os.stat_result, str] | None:
        """What the link ``entry`` resolves to, or None (with the problem recorded)."""
        try:
            info = os.stat(entry.path)  # follows every link of the chain
        except OSError as exc:
            text = os.readlink(entry.path)
            if exc.errno == errno.ELOOP:
                self._problem(shown, f"is part of a loop of links ({shown} -> {text})")
            else:
                self._problem(shown, f"points to {text}, which does not exist")
            return None
        return info, os.path.realpath(entry.path)

    def _outside(self, shown: str, real: str) -> None:
        if not self.outside_ok and not _is_within(real, str(self.root)):
            raise ProjectError(
                f"symlink {shown} in the project points outside it, to {real}: remove it or "
                "copy what it points to into the project, or pass --follow-symlinks to "
                "bundle it anyway"
            )

    def _problem(self, shown: str, what: str) -> None:
        if self.strict:
            raise ProjectError(f"symlink {shown} in the project {what}: remove or fix it")
        # A dependency's broken link: remembered, so that fixing it changes the fingerprint.
        self.files.append(ProjectFile(shown, None))


def _entries(directory: Path, shown: str) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as found:
            entries = sorted(found, key=lambda entry: entry.name)
    except OSError as exc:
        raise ProjectError(f"cannot read {shown} in the project: {exc.strerror or exc}") from None
    yield from entries


def _skipped_file(name: str) -> bool:
    return name.endswith(_SKIPPED_SUFFIXES) or name.startswith(_SKIPPED_PREFIXES)


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _show(real: str) -> str:
    return real if real != os.sep else "/"
