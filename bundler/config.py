"""Read ``pyproject.toml`` ([project] and [tool.bundle]) and merge command-line overrides."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bundler.errors import ConfigError, ProjectError, TargetError
from bundler.inline import read_inline_script
from bundler.installers import choose_installer
from bundler.pyproject import ProjectMetadata, normalise_shebang, read_pyproject, string_list
from bundler.targets import TargetSpec, foreign_targets
from bundler.timeouts import DEFAULT_TIMEOUT, tool_timeout

__all__ = [
    "DEFAULT_SHEBANG",
    "Config",
    "InstallOptions",
    "Overrides",
    "ProjectMetadata",
    "load_config",
    "parse_entry",
]

DEFAULT_SHEBANG = "#!/usr/bin/env python3"
# What makes a directory a project (PEP 517, and the setuptools fallback pip and build use).
_PROJECT_FILES = ("pyproject.toml", "setup.py")

_ENTRY_RE = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$")


@dataclass(frozen=True)
class Overrides:
    """Settings given on the command line; ``None`` means "not given, use the config"."""

    entry: str | None = None
    script: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    shebang: str | None = None
    output: Path | None = None
    python: str | None = None
    strict: bool | None = None
    inherit_path: bool | None = None
    compile: bool | None = None
    bytecode: str | None = None
    sources: str | None = None
    install: bool | None = None
    requirements: tuple[str, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    constraint_files: tuple[Path, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool | None = None
    build_isolation: bool | None = None
    installer: str | None = None  # --installer
    use_cache: bool = True
    force: bool = False
    ignore_missing: tuple[str, ...] = ()
    extract: tuple[str, ...] = ()
    zip_safe: tuple[str, ...] = ()
    prune: bool | None = None
    extras: tuple[str, ...] = ()
    follow_symlinks: bool = False
    sbom: Path | None = None  # --sbom FILE
    # Several targets: every --python (the first is ``python``), --target-python, --platform.
    pythons: tuple[str, ...] = ()
    target_pythons: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()


@dataclass(frozen=True)
class InstallOptions:
    """How the staging directory is made: the project's wheel plus what pip (or uv) installs,
    from where. Paths are absolute; ``find_links`` holds directories, files or URLs."""

    requirements: tuple[str, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    constraint_files: tuple[Path, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    build_isolation: bool = True
    use_cache: bool = True
    installer: str = "pip"  # "pip" or "uv": what installs (bundler.installers)


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know, after merging pyproject.toml with the CLI.

    ``has_project`` is false when ``bundle`` runs without a project and bundles installed
    distributions only; ``project`` is None then, and also for a project whose metadata
    comes from its build backend alone (no ``[project]`` table). ``install`` is None with
    ``--no-install``: imports resolve against the target interpreter's environment as it is.
    """

    project_dir: Path
    project: ProjectMetadata | None
    output: Path
    entry: str | None
    script: str | None
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    shebang: str
    python: str | None
    strict: bool
    inherit_path: bool
    compile: bool
    install: InstallOptions | None = None
    # Which modules get bytecode ("imported" or "all") and how sources are stored ("packed"
    # in LZMA packs, or "files"): --bytecode, --sources, [tool.bundle] bytecode / sources.
    bytecode: str = "imported"
    sources: str = "packed"
    has_project: bool = True
    # Packages to extract whole at first import, and packages the zip-safety analysis
    # must not extract: module names, from [tool.bundle] extract / zip-safe.
    extract: tuple[str, ...] = ()
    zip_safe: tuple[str, ...] = ()
    # --force: replace an output that is not an archive bundle wrote.
    force: bool = False
    # Whether the shebang was chosen (--shebang, [tool.bundle] shebang): if not, the build
    # may name the minor version that the archive's native code needs.
    shebang_given: bool = False
    # Modules known to be absent: their imports are neither reported nor fatal (--strict).
    ignore_missing: tuple[str, ...] = ()
    # Leave out the distributions the resolver did not reach (--prune).
    prune: bool = False
    # The project's extras to install (--extra, [tool.bundle] extras).
    extras: tuple[str, ...] = ()
    # Seconds one run of pip or of the build backend may take; None: no limit.
    timeout: float | None = DEFAULT_TIMEOUT
    # Modules bundle check does not import ([tool.bundle] check-skip, kept in the manifest).
    check_skip: tuple[str, ...] = ()
    # Links in the project that point outside it are bundled (--follow-symlinks), not refused.
    follow_symlinks: bool = False
    # Where --sbom writes the SBOM (it is stored in the archive in any case).
    sbom: Path | None = None
    # A single-file script bundled with its inline metadata (PEP 723), instead of a project.
    inline_script: Path | None = None
    # More interpreters to build for (--python given again), and targets staged without
    # their interpreter (--target-python, --platform, [tool.bundle] targets).
    more_pythons: tuple[str, ...] = ()
    targets: tuple[TargetSpec, ...] = ()

    @property
    def source_root(self) -> Path:
        """Where the project's importable code lives: ``src/`` when the project uses it."""
        src = self.project_dir / "src"
        return src if src.is_dir() and self.inline_script is None else self.project_dir


def load_config(project_dir: Path | None, overrides: Overrides) -> Config:
    """Read ``project_dir/pyproject.toml`` and apply ``overrides`` on top of it.

    With no ``project_dir`` the current directory is the project if it holds a
    ``pyproject.toml`` (or a legacy ``setup.py``); if not, and the command
    line names distributions to install (``--with``, ``-r``) or turns installing off, the
    build bundles installed distributions without a project.
    """
    if project_dir is not None and project_dir.is_file():
        return _script_config(project_dir, overrides)
    if project_dir is None:
        here = Path.cwd()
        if not _is_project(here) and _needs_no_project(overrides):
            return _merge(here.resolve(), None, {}, overrides, None)
        project_dir = Path(".")
    if not project_dir.exists():
        raise ProjectError(f"project directory {project_dir} does not exist")
    if not project_dir.is_dir():
        raise ProjectError(f"project path {project_dir} is not a directory")
    pyproject = project_dir / "pyproject.toml"
    if not pyproject.is_file():
        if _is_project(project_dir):  # setup.py: the backend knows the rest
            return _merge(project_dir.resolve(), None, {}, overrides, project_dir / "setup.py")
        if (project_dir / "setup.cfg").is_file():
            raise ProjectError(
                f"{project_dir} has a setup.cfg but no setup.py or pyproject.toml, which pip and "
                "build need: add a pyproject.toml with a [build-system] table for setuptools"
            )
        raise ProjectError(
            f"no pyproject.toml in {project_dir}: run bundle from a project directory, "
            "pass the project's path, or name distributions to bundle with --with"
        )
    project, tool = read_pyproject(pyproject)
    return _merge(project_dir.resolve(), project, tool, overrides, pyproject)


def _script_config(path: Path, cli: Overrides) -> Config:
    """A single-file script: its directory is searched first (as ``python script.py``
    does), it runs as ``__main__``, and its inline metadata names what pip installs."""
    script = read_inline_script(path)
    metadata = ProjectMetadata(
        name=script.module,
        version="0",
        requires_python=script.requires_python,
        dependencies=script.dependencies,
    )
    entry = cli.entry if cli.entry is not None or cli.script is not None else script.module
    # Without an install the dependencies must be in the interpreter's environment.
    installed = script.dependencies if cli.install is not False else ()
    given = dataclasses.replace(cli, entry=entry, requirements=installed + cli.requirements)
    config = _merge(path.parent.resolve(), metadata, {}, given, None)
    return dataclasses.replace(config, inline_script=path.resolve())


def _is_project(directory: Path) -> bool:
    return any((directory / name).is_file() for name in _PROJECT_FILES)


def _needs_no_project(cli: Overrides) -> bool:
    return bool(cli.requirements or cli.requirement_files) or cli.install is False


def _merge(
    project_dir: Path,
    project: ProjectMetadata | None,
    tool: Mapping[str, Any],
    cli: Overrides,
    path: Path | None,
) -> Config:
    install = _install_options(project_dir, tool, cli, path)
    output = cli.output
    if output is None and "output" in tool:
        output = _configured_output(project_dir, tool["output"], path)
    if output is None:
        raise ConfigError("no output file: pass -o OUT (or set output in [tool.bundle])")
    entry, script = _entry_settings(tool, cli)
    shebang = cli.shebang if cli.shebang is not None else tool.get("shebang", DEFAULT_SHEBANG)
    extract, zip_safe = _extraction_settings(tool, cli)
    pythons = cli.pythons or ((cli.python,) if cli.python is not None else ())
    pythons = pythons or ((tool["python"],) if "python" in tool else ())
    return Config(
        project_dir=project_dir,
        project=project,
        output=output,
        entry=entry,
        script=script,
        include=tuple(tool.get("include", ())) + cli.include,
        exclude=tuple(tool.get("exclude", ())) + cli.exclude,
        shebang=normalise_shebang(shebang),
        python=pythons[0] if pythons else None,
        more_pythons=pythons[1:],
        targets=_targets(tool, cli, path),
        strict=_pick(cli.strict, tool.get("strict"), False),
        inherit_path=_pick(cli.inherit_path, tool.get("inherit-path"), False),
        compile=_pick(cli.compile, tool.get("compile"), True),
        bytecode=_choice("bytecode", cli.bytecode, tool, ("imported", "all")),
        sources=_choice("sources", cli.sources, tool, ("packed", "files")),
        install=install,
        has_project=path is not None,
        extract=extract,
        zip_safe=zip_safe,
        prune=_pick(cli.prune, tool.get("prune"), False),
        force=cli.force,
        shebang_given=cli.shebang is not None or "shebang" in tool,
        ignore_missing=tuple(tool.get("ignore-missing", ())) + cli.ignore_missing,
        extras=tuple(tool.get("extras", ())) + cli.extras,
        timeout=tool_timeout(tool.get("timeout"), path),
        follow_symlinks=cli.follow_symlinks,  # never from a project's own configuration
        check_skip=tuple(tool.get("check-skip", ())),
        sbom=cli.sbom,  # the command line's only, like -o's checks: never from a download
    )


def _entry_settings(tool: Mapping[str, Any], cli: Overrides) -> tuple[str | None, str | None]:
    """The entry point and the script, given then configured (an explicit -e wins)."""
    entry = cli.entry if cli.entry is not None else tool.get("entry")
    script = cli.script if cli.script is not None else tool.get("script")
    if cli.entry is not None and cli.script is None:
        script = None
    if entry is not None and not _ENTRY_RE.match(entry):
        raise ConfigError(f"invalid entry point '{entry}': expected MODULE or MODULE:FUNCTION")
    return entry, script


def _targets(tool: Mapping[str, Any], cli: Overrides, path: Path | None) -> tuple[TargetSpec, ...]:
    """The targets staged without their interpreter: [tool.bundle] targets, then those
    --target-python and --platform describe."""
    if "targets" not in tool or path is None:
        return foreign_targets((), cli.target_pythons, cli.platforms)
    try:
        configured = foreign_targets(string_list(tool["targets"], "targets", path), (), ())
    except TargetError as exc:
        raise TargetError(f"{path}: [tool.bundle] targets: {exc}") from None
    given = foreign_targets((), cli.target_pythons, cli.platforms)
    return tuple(dict.fromkeys((*configured, *given)))


def _extraction_settings(
    tool: Mapping[str, Any], cli: Overrides
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``extract`` and ``zip-safe``, configured then given; one package in both is an
    error."""
    extract = tuple(tool.get("extract", ())) + cli.extract
    zip_safe = tuple(tool.get("zip-safe", ())) + cli.zip_safe
    both = sorted(set(extract) & set(zip_safe))
    if both:
        raise ConfigError(
            f"'{both[0]}' is named by both extract and zip-safe (--extract, --zip-safe or "
            "[tool.bundle]): keep one of them"
        )
    return extract, zip_safe


def _install_options(
    project_dir: Path, tool: Mapping[str, Any], cli: Overrides, path: Path | None
) -> InstallOptions | None:
    """Lists from [tool.bundle] (paths relative to the project) come first, then the CLI's."""
    cwd = Path.cwd()
    # A configured path ("./libs/core", ".[cli]") is the project's, wherever bundle runs.
    configured = [str(project_dir / r) if r.startswith(".") else r for r in tool.get("with", ())]
    requirements = tuple(configured) + cli.requirements
    requirement_files = tuple(project_dir / p for p in tool.get("requirements", ())) + tuple(
        cwd / p for p in cli.requirement_files
    )
    constraint_files = tuple(project_dir / p for p in tool.get("constraints", ())) + tuple(
        cwd / p for p in cli.constraint_files
    )
    find_links = tuple(_link(link, project_dir) for link in tool.get("find-links", ())) + tuple(
        _link(link, cwd) for link in cli.find_links
    )
    if not _pick(cli.install, tool.get("install"), True):
        _check_no_install(
            ("--with", requirements),
            ("--requirement", requirement_files),
            ("--constraint", constraint_files),
            ("--find-links", find_links),
            ("--no-index", cli.no_index),
            ("--installer", cli.installer),
        )
        return None
    for file in (*requirement_files, *constraint_files):
        if not file.is_file():
            raise ConfigError(f"requirements file {file} does not exist: check the path")
    for link in find_links:
        if "://" not in link and not os.path.exists(link):
            raise ConfigError(
                f"find-links location {link} does not exist: pass a directory of wheels"
            )
    return InstallOptions(
        requirements=requirements,
        requirement_files=requirement_files,
        constraint_files=constraint_files,
        find_links=find_links,
        no_index=_pick(cli.no_index, tool.get("no-index"), False),
        build_isolation=_pick(cli.build_isolation, tool.get("build-isolation"), True),
        use_cache=cli.use_cache,
        installer=choose_installer(cli.installer, tool.get("installer"), path),
    )


def _check_no_install(*options: tuple[str, object]) -> None:
    """Refuse install options together with --no-install, naming the ones given."""
    given = [option for option, value in options if value]
    if given:
        verb = "needs" if len(given) == 1 else "need"
        raise ConfigError(
            f"{', '.join(given)} {verb} an install, which --no-install turns off: "
            "drop one or the other"
        )


def _link(link: str, base: Path) -> str:
    """A ``--find-links`` value with a relative path made absolute (URLs stay as they are)."""
    return link if "://" in link else os.path.normpath(base / link)


def _choice(key: str, cli: str | None, tool: Mapping[str, Any], allowed: tuple[str, ...]) -> str:
    """A setting with a few values: given, else configured, else the first of ``allowed``."""
    value = cli if cli is not None else tool.get(key, allowed[0])
    if value not in allowed:
        choices = " or ".join(repr(choice) for choice in allowed)
        raise ConfigError(f"[tool.bundle] {key} must be {choices}, not {value!r}")
    return str(value)


def _pick(cli: bool | None, tool: Any, default: bool) -> bool:
    return cli if cli is not None else (bool(tool) if tool is not None else default)


def _configured_output(project_dir: Path, value: str, path: Path | None) -> Path:
    """``output`` from [tool.bundle]: relative and inside the project, so that a
    downloaded project's configuration alone never makes a build write elsewhere."""
    resolved, root = (project_dir / value).resolve(), project_dir.resolve()
    if Path(value).is_absolute() or resolved == root or not resolved.is_relative_to(root):
        raise ConfigError(
            f"{path}: [tool.bundle] output must be a relative path inside the project, "
            f"not {value!r}: pass -o to write elsewhere"
        )
    return project_dir / value


def parse_entry(text: str) -> tuple[str, str | None]:
    """Split ``module:function`` (or a bare module) into its two parts."""
    module, _, function = text.partition(":")
    return module.strip(), (function.strip() or None)
