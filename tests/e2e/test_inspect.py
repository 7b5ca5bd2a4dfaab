"""``bundle inspect`` and ``--why`` on each sample project's archive, ``build --dry-run``
and ``--report``, the build's warning about stdlib modules some Pythons lack, and one line
for each archive inspect cannot read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import warnings
import zipfile
from pathlib import Path

import jsonschema
import pytest

from bundler.runtime import FORMAT_VERSION
from tests.conftest import (
    REPO,
    SAMPLES,
    assert_user_error,
    copy_project,
    leftovers,
    pyproject,
    run_bundle,
    write_project,
)

EPOCH = "1700000000"
RUNNING = ".".join(map(str, sys.version_info[:3]))
TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"
PLATFORM = sysconfig.get_platform().replace("-", "_").replace(".", "_")
MINOR = ".".join(map(str, sys.version_info[:2]))


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory, offline: tuple[str, ...]) -> dict[str, Path]:
    """Each sample built once, offline, at a fixed SOURCE_DATE_EPOCH."""
    out = tmp_path_factory.mktemp("inspected")
    built = {}
    for name in ("notekeeper", "wordstats", "srclayout", "compat"):
        project = copy_project(SAMPLES / name, out / name)
        result = run_bundle(
            "build", project, "-o", out / f"{name}.pyz", *offline, env={"SOURCE_DATE_EPOCH": EPOCH}
        )
        assert result.returncode == 0, result.stderr
        built[name] = out / f"{name}.pyz"
    return built


def _inspect(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_bundle("inspect", *args)


def test_inspect_says_what_the_wordstats_archive_holds(archives: dict[str, Path]) -> None:
    archive = archives["wordstats"]
    result = _inspect(archive)
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"wordstats 0.5.0 ({archive}, ")
    assert lines[0].endswith(f", format {FORMAT_VERSION})")
    assert lines[1:4] == [
        "  entry point      wordstats.__main__:main",
        "  requires-python  >=3.9 (runs on any Python 3.9+)",
        f"  resolved for     {TAG}-{PLATFORM}: CPython {MINOR} ({TAG}, {PLATFORM})",
    ]
    assert lines[4] == f"  built            2023-11-14T22:13:20Z (SOURCE_DATE_EPOCH={EPOCH})"
    assert lines[5].startswith("  content hash     ") and len(lines[5].split()[-1]) == 64
    assert lines[7] == "  modules          4 project, 16 third-party"
    names = [line.split()[:2] for line in lines[lines.index("distributions (4):") + 1 :][:4]]
    assert names == [
        ["inkwell", "1.4.0"],
        ["legacy-extras", "2.0"],
        ["tallyho", "0.9.2"],
        ["wordstats", "0.5.0"],
    ]
    packages = lines[lines.index("size by package (largest first):") + 1 :][:4]
    assert [line.split()[0] for line in packages] == [
        "inkwell",
        "tallyho",
        "wordstats",
        "legacy_extras",
    ]
    assert packages[0].endswith("(inkwell)")
    assert lines[-1] == "extracted at run time: nothing (everything is imported from the archive)"


def test_inspect_json_follows_its_schema_and_counts_kinds(archives: dict[str, Path]) -> None:
    schema = json.loads((REPO / "docs" / "schema" / "inspect-1.json").read_text())
    for name, archive in archives.items():
        result = _inspect(archive, "--json")
        assert result.returncode == 0, (name, result.stderr)
        document = json.loads(result.stdout)
        jsonschema.validate(document, schema)
        assert (document["kind"], document["schema_version"], document["ok"]) == (
            "inspect",
            1,
            True,
        )
        assert document["build"]["source_date_epoch"] == int(EPOCH)
        assert document["targets"][0]["abi"] == TAG
    srctool = json.loads(_inspect(archives["srclayout"], "--json").stdout)
    assert srctool["modules"]["by_kind"] == {"namespace": 2, "project": 5, "third-party": 2}
    assert [(d["name"], d["version"]) for d in srctool["distributions"]] == [
        ("nsplug-core", "1.0"),
        ("nsplug-extra", "1.0"),
        ("srctool", "0.3.0"),
    ]
    assert srctool["extracted"] == [
        {
            "package": "nsplug.core",
            "reason": "zip-unsafe: nsplug/core.py:51 a path next to __file__ is passed to "
            "pkgutil.iter_modules()",
            "size": srctool["extracted"][0]["size"],
            "forced": False,
        }
    ]


@pytest.mark.parametrize(
    ("sample", "module", "chain"),
    [
        (
            "notekeeper",
            "notekeeper.storage",
            [
                "notekeeper.cli: the entry point",
                "notekeeper.storage: imported at notekeeper/cli.py:13",
            ],
        ),
        (
            "wordstats",
            "tallyho.export",
            [
                "wordstats.__main__: the entry point",
                "tallyho: imported at wordstats/__main__.py:11",
                "tallyho.export: imported at tallyho/__init__.py:4",
            ],
        ),
        (
            "wordstats",
            "wordstats.counters",
            ["wordstats.counters: an entry point in group tallyho.counters of wordstats"],
        ),
        (
            "srclayout",
            "nsplug.extra",
            ["srctool.main: the entry point", "nsplug.extra: imported at srctool/main.py:9"],
        ),
        (
            "compat",
            "compat.subjects.late",
            [
                "compat.cli: the entry point",
                "compat.probes: imported at compat/cli.py:67",
                "compat.probes.imports: imported at compat/probes/__init__.py:4",
                "compat.subjects.late: named by the dotted string at compat/probes/imports.py:170",
            ],
        ),
    ],
)
def test_why_gives_the_chain_with_file_and_line(
    archives: dict[str, Path], sample: str, module: str, chain: list[str]
) -> None:
    archive = archives[sample]
    result = _inspect(archive, "--why", module)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"{module} is in {archive.name}:\n" + "".join(
        f"  {line}\n" for line in chain
    )


def test_why_json_holds_the_chain(archives: dict[str, Path]) -> None:
    result = _inspect(archives["wordstats"], "--why", "tallyho.export", "--json")
    why = json.loads(result.stdout)["why"]
    assert why["chain"][-1] == {
        "module": "tallyho.export",
        "rule": "import",
        "file": "tallyho/__init__.py",
        "line": 4,
        "detail": "",
    }


def test_why_of_what_is_not_inside_is_one_line(archives: dict[str, Path]) -> None:
    archive = archives["wordstats"]
    missed = _inspect(archive, "--why", "ujson")
    assert_user_error(
        missed,
        f"'ujson' is not in {archive.name}: tallyho.export imports it at line 8, but the build "
        "did not find it",
    )
    stdlib = _inspect(archive, "--why", "json")
    assert_user_error(
        stdlib, f"'json' is not in {archive.name}: it is part of the standard library"
    )


def test_sbom_stored_in_every_archive_is_printed(archives: dict[str, Path]) -> None:
    result = _inspect(archives["notekeeper"], "--sbom")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["bomFormat"] == "CycloneDX"
    assert document["metadata"]["component"]["purl"] == "pkg:pypi/notekeeper@1.2.0"


def test_dry_run_writes_nothing_and_says_what_would_go_in(
    tmp_path: Path, offline: tuple[str, ...]
) -> None:
    project = copy_project(SAMPLES / "srclayout", tmp_path / "srclayout")
    output = tmp_path / "new" / "app.pyz"
    result = run_bundle("build", project, "-o", output, "--dry-run", "--prune", *offline)
    assert result.returncode == 0, result.stderr
    assert not output.parent.exists()
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"would write {output}: srctool 0.3.0, entry srctool.main:run, ")
    assert lines[1:5] == [
        "would bundle 3 distributions:",
        "  nsplug_core-1.0",
        "  nsplug_extra-1.0",
        "  srctool-0.3.0",
    ]
    assert lines[5] == "would extract at run time:"
    assert lines[6].startswith("  nsplug.core (zip-unsafe: nsplug/core.py:51 ")
    assert lines[7:9] == ["would prune (--prune): nothing", "would run on: any Python 3.9+"]


def test_report_holds_what_inspect_json_says(tmp_path: Path, offline: tuple[str, ...]) -> None:
    project = copy_project(SAMPLES / "notekeeper", tmp_path / "notekeeper")
    archive, report = tmp_path / "app.pyz", tmp_path / "facts.json"
    result = run_bundle("build", project, "-o", archive, "--report", report, *offline)
    assert result.returncode == 0, result.stderr
    assert json.loads(report.read_text()) == json.loads(_inspect(archive, "--json").stdout)
    assert sorted(leftovers(tmp_path)) == ["app.pyz", "facts.json", "notekeeper"]


TOMLLIB_USER = {
    "demo/__init__.py": "",
    "demo/cli.py": "import tomllib\nimport sys\n\ndef main():\n    return 0\n",
    "demo/guarded.py": (
        "try:\n    import tomllib\nexcept ImportError:\n    tomllib = None\n"
        "if sys.version_info < (3, 12):\n    import asyncore\n"
    ),
}


def test_build_warns_of_stdlib_modules_part_of_the_range_lacks(tmp_path: Path) -> None:
    files = {
        **TOMLLIB_USER,
        "demo/cli.py": "import sys\nimport tomllib\nimport demo.guarded\n\ndef main():\n"
        "    import imp\n    return 0\n",
        "pyproject.toml": pyproject(
            scripts={"demo": "demo.cli:main"}, extra="", dependencies=()
        ).replace('version = "1.0"', 'version = "1.0"\nrequires-python = ">=3.9"'),
    }
    project = write_project(tmp_path / "demo", files)
    result = run_bundle("build", project, "-o", tmp_path / "app.pyz", "--no-install")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "does not exist on Python" in line]
    guard = (
        "guard the import (try/except ImportError, or a sys.version_info test) or narrow "
        "requires-python"
    )
    assert warnings == [
        "bundle: warning: 'imp' (imported by demo.cli, line 6) does not exist on Python 3.12+ "
        f"(removed in 3.12), which requires-python allows; {guard}",
        "bundle: warning: 'tomllib' (imported by demo.cli, line 2) does not exist on Python "
        f"3.9-3.10 (added in 3.11), which requires-python allows; {guard}",
    ]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory, archives: dict[str, Path]) -> Path:
    where = tmp_path_factory.mktemp("bad")
    (where / "notes.txt").write_text("not an archive\n")
    data = archives["notekeeper"].read_bytes()
    (where / "truncated.pyz").write_bytes(data[: len(data) // 2])
    with zipfile.ZipFile(where / "plain.zip", "w") as plain:
        plain.writestr("hello.txt", "hi")
    future = where / "future.pyz"
    shutil.copy(archives["notekeeper"], future)
    with zipfile.ZipFile(future, "a") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the second manifest is the one readers find
        # A later format whose manifest has another shape: the newest reader must say so.
        archive.writestr(".bundle/manifest.json", json.dumps({"format": 99, "application": {}}))
    (where / "folder.pyz").mkdir()
    return where


@pytest.mark.parametrize("command", ["inspect", "check"])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("notes.txt", "{path} is not a zip archive; name an archive that bundle build wrote"),
        (
            "truncated.pyz",
            "{path} is truncated or damaged (its zip directory is missing); rebuild or "
            "re-download it",
        ),
        (
            "plain.zip",
            "{path} is a zip archive, but not one that bundle build wrote (it has no "
            ".bundle/manifest.json)",
        ),
        (
            "future.pyz",
            "{path} uses archive format 99, newer than this bundle reads (up to "
            f"{FORMAT_VERSION}); upgrade "
            "bundler to inspect it",
        ),
        ("folder.pyz", "{path} is a directory, not an archive; name the .pyz file"),
        ("missing.pyz", "{path} does not exist; name an archive that bundle build wrote"),
    ],
)
def test_an_archive_that_cannot_be_read_is_one_line(
    bad_inputs: Path, command: str, name: str, message: str
) -> None:
    path = bad_inputs / name
    result = run_bundle(command, path)
    assert_user_error(result, message.format(path=path), status=2)
    assert result.stdout == ""
