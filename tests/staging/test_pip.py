"""pip for the target interpreter: the command lines we build, and a failure turned into
one line with a hint (pip's last lines as details)."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bundler.errors import StagingError
from bundler.runtime import PACKAGE_NAME
from bundler.staging import pip, wheeltags
from bundler.staging.pip import (
    IndexOptions,
    PipRequest,
    install_into_directory,
    install_into_environment,
    installed_hashes,
)
from bundler.staging.tools import ToolOutput, ToolSettings
from bundler.targets import ForeignTarget
from tests.helpers.wheels import write_wheel
from tests.staging.conftest import foreign_target_wheels

QUIET = [
    "--no-input",
    "--disable-pip-version-check",
    "--no-compile",
    "--no-warn-script-location",
    "--root-user-action=ignore",
    "--progress-bar=off",
]
PIP = [sys.executable, "-m", "pip"]
OFFLINE = IndexOptions(("/wheels", "/more"), no_index=True)


@dataclass
class FakePip:
    """Records each command instead of running it, and answers with ``output``."""

    output: ToolOutput = field(default_factory=lambda: ToolOutput(0, ()))
    commands: list[list[str]] = field(default_factory=list)
    verbose: list[bool] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)

    def __call__(self, command: Sequence[str], *, settings: ToolSettings, what: str) -> ToolOutput:
        self.commands.append(list(command))
        self.verbose.append(settings.verbose)
        if "-r" in command:
            self.listings.append(Path(command[command.index("-r") + 1]).read_text())
        return self.output


@pytest.fixture
def fake_pip(monkeypatch: pytest.MonkeyPatch) -> FakePip:
    fake = FakePip()
    monkeypatch.setattr(pip, "run_tool", fake)
    monkeypatch.setattr(wheeltags, "run_tool", fake)
    return fake


def _fail(fake: FakePip, *lines: str) -> None:
    fake.output = ToolOutput(1, lines)


def _install(target: Path, index: IndexOptions = OFFLINE, verbose: bool = False) -> None:
    install_into_directory(
        target,
        PipRequest(requirements=("nosuch",)),
        python=sys.executable,
        index=index,
        settings=ToolSettings(verbose=verbose),
        what="'nosuch' and its dependencies",
    )


# ---------------------------------------------------------------- command lines


@pytest.mark.parametrize(
    ("index", "arguments"),
    [
        (IndexOptions(), []),
        (IndexOptions(no_index=True), ["--no-index"]),
        (IndexOptions(("/w",)), ["--find-links", "/w"]),
        (OFFLINE, ["--no-index", "--find-links", "/wheels", "--find-links", "/more"]),
    ],
)
def test_index_options_as_pip_arguments(index: IndexOptions, arguments: list[str]) -> None:
    assert index.arguments() == arguments


def test_install_into_directory_command_line(fake_pip: FakePip, tmp_path: Path) -> None:
    install_into_directory(
        tmp_path / "site",
        PipRequest(
            requirements=("/w/demo-1.0-py3-none-any.whl", "--looks-like-an-option"),
            requirement_files=(tmp_path / "a.txt", tmp_path / "b.txt"),
            constraint_files=(tmp_path / "pins.txt",),
            no_deps=True,
            require_hashes=True,
        ),
        python=sys.executable,
        index=OFFLINE,
        settings=ToolSettings(verbose=True),
        what="the project",
    )
    assert fake_pip.commands == [
        [
            *PIP, "install", *QUIET, "--target", str(tmp_path / "site"),
            "--no-index", "--find-links", "/wheels", "--find-links", "/more",
            "--no-deps", "--require-hashes",
            "--constraint", str(tmp_path / "pins.txt"),
            "--requirement", str(tmp_path / "a.txt"), "--requirement", str(tmp_path / "b.txt"),
            "--", "/w/demo-1.0-py3-none-any.whl", "--looks-like-an-option",
        ]
    ]  # fmt: skip
    assert fake_pip.verbose == [True]


def test_another_interpreter_is_named_with_python_and_no_requirements_need_no_separator(
    fake_pip: FakePip, tmp_path: Path
) -> None:
    install_into_directory(
        tmp_path / "site",
        PipRequest(requirement_files=(tmp_path / "reqs.txt",)),
        python="/opt/python3.12/bin/python3.12",
        index=IndexOptions(),
        settings=ToolSettings(),
        what="the requirements in reqs.txt",
    )
    assert fake_pip.commands == [
        [
            *PIP, "--python", "/opt/python3.12/bin/python3.12", "install", *QUIET,
            "--target", str(tmp_path / "site"), "--requirement", str(tmp_path / "reqs.txt"),
        ]
    ]  # fmt: skip


def test_install_into_environment_passes_requirements_in_a_file_it_removes(
    fake_pip: FakePip,
) -> None:
    requirements = ["setuptools>=61", "tomli; python_version < '3.11'"]
    install_into_environment(
        "/tmp/env/bin/python", requirements, index=OFFLINE, settings=ToolSettings(), what="x"
    )
    [command] = fake_pip.commands
    listing = command[-1]
    assert command == [
        *PIP, "--python", "/tmp/env/bin/python", "install", *QUIET,
        "--no-index", "--find-links", "/wheels", "--find-links", "/more", "-r", listing,
    ]  # fmt: skip
    assert fake_pip.listings == ["setuptools>=61\ntomli; python_version < '3.11'\n"]
    assert not Path(listing).exists()


def test_install_into_environment_removes_its_file_after_a_failure(fake_pip: FakePip) -> None:
    _fail(fake_pip, "ERROR: No matching distribution found for setuptools>=61")
    with pytest.raises(StagingError):
        install_into_environment(
            sys.executable, ["setuptools>=61"], index=OFFLINE, settings=ToolSettings(), what="x"
        )
    assert not Path(fake_pip.commands[0][-1]).exists()


# ---------------------------------------------------------------- failures


NO_MATCH = (
    "Looking in links: /wheels, /more",
    "ERROR: Could not find a version that satisfies the requirement nosuch (from versions: none)",
    "ERROR: No matching distribution found for nosuch",
)


def test_no_matching_distribution_offline_names_where_pip_looked(
    fake_pip: FakePip, tmp_path: Path
) -> None:
    _fail(fake_pip, *NO_MATCH)
    with pytest.raises(StagingError) as caught:
        _install(tmp_path)
    assert str(caught.value) == (
        "pip could not install 'nosuch' and its dependencies: No matching distribution found "
        "for nosuch; with --no-index pip only looks in /wheels, /more: add it there"
    )
    assert caught.value.details == NO_MATCH


@pytest.mark.parametrize(
    ("index", "hint"),
    [
        (
            IndexOptions(no_index=True),
            "--no-index leaves pip nowhere to look: add --find-links DIR with the wheels",
        ),
        (
            IndexOptions(),
            "check the name and version (build offline with --no-index --find-links DIR)",
        ),
        (
            IndexOptions(("/wheels",)),
            "check the name and version (build offline with --no-index --find-links DIR)",
        ),
    ],
    ids=["no-index-nowhere", "index", "index-and-links"],
)
def test_no_matching_distribution_hint_follows_the_index_options(
    fake_pip: FakePip, tmp_path: Path, index: IndexOptions, hint: str
) -> None:
    _fail(fake_pip, *NO_MATCH)
    with pytest.raises(StagingError) as caught:
        _install(tmp_path, index)
    assert str(caught.value).endswith(f"No matching distribution found for nosuch; {hint}")


def test_conflict_names_the_conflict_not_pips_help_link(fake_pip: FakePip, tmp_path: Path) -> None:
    _fail(
        fake_pip,
        "ERROR: Cannot install a==1.0 and b==1.0 because these package versions have "
        "conflicting dependencies.",
        "",
        "The conflict is caused by:",
        "    a 1.0 depends on c==1.0",
        "    b 1.0 depends on c==2.0",
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/",
    )
    with pytest.raises(StagingError) as caught:
        _install(tmp_path)
    assert str(caught.value) == (
        "pip could not install 'nosuch' and its dependencies: Cannot install a==1.0 and b==1.0 "
        "because these package versions have conflicting dependencies.; relax the conflicting "
        "requirements or constraints"
    )
    assert caught.value.details[-3:] == (
        "    a 1.0 depends on c==1.0",
        "    b 1.0 depends on c==2.0",
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/",
    )


def test_requires_python_hint_suggests_another_version_or_interpreter(
    fake_pip: FakePip, tmp_path: Path
) -> None:
    _fail(fake_pip, "ERROR: Package 'demo' requires a different Python: 3.11.7 not in '>=3.12'")
    with pytest.raises(StagingError) as caught:
        _install(tmp_path)
    assert str(caught.value) == (
        "pip could not install 'nosuch' and its dependencies: Package 'demo' requires a "
        "different Python: 3.11.7 not in '>=3.12'; pick a version that supports the target, "
        "or another interpreter with --python"
    )


def test_other_failure_points_at_pips_last_lines(fake_pip: FakePip, tmp_path: Path) -> None:
    _fail(fake_pip, "ERROR: Could not install packages due to an OSError: [Errno 28] No space")
    with pytest.raises(StagingError) as caught:
        _install(tmp_path)
    assert str(caught.value) == (
        "pip could not install 'nosuch' and its dependencies: Could not install packages due to "
        "an OSError: [Errno 28] No space; pip's last lines are above; -v shows all of its output"
    )


def test_verbose_failure_has_no_details_since_pips_output_was_shown(
    fake_pip: FakePip, tmp_path: Path
) -> None:
    _fail(fake_pip, *NO_MATCH)
    with pytest.raises(StagingError) as caught:
        _install(tmp_path, verbose=True)
    assert caught.value.details == ()


@pytest.mark.usefixtures("pip_free")
def test_real_pips_failure_offline_is_one_line(tmp_path: Path) -> None:
    write_wheel(tmp_path / "wheels", "present", "1.0", {"present.py": ""})
    index = IndexOptions((str(tmp_path / "wheels"),), no_index=True)
    with pytest.raises(StagingError) as caught:
        _install(tmp_path / "site", index)
    assert str(caught.value) == (
        "pip could not install 'nosuch' and its dependencies: No matching distribution found "
        f"for nosuch; with --no-index pip only looks in {tmp_path / 'wheels'}: add it there"
    )
    assert caught.value.details[-1] == "ERROR: No matching distribution found for nosuch"


# ---------------------------------------------------------------- pip itself


def _pip_version(monkeypatch: pytest.MonkeyPatch, version: str | None) -> None:
    def fake_version(name: str) -> str:
        assert name == "pip"
        if version is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return version

    monkeypatch.setattr(importlib.metadata, "version", fake_version)


def test_pip_older_than_22_3_is_refused_before_running(
    monkeypatch: pytest.MonkeyPatch, fake_pip: FakePip, tmp_path: Path
) -> None:
    _pip_version(monkeypatch, "22.2.2")
    with pytest.raises(StagingError) as caught:
        _install(tmp_path)
    assert str(caught.value) == (
        "pip 22.2.2 is too old to install for another interpreter; upgrade it with "
        f"'{sys.executable} -m pip install -U \"pip>=22.3\"'"
    )
    assert fake_pip.commands == []


def test_missing_pip_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, fake_pip: FakePip, tmp_path: Path
) -> None:
    _pip_version(monkeypatch, None)
    with pytest.raises(StagingError) as caught:
        _install(tmp_path)
    assert str(caught.value) == (
        f"pip is not installed for {sys.executable}, which runs bundle; install it with "
        f"'{sys.executable} -m ensurepip', or build with --no-install"
    )
    assert fake_pip.commands == []


@pytest.mark.parametrize("version", ["22.3", "24.0", "not-a-version"])
def test_pip_that_is_new_enough_or_unreadable_runs(
    monkeypatch: pytest.MonkeyPatch, fake_pip: FakePip, tmp_path: Path, version: str
) -> None:
    _pip_version(monkeypatch, version)
    _install(tmp_path)
    assert len(fake_pip.commands) == 1


# ---------------------------------------------------------------- the right line


@pytest.mark.usefixtures("pip_free")
def test_no_wheel_for_this_python_names_the_distribution_and_its_tags(tmp_path: Path) -> None:
    house = tmp_path / "wheels"
    for tag in ("cp27-cp27mu-manylinux1_x86_64", "cp27-cp27m-win32"):
        write_wheel(house, "nosuch", "2.0", {"nosuch.py": ""}, tag=tag)
    with pytest.raises(StagingError) as caught:
        _install(tmp_path / "site", IndexOptions((str(house),), no_index=True))
    assert str(caught.value) == (
        "pip could not install 'nosuch' and its dependencies: no wheel of nosuch for this Python "
        "and platform: the wheels found (2.0) are tagged cp27-cp27m-win32, "
        "cp27-cp27mu-manylinux1_x86_64; pass --python an interpreter they support, or add a "
        "wheel for this one (or its sdist) where pip looks"
    )


def test_unreachable_index_is_named(fake_pip: FakePip, tmp_path: Path) -> None:
    _fail(
        fake_pip,
        "Looking in indexes: https://pypi.example.org/simple",
        "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) "
        "after connection broken by 'NewConnectionError('<HTTPSConnection object at 0x7f>: "
        "Failed to establish a new connection: [Errno -2] Name or service not known')': "
        "/simple/nosuch/",
        "ERROR: Could not find a version that satisfies the requirement nosuch (from versions: "
        "none)",
        "ERROR: No matching distribution found for nosuch",
    )
    with pytest.raises(StagingError) as caught:
        _install(tmp_path, IndexOptions())
    assert str(caught.value) == (
        "pip could not reach the package index https://pypi.example.org/simple (Name or service "
        "not known) to install 'nosuch' and its dependencies: check the network and proxy "
        "settings, or build offline with --no-index --find-links DIR"
    )


def test_pips_exception_header_is_not_the_line(fake_pip: FakePip, tmp_path: Path) -> None:
    _fail(
        fake_pip,
        "ERROR: Exception:",
        "Traceback (most recent call last):",
        '  File "/pip/_internal/cli/base_command.py", line 180, in exc_logging_wrapper',
        "    status = run_func(*args)",
        "OSError: [Errno 28] No space left on device",
    )
    with pytest.raises(StagingError) as caught:
        _install(tmp_path)
    assert str(caught.value) == (
        "pip could not install 'nosuch' and its dependencies: OSError: [Errno 28] No space left "
        "on device; pip's last lines are above; -v shows all of its output"
    )


def test_installed_hashes_come_from_pips_report_without_its_paths(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    items = [
        {  # a wheel from a find-links directory (pip 23 and later: "hashes")
            "metadata": {"name": "Tally_Ho", "version": "1.0"},
            "download_info": {
                "url": "file:///w/t.whl",
                "archive_info": {"hashes": {"sha256": "a"}},
            },
        },
        {  # pip 22: only "hash"
            "metadata": {"name": "old", "version": "1.0"},
            "download_info": {"url": "file:///w/o.whl", "archive_info": {"hash": "sha256=b"}},
        },
        {  # a local directory: nothing to hash
            "metadata": {"name": "local", "version": "1.0"},
            "download_info": {"url": "file:///src/local", "dir_info": {}},
        },
    ]
    report.write_text(json.dumps({"version": "1", "install": items}))
    assert installed_hashes(report) == {"tally_ho": "a", "old": "b"}
    assert installed_hashes(tmp_path / "missing.json") == {}


def test_a_report_is_asked_for_when_the_request_names_one(
    fake_pip: FakePip, tmp_path: Path
) -> None:
    request = PipRequest(requirements=("x",), report=tmp_path / "r.json")
    install_into_directory(
        tmp_path / "t",
        request,
        python=sys.executable,
        index=OFFLINE,
        settings=ToolSettings(),
        what="x",
    )
    command = fake_pip.commands[-1]
    assert command[command.index("--report") + 1] == str(tmp_path / "r.json")


def test_from_inside_an_archive_pip_runs_through_its_runner_script(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pip as real_pip

    monkeypatch.setitem(sys.modules, PACKAGE_NAME, types.ModuleType(PACKAGE_NAME))
    runner = Path(real_pip.__file__).parent / "__pip-runner__.py"
    assert pip._pip("python3.12") == [sys.executable, str(runner), "--python", "python3.12"]
    # pip left inside the zip: no other process could run it.
    monkeypatch.setattr(real_pip, "__file__", str(tmp_path / "app.pyz" / "pip" / "__init__.py"))
    with pytest.raises(StagingError) as caught:
        pip._pip("python3.12")
    assert str(caught.value) == (
        "this archive of bundle carries pip inside the zip, where no other process can run it: "
        "rebuild it with --extract pip"
    )


def test_outside_an_archive_pip_runs_as_a_module() -> None:
    assert PACKAGE_NAME not in sys.modules
    assert pip._pip(sys.executable) == PIP


# ---------------------------------------------------------------- targets without an interpreter


def test_a_foreign_target_gets_its_wheels_and_its_markers(tmp_path: Path) -> None:
    house = foreign_target_wheels(tmp_path / "wheels")
    install_into_directory(
        tmp_path / "site",
        PipRequest(requirements=("native", "winner")),
        python=sys.executable,
        index=IndexOptions((str(house),), no_index=True),
        settings=ToolSettings(),
        what="the project's dependencies",
        foreign=ForeignTarget((3, 9), "win_amd64"),
    )
    site = tmp_path / "site"
    assert (site / "native.py").read_text() == "WHERE = 'win'\n"
    # The dependencies' markers were evaluated for CPython 3.9 on Windows, not for this one.
    installed = sorted(p.name.split("-")[0] for p in site.glob("*.dist-info"))
    assert installed == ["backport", "colour", "native", "winner"]


def test_no_wheel_for_a_foreign_target_names_it(tmp_path: Path) -> None:
    house = tmp_path / "wheels"
    write_wheel(house, "nosuch", "2.0", {"nosuch.py": ""}, tag="cp39-cp39-manylinux1_x86_64")
    with pytest.raises(StagingError) as caught:
        install_into_directory(
            tmp_path / "site",
            PipRequest(requirements=("nosuch",)),
            python=sys.executable,
            index=IndexOptions((str(house),), no_index=True),
            settings=ToolSettings(),
            what="the project's dependencies",
            foreign=ForeignTarget((3, 9), "macosx_11_0_arm64"),
        )
    assert str(caught.value) == (
        "pip could not install the project's dependencies: no wheel of nosuch for target "
        "cp39-macosx_11_0_arm64 (the wheels found, 2.0, are tagged "
        "cp39-cp39-manylinux1_x86_64); add one where pip looks, or drop that target"
    )


def test_from_inside_an_archive_a_foreign_target_imports_the_archives_pip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pip as real_pip

    monkeypatch.setitem(sys.modules, PACKAGE_NAME, types.ModuleType(PACKAGE_NAME))
    command = pip._foreign_pip(ForeignTarget((3, 9), "win_amd64"))
    assert command[:2] == [sys.executable, "-c"]
    assert command[-1] == str(Path(real_pip.__file__).parent.parent)
    # The wrapper really imports pip from there, before any other on the path: a directory
    # whose "pip" says where it is stands in for the archive's copy.
    fake = tmp_path / "extracted"
    (fake / "pip" / "_vendor" / "packaging").mkdir(parents=True)
    (fake / "pip" / "__init__.py").write_text("")
    (fake / "pip" / "_vendor" / "__init__.py").write_text("")
    (fake / "pip" / "_vendor" / "packaging" / "__init__.py").write_text("")
    (fake / "pip" / "_vendor" / "packaging" / "markers.py").write_text(
        "def default_environment():\n    return {}\n"
    )
    (fake / "pip" / "__main__.py").write_text(
        "import sys\nfrom pip._vendor.packaging import markers\n"
        "print(__file__, markers.default_environment()['sys_platform'], sys.argv[1:])\n"
    )
    result = subprocess.run(
        [*command[:-1], str(fake), "install", "x"], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        str(fake / "pip" / "__main__.py"),
        "win32",
        "['install',",
        "'x']",
    ]


def test_outside_an_archive_a_foreign_target_imports_this_pythons_pip() -> None:
    assert pip._foreign_pip(ForeignTarget((3, 9), "win_amd64"))[-1] == ""
