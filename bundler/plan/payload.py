"""Turn the import graph into the list of files and modules that go into the archive.

A module of the payload has two kinds: how the runtime loads it (``load``: Python source,
namespace package or extension, the constants of the runtime's contract), and where it
comes from (``origin``: the project, a third-party distribution...), which the manifest
reports.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bundler.config import ProjectMetadata
from bundler.entrypoint import plain_scripts
from bundler.environment import Distribution, Environment, normalise_name
from bundler.plan.distributions import Scope, distribution_files, select_distributions
from bundler.plan.excluded import excluded_member
from bundler.resolve import Graph, Module, ModuleKind
from bundler.runtime import EXTENSION, NAMESPACE, SOURCE

__all__ = [
    "Payload",
    "PayloadModule",
    "file_size",
    "package_inits",
    "plan_payload",
    "python_directories",
    "read_file",
]

# Files an installed tree holds that an archive never needs, or must not carry
# (direct_url.json records the build machine's paths).
_SKIP_FILES = frozenset({"direct_url.json"})
_SKIP_DIRS = frozenset({"__pycache__"})


@dataclass(frozen=True)
class PayloadModule:
    """One module of the payload: where the runtime finds it and how it loads it."""

    name: str
    member: str | None  # its source, or an extension's shared library; None: namespace
    is_package: bool
    load: int  # the runtime's SOURCE, NAMESPACE or EXTENSION
    origin: ModuleKind = ModuleKind.THIRD_PARTY  # where it comes from, for the manifest


@dataclass(frozen=True)
class Payload:
    """Everything that goes into the archive's payload, keyed by member name."""

    files: Mapping[str, Path | bytes]
    modules: tuple[PayloadModule, ...]
    distributions: tuple[str, ...]
    units: Mapping[str, ModuleKind] = field(default_factory=dict)
    # Distributions --prune left out, and those included that no import reached
    # ("name version"); and what the user should know.
    pruned: tuple[str, ...] = ()
    unreached: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def plan_payload(
    graph: Graph,
    env: Environment,
    project: ProjectMetadata,
    scope: Scope = Scope.DECLARED,
    exclude: Sequence[str] = (),
) -> Payload:
    """The files and modules of the archive.

    Every distribution that ``scope`` selects goes in whole (see ``distributions``). The
    reached modules that no distribution owns (the project's sources with
    ``--no-install``) go in by package: the top-most regular package (or module) of each,
    whole. Namespace packages are shared between distributions, so only the portions
    that were reached are taken that way. The files of the modules in ``exclude`` (and of
    their submodules) are left out, so that they cannot be imported.
    """
    files: dict[str, Path | bytes] = {}
    index: dict[str, PayloadModule] = {}
    warnings: list[str] = []
    units, owners = _add_reached_units(graph, env, files, index, warnings)
    script = graph.entry.script
    for dist in env.distributions if script is not None else ():
        if script in plain_scripts(dist).values():
            owners[dist.key] = dist  # the script's distribution goes in, whatever the scope
    selection = select_distributions(owners.values(), env, scope, project.dependencies)
    for dist in selection.included:
        files.update(distribution_files(dist))
    if script is not None:
        member = next(m for m, path in files.items() if path == script)
        index[graph.entry.module] = PayloadModule(graph.entry.module, member, False, SOURCE)
    _index_files(files, index, env.interpreter.extension_suffixes, exclude)
    dist_dirs = [_add_dist_info(files, dist) for dist in selection.included]
    project_units = sorted(n for n, k in units.items() if k is ModuleKind.PROJECT)
    included = {dist.key for dist in selection.included}
    if project_units and normalise_name(project.name) not in included:
        dist_dirs.append(_add_project_dist_info(files, project, project_units))
    return Payload(
        files=dict(sorted(files.items())),
        modules=tuple(_with_origin(index[name], units) for name in sorted(index)),
        distributions=tuple(sorted(dist_dirs)),
        units=units,
        pruned=tuple(f"{dist.name} {dist.version}" for dist in selection.pruned),
        unreached=tuple(
            f"{dist.name} {dist.version}" for dist in selection.included if dist.key not in owners
        ),
        warnings=(*warnings, *selection.warnings),
    )


def _add_reached_units(
    graph: Graph,
    env: Environment,
    files: dict[str, Path | bytes],
    index: dict[str, PayloadModule],
    warnings: list[str],
) -> tuple[dict[str, ModuleKind], dict[str, Distribution]]:
    """Add the files of every reached unit; returns the units and the distributions that
    own their files."""
    units: dict[str, ModuleKind] = {}
    owners: dict[str, Distribution] = {}
    for module in graph.bundled():
        unit = _unit_of(module, graph)
        if unit is None or unit.name in units:
            if module.kind is ModuleKind.NAMESPACE:
                _add_namespace(index, module.name)
            continue
        units[unit.name] = unit.kind
        for member, path in _unit_files(unit, warnings):
            files[member] = path
            owner = env.owner_of(path)
            if owner is not None:
                owners[owner.key] = owner
        for parent in _parents(unit.name):
            _add_namespace(index, parent)
    return units, owners


def _unit_of(module: Module, graph: Graph) -> Module | None:
    """The shortest non-namespace prefix of ``module``: the package included whole."""
    parts = module.name.split(".")
    for depth in range(1, len(parts) + 1):
        candidate = graph.modules.get(".".join(parts[:depth]))
        if candidate is not None and candidate.kind is not ModuleKind.NAMESPACE:
            return candidate
    return None


def _unit_files(unit: Module, warnings: list[str]) -> Iterable[tuple[str, Path]]:
    """(member name, file) for every file of a package, or the module's single file.

    Symlinked directories are followed, as Python's import system follows them, except
    one that leads back to a directory of the walk (a loop); a symlink to nothing is left
    out. Each is one warning.
    """
    assert unit.path is not None
    prefix = unit.name.replace(".", "/")
    if not unit.is_package:
        yield f"{prefix.rpartition('/')[0]}/{unit.path.name}".lstrip("/"), unit.path
        return
    root = unit.path.parent
    for directory, subdirs, names in os.walk(root, followlinks=True):
        above = {os.path.realpath(d) for d in _ancestors(Path(directory), root)}
        kept = []
        for name in sorted(subdirs):
            if name in _SKIP_DIRS or _is_metadata(name):
                continue
            if os.path.realpath(os.path.join(directory, name)) in above:
                warnings.append(f"skipped {Path(directory, name)}: a symlink that loops")
                continue
            kept.append(name)
        subdirs[:] = kept
        rel_dir = Path(directory).relative_to(root).as_posix()
        base = prefix if rel_dir == "." else f"{prefix}/{rel_dir}"
        for name in sorted(names):
            if name in _SKIP_FILES or (name.endswith(".pyc") and name[:-1] in names):
                continue
            path = Path(directory, name)
            if not path.is_file():
                warnings.append(f"skipped {path}: a symlink to nothing")
                continue
            yield f"{base}/{name}", path


def _ancestors(directory: Path, root: Path) -> Iterable[Path]:
    """``directory`` and the directories above it, up to ``root``."""
    yield directory
    while directory != root and directory != directory.parent:
        directory = directory.parent
        yield directory


def _index_files(
    files: dict[str, Path | bytes],
    index: dict[str, PayloadModule],
    suffixes: Sequence[str],
    exclude: Sequence[str],
) -> None:
    """Drop the files of excluded modules, then index every module of the rest."""
    for member in [m for m in files if exclude and excluded_member(m, exclude, suffixes)]:
        del files[member]
    for member in files:
        entry = _index_entry(member, suffixes)
        if entry is not None and _wins(entry, index.get(entry.name), suffixes):
            index[entry.name] = entry
    for name in list(index):
        for parent in _parents(name):
            _add_namespace(index, parent)


def _is_metadata(dirname: str) -> bool:
    return dirname.endswith((".dist-info", ".egg-info"))


def _index_entry(member: str, extension_suffixes: Iterable[str]) -> PayloadModule | None:
    """The module ``member`` is, as Python's FileFinder finds it, whatever its name:
    ``importlib.import_module("rich._unicode_data.unicode17-0-0")`` works in a virtualenv,
    so it must from the archive. A name with a dot cannot be imported (the dot separates
    packages), so neither can anything under a directory whose name has one
    (``*.dist-info``, ``*.data``)."""
    parts = member.split("/")
    if any(not part or "." in part or part == "__pycache__" for part in parts[:-1]):
        return None
    filename = parts[-1]
    if filename.endswith(".py"):
        stem, load = filename[:-3], SOURCE
    else:
        suffix = next((s for s in extension_suffixes if filename.endswith(s)), None)
        if suffix is None:
            return None
        stem, load = filename[: -len(suffix)], EXTENSION
    if not stem or "." in stem:
        return None
    if stem == "__init__":
        if len(parts) == 1:
            return None  # an __init__.py at the top of sys.path is no package
        return PayloadModule(".".join(parts[:-1]), member, True, load)
    return PayloadModule(".".join([*parts[:-1], stem]), member, False, load)


def _wins(entry: PayloadModule, current: PayloadModule | None, suffixes: Sequence[str]) -> bool:
    """Whether ``entry`` is the file Python's FileFinder would import for its name.

    A package beats a module, an extension beats a source (mypyc wheels ship both
    ``md.py`` and ``md.cpython-311-x86_64-linux-gnu.so``), and extension suffixes rank in
    the interpreter's order.
    """
    if current is None or current.load == NAMESPACE:
        return True
    return _import_rank(entry, suffixes) > _import_rank(current, suffixes)


def _import_rank(entry: PayloadModule, suffixes: Sequence[str]) -> tuple[bool, int]:
    member = entry.member or ""
    if entry.load == EXTENSION:
        position = next(i for i, s in enumerate(suffixes) if member.endswith(s))
    else:
        position = len(suffixes)
    return entry.is_package, -position


def _with_origin(module: PayloadModule, units: Mapping[str, ModuleKind]) -> PayloadModule:
    """``module`` with its origin: the project's when its unit is, else by how it loads."""
    parts = module.name.split(".")
    unit = next(
        (units[name] for i in range(len(parts), 0, -1) if (name := ".".join(parts[:i])) in units),
        None,
    )
    if unit is ModuleKind.PROJECT:
        origin = ModuleKind.PROJECT
    elif module.load == EXTENSION:
        origin = ModuleKind.EXTENSION
    elif module.load == NAMESPACE:
        origin = ModuleKind.NAMESPACE
    else:
        origin = ModuleKind.THIRD_PARTY
    return dataclasses.replace(module, origin=origin)


def _add_namespace(index: dict[str, PayloadModule], name: str) -> None:
    if name and name not in index:
        index[name] = PayloadModule(name, None, True, NAMESPACE)


def _parents(name: str) -> Iterable[str]:
    parts = name.split(".")
    return (".".join(parts[:i]) for i in range(1, len(parts)))


def package_inits(modules: Mapping[str, PayloadModule], name: str) -> tuple[str, ...]:
    """The ``__init__.py`` members of the packages above module ``name``, outermost first
    (a namespace package has none; a compiled ``__init__`` is not one)."""
    entries = [modules.get(parent) for parent in _parents(name)]
    members = [entry.member for entry in entries if entry is not None and entry.is_package]
    return tuple(member for member in members if member and member.endswith(".py"))


def _add_dist_info(files: dict[str, Path | bytes], dist: Distribution) -> str:
    for path in sorted(dist.dist_info.rglob("*")):
        if path.is_file() and path.name not in _SKIP_FILES and "__pycache__" not in path.parts:
            rel = path.relative_to(dist.dist_info).as_posix()
            files[f"{dist.dist_info.name}/{rel}"] = path
    return dist.dist_info.name


def _add_project_dist_info(
    files: dict[str, Path | bytes], project: ProjectMetadata, units: Iterable[str]
) -> str:
    """Write the project's own metadata, so ``importlib.metadata.version()`` works for it."""
    dirname = f"{normalise_name(project.name)}-{project.version}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {project.name}", f"Version: {project.version}"]
    if project.summary:
        lines.append(f"Summary: {project.summary}")
    if project.requires_python:
        lines.append(f"Requires-Python: {project.requires_python}")
    lines += [f"Requires-Dist: {req}" for req in project.dependencies]
    generated = {
        "METADATA": "\n".join(lines) + "\n",
        "INSTALLER": "bundler\n",
        "top_level.txt": "".join(f"{name}\n" for name in sorted({u.split(".")[0] for u in units})),
    }
    groups = {
        "console_scripts": project.scripts,
        "gui_scripts": project.gui_scripts,
        **project.entry_points,
    }
    text = "".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in sorted(items.items())) + "\n"
        for group, items in sorted(groups.items())
        if items
    )
    if text:
        generated["entry_points.txt"] = text
    record = []
    for member, source in files.items():
        if member.split("/")[0].split(".")[0] in {u.split(".")[0] for u in units}:
            digest, size = _file_digest(source)
            record.append(f"{member},{_record_hash(digest)},{size}")
    for name, content in generated.items():
        data = content.encode()
        files[f"{dirname}/{name}"] = data
        record.append(f"{dirname}/{name},{_record_hash(hashlib.sha256(data))},{len(data)}")
    record.append(f"{dirname}/RECORD,,")
    files[f"{dirname}/RECORD"] = ("\n".join(sorted(record)) + "\n").encode()
    return dirname


def _file_digest(source: Path | bytes) -> tuple[hashlib._Hash, int]:
    """The sha256 of a payload file and its size, read in blocks: a data file may be
    larger than memory."""
    if isinstance(source, bytes):
        return hashlib.sha256(source), len(source)
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest, size


def _record_hash(digest: hashlib._Hash) -> str:
    encoded = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=")
    return f"sha256={encoded.decode()}"


def read_file(source: Path | bytes) -> bytes:
    """The contents of a payload file: its bytes, or those of the file it names."""
    return source if isinstance(source, bytes) else source.read_bytes()


def file_size(source: Path | bytes) -> int:
    """The size of a payload file, without reading a file it names."""
    return len(source) if isinstance(source, bytes) else source.stat().st_size


def python_directories(files: Iterable[str], extension_suffixes: Sequence[str] = ()) -> set[str]:
    """Every directory of the payload that has Python code (sources, or extension modules
    with one of ``extension_suffixes``) somewhere below it."""
    code = (".py", *extension_suffixes)
    found: set[str] = set()
    for member in files:
        if member.endswith(code):
            directory = posixpath.dirname(member)
            while directory and directory not in found:
                found.add(directory)
                directory = posixpath.dirname(directory)
    return found
