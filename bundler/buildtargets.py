"""The targets of one build: the interpreters to stage for (``--python``, once or more)
and those staged without an interpreter (``--target-python``, ``--platform``, ``targets``),
and how each target's planned payload becomes its share of the archive."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from bundler.archive.header import SH_SHEBANG, interpreter_commands
from bundler.archive.index import ArchiveInfo, TargetDescription
from bundler.archive.targets import TargetPart
from bundler.config import Config, ProjectMetadata
from bundler.entrypoint import EntryPoint
from bundler.environment import Environment, Interpreter, foreign_interpreter, query_interpreter
from bundler.errors import TargetError
from bundler.interpreters import find_interpreter
from bundler.plan.extraction import ExtractionPlan
from bundler.plan.payload import Payload
from bundler.plan.pythons import PythonRange
from bundler.resolve import Graph
from bundler.runtime.targets import interpreter_abi
from bundler.sbom import Sbom
from bundler.staging import Staging

__all__ = [
    "TargetBuild",
    "describe_target",
    "target_info",
    "target_interpreters",
    "target_launcher",
    "target_name",
    "target_part",
    "targets_range",
]

_SHORT_NAMES = {"cpython": "cp", "pypy": "pp"}


@dataclass(frozen=True)
class TargetBuild:
    """One target's stages: what was staged for it, resolved, planned."""

    interpreter: Interpreter
    environment: Environment
    staging: Staging | None
    graph: Graph
    app: ProjectMetadata
    payload: Payload
    extraction: ExtractionPlan
    pythons: PythonRange
    sbom: Sbom | None = None  # stored in this target's payload (sbom.attach_sbom)


def target_interpreters(config: Config, detail: Callable[[str], None]) -> list[Interpreter]:
    """The interpreters to build for, the first being the build's own: each --python (or
    the one running bundle when there is no other target), then the foreign targets.
    A target named twice is built once."""
    names: list[str | None] = [config.python, *config.more_pythons]
    if config.python is None and config.targets:
        names = []  # only the targets named: the running interpreter lends its stdlib
    found = []
    for name in names:
        python = find_interpreter(name)
        detail(f"inspecting {python or 'the current interpreter'}")
        found.append(query_interpreter(python))
    if config.targets and config.install is None:
        raise TargetError(
            "--target-python, --platform and [tool.bundle] targets need pip to install for "
            "each target: drop --no-install"
        )
    host = found[0] if found else query_interpreter(None)
    for spec in config.targets:
        found.append(foreign_interpreter(host, spec.pinned(host.version[:2])))
    unique = {target_name(interpreter): interpreter for interpreter in reversed(found)}
    return [i for i in found if unique[target_name(i)] is i]


def target_name(interpreter: Interpreter) -> str:
    """``cp312-linux_x86_64``, ``cp39-win_amd64``: the target an interpreter stands for."""
    if interpreter.foreign is not None:
        return interpreter.foreign.name
    return f"{_abi(interpreter)}-{_platform(interpreter)}"


def describe_target(build: TargetBuild) -> TargetDescription:
    """The manifest's entry for one target."""
    interpreter = build.interpreter
    names = (d[: -len(".dist-info")].rsplit("-", 1)[0] for d in build.payload.distributions)
    native = tuple((code.title, code.wheel_tags) for code in build.extraction.native.values())
    return TargetDescription(
        name=target_name(interpreter),
        python="{}.{}".format(*interpreter.version[:2]),
        implementation=_SHORT_NAMES.get(interpreter.implementation, interpreter.implementation),
        abi=_abi(interpreter),
        platform=_platform(interpreter),
        distributions=tuple(sorted(names)),
        native=tuple(sorted(native)),
    )


def target_part(build: TargetBuild, info: ArchiveInfo) -> TargetPart:
    """A target's share of the archive for the writer."""
    interpreter = build.interpreter
    return TargetPart(
        name=target_name(interpreter),
        implementation=_SHORT_NAMES.get(interpreter.implementation, interpreter.implementation),
        python=(interpreter.version[0], interpreter.version[1]),
        abi=_abi(interpreter),
        platform=_platform(interpreter),
        payload=build.payload,
        extraction=build.extraction,
        info=info,
    )


def _abi(interpreter: Interpreter) -> str:
    if interpreter.foreign is not None:
        return interpreter.foreign.abi
    return interpreter_abi(interpreter.extension_suffixes)


def _platform(interpreter: Interpreter) -> str:
    if interpreter.foreign is not None:
        return interpreter.foreign.platform
    return interpreter.platform.replace("-", "_").replace(".", "_")


def target_launcher(config: Config, builds: list[TargetBuild]) -> tuple[str, ...]:
    """The Pythons the archive's /bin/sh header tries (those of its range, or with several
    targets those it holds; the build's first), unless a shebang was chosen."""
    if config.shebang_given:
        return ()
    if len(builds) > 1:  # the Pythons the archive has a build for
        minors = {minor for _major, minor in _held(builds)}
    else:
        minors = set(builds[0].pythons.minors)
    return interpreter_commands(minors, builds[0].interpreter.version[1])


def _held(builds: list[TargetBuild]) -> list[tuple[int, int]]:
    """The Python versions the targets are for, oldest first, each once."""
    return sorted({(b.interpreter.version[0], b.interpreter.version[1]) for b in builds})


def targets_range(builds: list[TargetBuild]) -> str:
    """The Pythons an archive of several targets runs on: ``3.9, 3.12 or 3.13``."""
    names = [f"{major}.{minor}" for major, minor in _held(builds)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def target_info(
    config: Config, entry: EntryPoint, build: TargetBuild, launcher: tuple[str, ...]
) -> ArchiveInfo:
    """What the index and manifest say of the app, for one target's share."""
    shebang = SH_SHEBANG if launcher else config.shebang
    info = _archive_info(config, build.app, entry, shebang, build.pythons, build.graph.imported)
    return dataclasses.replace(info, launcher=launcher)


def _archive_info(
    config: Config,
    app: ProjectMetadata,
    entry: EntryPoint,
    shebang: str,
    pythons: PythonRange,
    imported: frozenset[str],
) -> ArchiveInfo:
    return ArchiveInfo(
        name=app.name,
        version=app.version,
        entry_module=entry.module,
        entry_function=entry.function,
        requires_python=app.requires_python,
        shebang=shebang,
        inherit_path=config.inherit_path,
        compile=config.compile,
        pythons=pythons.index_table(),
        python_range=pythons.describe(),
        extract=config.extract,
        zip_safe=config.zip_safe,
        prune=config.prune,
        check_skip=config.check_skip,
        bytecode_for=imported if config.bytecode == "imported" else None,
        pack_sources=config.sources == "packed",
    )
