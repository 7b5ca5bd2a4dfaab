"""Real packages with native code or files read next to ``__file__``, from the archive.

Each check runs the same code twice, in a virtualenv where the wheels are installed and
from an archive run by an interpreter that has none of them, and the outputs must match.
The code also reports whether the compiled module was really loaded, so a silent fallback
to pure Python (MarkupSafe and PyYAML have one) cannot pass for success.

Until the staging work (issue 3) builds them from wheels, the archives are built with
``--no-install`` against that virtualenv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import (
    Runner,
    assert_app_error,
    pyproject,
    run_bundle,
    venv_with,
    write_project,
)
from tests.helpers.downloads import download_wheels
from tests.helpers.pythons import clean_env, find_python, python_version
from tests.helpers.shared import create_once, shared_directory

pytestmark = pytest.mark.ecosystem

REQUIREMENTS = (
    "PyYAML==6.0.4",
    "MarkupSafe==3.0.4",
    "charset-normalizer==3.5.3",
    "orjson==3.13.0",
    "numpy==2.4.6",
    "babel==2.18.0",
    "black==26.10.1",
)

PROBE = '''\
"""One check per command-line argument; prints results that must not depend on where the
packages are installed."""

import json
import os
import sys


def compiled(module):
    """Loaded from a real extension file, not a pure-Python fallback."""
    import importlib.machinery

    path = getattr(module, "__file__", "") or ""
    return path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)) and os.path.isfile(path)


def check_yaml():
    import yaml

    document = "name: demo\\nitems: [1, 2.5, null, true]\\nnested: {a: [x, y]}\\n"
    data = yaml.load(document, Loader=yaml.CSafeLoader)
    text = yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=True)
    return {"data": data, "dump": text, "compiled": compiled(yaml._yaml)}


def check_markupsafe():
    import markupsafe

    markup = markupsafe.Markup("<em>{}</em>").format("<script>&")
    return {
        "escaped": str(markupsafe.escape("<a href='x'>&</a>")),
        "markup": str(markup),
        "striptags": markupsafe.Markup("<p>Hello <b>World</b></p>").striptags(),
        "compiled": compiled(sys.modules["markupsafe._speedups"]),
    }


def check_orjson():
    import orjson

    value = {"b": [1, 2.5, None, True], "a": {"nested": "é"}, "n": 2**53}
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    return {"dumped": text.decode(), "round_trip": orjson.loads(text) == value,
            "compiled": compiled(orjson.orjson)}


def check_charset_normalizer():
    import charset_normalizer
    from charset_normalizer import cd, md

    samples = {
        "utf8": "Überprüfung der Größe: schön, Straße, Käse.".encode("utf-8"),
        "cp1251": "Съешь же ещё этих мягких французских булок, да выпей чаю.".encode("cp1251"),
        "shift_jis": "日本語のテキストを検出できますか。これはテストです。".encode("shift_jis"),
    }
    found = {name: str(charset_normalizer.from_bytes(data).best().encoding)
             for name, data in samples.items()}
    return {"found": found, "compiled": [compiled(md), compiled(cd)]}


def check_numpy():
    import numpy as np

    matrix = np.array([[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 5.0]])
    solved = np.linalg.solve(matrix, np.array([1.0, 2.0, 3.0]))
    rng = np.random.default_rng(12345)
    spectrum = np.fft.rfft(np.arange(8.0))
    return {
        "solve": np.round(solved, 10).tolist(),
        "det": round(float(np.linalg.det(matrix)), 10),
        "eigvals": np.round(np.linalg.eigvalsh(matrix), 10).tolist(),
        "random": rng.integers(0, 1000, size=5).tolist(),
        "fft": np.round(np.abs(spectrum), 10).tolist(),
        "compiled": compiled(np._core._multiarray_umath),
    }


def check_babel():
    import datetime

    import babel
    from babel import Locale, dates, numbers

    moment = datetime.date(2024, 2, 29)
    return {
        "fr": Locale("fr").display_name,
        "territory": Locale.parse("de_DE").territories["FR"],
        "date": dates.format_date(moment, format="full", locale="es"),
        "currency": numbers.format_currency(1234.5, "EUR", locale="de_DE"),
        "locales": len(babel.localedata.locale_identifiers()) > 500,
        "real_file": os.path.isfile(babel.__file__),
    }


def main():
    results = {name: globals()[f"check_{name}"]() for name in sys.argv[1:]}
    print(json.dumps(results, sort_keys=True, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
'''

CHECKS = ["yaml", "markupsafe", "orjson", "charset_normalizer", "numpy", "babel"]
# What each check reports when the compiled module, or the real file, was used.
LOADED_FOR_REAL = {
    "yaml": {"compiled": True},
    "markupsafe": {"compiled": True},
    "orjson": {"compiled": True},
    "charset_normalizer": {"compiled": [True, True]},
    "numpy": {"compiled": True},
    "babel": {"real_file": True},
}

BLACK_INPUT = "x = {  'a':37,'b':42,\n'c':927}\ndef f(a,):\n  return a\n"
ENCODED_TEXTS = {
    "french.txt": ("Voilà un texte: déjà vu, garçon, très élevé, où êtes-vous?\n", "latin-1"),
    "russian.txt": ("Съешь же ещё этих мягких французских булок, да выпей чаю.\n", "cp1251"),
    "japanese.txt": ("日本語のテキストを検出できますか。これはテストです。\n", "shift_jis"),
}


@pytest.fixture(scope="module")
def packages_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the packages installed offline from wheels downloaded once."""
    wheels = download_wheels("native-packages", REQUIREMENTS)

    def create(target: Path) -> None:
        venv_with(target, wheels, *REQUIREMENTS)

    shared = shared_directory(tmp_path_factory, "native-packages")
    return create_once(shared, "venv", create) / "bin" / "python"


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory, packages_python: Path) -> tuple[Path, Path]:
    """The probe project, and its archive built against the virtualenv."""
    root = tmp_path_factory.mktemp("native-probe")
    project = write_project(
        root / "project",
        {
            "pyproject.toml": pyproject("nativeprobe", scripts={"nativeprobe": "nativeprobe:main"}),
            "nativeprobe.py": PROBE,
        },
    )
    archive = root / "probe.pyz"
    _build(archive, project, "--python", packages_python)
    return project, archive


@pytest.mark.parametrize("check", CHECKS)
def test_same_result_as_in_a_virtualenv(
    check: str,
    probe: tuple[Path, Path],
    packages_python: Path,
    run_app: Runner,
    tmp_path: Path,
) -> None:
    project, archive = probe
    expected = _in_virtualenv([packages_python, "-m", "nativeprobe", check], cwd=project)
    result = run_app(archive, check, env={"BUNDLER_CACHE": str(tmp_path / "cache")})
    assert (result.returncode, result.stdout) == (0, expected), result.stderr
    report = json.loads(result.stdout)[check]
    assert {key: report[key] for key in LOADED_FOR_REAL[check]} == LOADED_FOR_REAL[check]


def test_numpy_loads_its_bundled_libraries_from_the_cache(
    probe: tuple[Path, Path], packages_python: Path, run_app: Runner, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    result = run_app(probe[1], "numpy", env={"BUNDLER_CACHE": str(cache)})
    assert result.returncode == 0, result.stderr
    (app,) = (cache / "apps").iterdir()
    # All of the libraries that the wheel bundles (OpenBLAS, gfortran), as pip installed them.
    installed = _site_packages(packages_python) / "numpy.libs"
    assert _names(app / "site" / "numpy.libs") == _names(installed)
    # Only what numpy imported is on disk: not its tests, not the other packages.
    assert not (app / "site" / "numpy" / "_core" / "tests").exists()
    assert sorted(p.name for p in (app / "site").iterdir()) == ["numpy", "numpy.libs"]


def test_numpy_on_another_python_stops_with_one_line(
    probe: tuple[Path, Path], packages_python: Path, run_app: Runner, tmp_path: Path
) -> None:
    minor = next(minor for minor in ("3.12", "3.13", "3.10") if minor != _running())
    other = find_python(minor)
    if other is None:
        pytest.skip("no other Python installed")
    result = run_app(probe[1], "numpy", python=other, env={"BUNDLER_CACHE": str(tmp_path)})
    # The message names the first of the tags of the wheel that pip installed. The start
    # checks the Pythons the archive runs on: numpy's compiled core has no fallback.
    [dist_info] = _site_packages(packages_python).glob("numpy-*.dist-info")
    first_tag = _wheel_tags(dist_info / "WHEEL")[0]
    running = ".".join(map(str, sys.version_info[:2]))
    built_for = f"CPython {running} on {sys.platform} {os.uname().machine} ({first_tag})"
    assert_app_error(
        result,
        probe[1],
        f"nativeprobe cannot run on Python {python_version(other)} ({other}): numpy 2.4.6 has "
        f"native code (numpy._core._multiarray_umath) built for {built_for}; it runs on "
        f"Python =={running}.*",
    )


def test_normalizer_cli_of_the_mypyc_build(
    packages_python: Path, run_app: Runner, tmp_path: Path
) -> None:
    archive = tmp_path / "normalizer.pyz"
    _build(archive, None, "--python", packages_python, "-c", "normalizer", cwd=tmp_path)
    for name, (text, encoding) in ENCODED_TEXTS.items():
        (tmp_path / name).write_bytes(text.encode(encoding))
    files = sorted(ENCODED_TEXTS)
    expected = _in_virtualenv([packages_python.parent / "normalizer", *files], cwd=tmp_path)
    env = {"BUNDLER_CACHE": str(tmp_path / "cache")}
    result = run_app(archive, *files, cwd=tmp_path, env=env)
    assert (result.returncode, result.stdout) == (0, expected), result.stderr
    found = {Path(entry["path"]).name: entry["encoding"] for entry in json.loads(expected)}
    assert found == {"french.txt": "cp1257", "japanese.txt": "cp932", "russian.txt": "cp1251"}
    site = next((tmp_path / "cache" / "apps").iterdir()) / "site" / "charset_normalizer"
    assert sorted(p.name.split(".")[0] for p in site.glob("*.so")) == ["cd", "md"]
    # Its Python modules import from the archive; only the package's __init__.py is on disk
    # beside an extracted subpackage, for tools that map extracted files to module names.
    assert [p.name for p in site.glob("*.py")] in ([], ["__init__.py"])


def test_black_with_its_shared_mypyc_module(
    packages_python: Path, run_app: Runner, tmp_path: Path
) -> None:
    archive = tmp_path / "black.pyz"
    _build(archive, None, "--python", packages_python, "-c", "black", cwd=tmp_path)
    expected = _in_virtualenv([packages_python.parent / "black", "-q", "-"], stdin=BLACK_INPUT)
    cache = tmp_path / "cache"
    result = run_app(archive, "-q", "-", stdin=BLACK_INPUT, env={"BUNDLER_CACHE": str(cache)})
    assert (result.returncode, result.stdout) == (0, expected), result.stderr
    site = next((cache / "apps").iterdir()) / "site"
    # The shared mypyc modules that pip installed, black's and that of pytokens (which black
    # imports), are the ones extracted.
    installed = sorted(p.name for p in _site_packages(packages_python).glob("*__mypyc*"))
    assert len(installed) == 2
    assert sorted(p.name for p in site.glob("*__mypyc*")) == installed


def _build(
    archive: Path, project: Path | None, *options: str | Path, cwd: Path | None = None
) -> None:
    where = [project] if project is not None else []
    result = run_bundle("build", *where, "-o", archive, "--no-install", *options, cwd=cwd)
    assert result.returncode == 0, result.stderr


def _running() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _in_virtualenv(
    command: list[str | Path], *, cwd: Path | None = None, stdin: str | None = None
) -> str:
    """What ``command``, run from the packages' virtualenv, prints; it must succeed."""
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=cwd,
        env=clean_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _site_packages(python: Path) -> Path:
    """The site-packages directory of the virtualenv whose interpreter is ``python``."""
    return python.parent.parent / "lib" / f"python{_running()}" / "site-packages"


def _names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def _wheel_tags(wheel_file: Path) -> list[str]:
    """The tags that a WHEEL file lists, sorted."""
    lines = wheel_file.read_text().splitlines()
    return sorted(line[len("Tag: ") :] for line in lines if line.startswith("Tag: "))
