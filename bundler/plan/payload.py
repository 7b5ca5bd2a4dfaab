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
from bundler.environment import Distribution, Environment, normalise_name
from bundler.resolve import Graph, Module, ModuleKind
from bundler.runtime import EXTENSION, NAMESPACE, SOURCE

__all__ = [
    "Payload",
    "PayloadModule",
    "file_size",
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


def plan_payload(graph: Graph, env: Environment, project: ProjectMetadata) -> Payload:
    """Include each reached project or third-party package whole, plus its dist-info.

    The unit of inclusion is the top-most regular package (or module) of each reached
    module: namespace packages are shared between distributions, so only the portions
    that were reached are taken, not every distribution that contributes to them.
    """
    files: dict[str, Path | bytes] = {}
    index: dict[str, PayloadModule] = {}
    units: dict[str, ModuleKind] = {}
    owners: dict[str, Distribution] = {}
    for module in graph.bundled():
        unit = _unit_of(module, graph)
        if unit is None or unit.name in units:
            if module.kind is ModuleKind.NAMESPACE:
                _add_namespace(index, module.name)
            continue
        units[unit.name] = unit.kind
        for member, path in _unit_files(unit):
            files[member] = path
            owner = env.owner_of(path)
            if owner is not None:
                owners[owner.key] = owner
        for parent in _parents(unit.name):
            _add_namespace(index, parent)
    suffixes = env.interpreter.extension_suffixes
    for dist in owners.values():
        files.update(_native_companions(dist, suffixes))
    for member in files:
        entry = _index_entry(member, suffixes)
        if entry is not None and _wins(entry, index.get(entry.name), suffixes):
            index[entry.name] = entry
    for name in list(index):
        for parent in _parents(name):
            _add_namespace(index, parent)
    dist_dirs = [_add_dist_info(files, dist) for dist in sorted(owners.values(), key=_dist_key)]
    project_units = sorted(n for n, k in units.items() if k is ModuleKind.PROJECT)
    if project_units and normalise_name(project.name) not in owners:
        dist_dirs.append(_add_project_dist_info(files, project, project_units))
    return Payload(
        files=dict(sorted(files.items())),
        modules=tuple(_with_origin(index[name], units) for name in sorted(index)),
        distributions=tuple(sorted(dist_dirs)),
        units=units,
    )


def _unit_of(module: Module, graph: Graph) -> Module | None:
    """The shortest non-namespace prefix of ``module``: the package included whole."""
    parts = module.name.split(".")
    for depth in range(1, len(parts) + 1):
        candidate = graph.modules.get(".".join(parts[:depth]))
        if candidate is not None and candidate.kind is not ModuleKind.NAMESPACE:
            return candidate
    return None


def _unit_files(unit: Module) -> Iterable[tuple[str, Path]]:
    """(member name, file) for every file of a package, or the module's single file."""
    assert unit.path is not None
    prefix = unit.name.replace(".", "/")
    if not unit.is_package:
        yield f"{prefix.rpartition('/')[0]}/{unit.path.name}".lstrip("/"), unit.path
        return
    root = unit.path.parent
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not _is_metadata(d))
        rel_dir = Path(directory).relative_to(root).as_posix()
        base = prefix if rel_dir == "." else f"{prefix}/{rel_dir}"
        for name in sorted(names):
            if name in _SKIP_FILES or (name.endswith(".pyc") and name[:-1] in names):
                continue
            yield f"{base}/{name}", Path(directory, name)


def _is_metadata(dirname: str) -> bool:
    return dirname.endswith((".dist-info", ".egg-info"))


def _index_entry(member: str, extension_suffixes: Iterable[str]) -> PayloadModule | None:
    parts = member.split("/")
    if not all(part.isidentifier() for part in parts[:-1]):
        return None  # under a directory that no import statement can name
    filename = parts[-1]
    if filename.endswith(".py"):
        stem, load = filename[:-3], SOURCE
    else:
        suffix = next((s for s in extension_suffixes if filename.endswith(s)), None)
        if suffix is None:
            return None
        stem, load = filename[: -len(suffix)], EXTENSION
    # C code imports modules by any file name (mypyc's shared "<hash>__mypyc" helper starts
    # with a digit); an import statement can name only identifiers.
    compiled = load == EXTENSION and stem != "" and "." not in stem
    importable = stem.isidentifier() or compiled
    if not importable:
        return None
    if stem == "__init__":
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


def _native_companions(dist: Distribution, suffixes: Sequence[str]) -> Iterable[tuple[str, Path]]:
    """Files of an included distribution that no import statement names but its native
    code needs: the ``<dist>.libs`` folders auditwheel adds, which extensions load through
    an ``$ORIGIN`` RPATH (``numpy.libs/libopenblas...so``), and top-level extension modules
    that C code imports by name (mypyc's shared ``<hash>__mypyc`` module)."""
    site = dist.site_dir
    for name in dist.files:
        parts = name.split("/")
        in_libs = len(parts) > 1 and parts[0].endswith(".libs") and ".." not in parts
        top_level_extension = len(parts) == 1 and name.endswith(tuple(suffixes))
        if in_libs or top_level_extension:
            path = site / name
            if path.is_file():
                yield name, path


def _add_namespace(index: dict[str, PayloadModule], name: str) -> None:
    if name and name not in index:
        index[name] = PayloadModule(name, None, True, NAMESPACE)


def _parents(name: str) -> Iterable[str]:
    parts = name.split(".")
    return (".".join(parts[:i]) for i in range(1, len(parts)))


def _dist_key(dist: Distribution) -> str:
    return dist.key


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
            data = read_file(source)
            record.append(f"{member},{_record_hash(data)},{len(data)}")
    for name, content in generated.items():
        data = content.encode()
        files[f"{dirname}/{name}"] = data
        record.append(f"{dirname}/{name},{_record_hash(data)},{len(data)}")
    record.append(f"{dirname}/RECORD,,")
    files[f"{dirname}/RECORD"] = ("\n".join(sorted(record)) + "\n").encode()
    return dirname


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


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
