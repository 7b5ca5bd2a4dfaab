"""Bundled shared libraries (auditwheel's ``<dist>.libs``): an archive extracts the ones
that the extension modules it imports load, the same the dynamic loader maps in a
virtualenv, and nothing that the app's run does not load.

Pillow's wheel carries 18 libraries in ``pillow.libs``: its core links libjpeg, libtiff,
libopenjp2, libxcb (and what those link), its font module freetype and harfbuzz, its
AVIF and WebP plugins their codecs, its colour management lcms2. Which ones a process
maps is read from ``/proc/self/maps``, in the virtualenv and from the archive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Runner, pyproject, run_bundle, venv_with, write_project
from tests.helpers.downloads import download_wheels
from tests.helpers.pythons import clean_env
from tests.helpers.shared import create_once, shared_directory

pytestmark = [
    pytest.mark.ecosystem,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/maps"),
]

REQUIREMENTS = ("pillow==12.3.0",)

PROBE = '''\
"""Draws, saves and reads back images in the formats named; prints the pixels and the
bundled libraries this process has mapped."""

import io
import json
import os
import sys


def mapped():
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps}
    folder = os.path.basename
    return sorted(folder(p) for p in paths if folder(os.path.dirname(p)) == "pillow.libs")


def main():
    from PIL import Image

    image = Image.new("RGB", (32, 24), (10, 20, 30))
    image.paste((200, 100, 50), (4, 4, 20, 16))
    found = {}
    for form in sys.argv[1:]:
        if form == "text":
            from PIL import ImageDraw, ImageFont

            ImageDraw.Draw(image).text((1, 1), "hi", font=ImageFont.load_default(size=10))
            found[form] = image.getbbox()
            continue
        buffer = io.BytesIO()
        image.save(buffer, form)
        buffer.seek(0)
        back = Image.open(buffer)
        back.load()
        found[form] = [back.size, back.mode, back.getpixel((8, 8))]
    print(json.dumps({"found": found, "mapped": mapped()}, sort_keys=True))
'''


@pytest.fixture(scope="module")
def pillow_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels = download_wheels("native-libraries", REQUIREMENTS)
    shared = shared_directory(tmp_path_factory, "native-libraries")
    return (
        create_once(shared, "venv", lambda t: venv_with(t, wheels, *REQUIREMENTS))
        / "bin"
        / "python"
    )


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory, pillow_python: Path) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("libraries-probe")
    project = write_project(
        root / "project",
        {
            "pyproject.toml": pyproject("libprobe", scripts={"libprobe": "libprobe:main"}),
            "libprobe.py": PROBE,
        },
    )
    archive = root / "probe.pyz"
    result = run_bundle("build", project, "-o", archive, "--no-install", "--python", pillow_python)
    assert result.returncode == 0, result.stderr
    return project, archive


@pytest.mark.parametrize("forms", [["PNG"], ["PNG", "JPEG", "TIFF"], ["PNG", "text"]])
def test_extracts_the_libraries_the_loader_maps_in_a_virtualenv(
    forms: list[str],
    probe: tuple[Path, Path],
    pillow_python: Path,
    run_app: Runner,
    tmp_path: Path,
) -> None:
    project, archive = probe
    expected = subprocess.run(
        [str(pillow_python), "-c", "import libprobe; libprobe.main()", *forms],
        capture_output=True,
        text=True,
        cwd=project,
        env=clean_env(),
        timeout=300,
    )
    assert expected.returncode == 0, expected.stderr
    cache = tmp_path / "cache"
    result = run_app(archive, *forms, env={"BUNDLER_CACHE": str(cache)})
    assert (result.returncode, result.stdout) == (0, expected.stdout), result.stderr
    loaded = json.loads(expected.stdout)["mapped"]
    (app,) = (cache / "apps").iterdir()
    extracted = sorted(p.name for p in (app / "site" / "pillow.libs").iterdir())
    assert extracted == loaded
    installed = (
        pillow_python.parent.parent / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    )
    available = sorted(p.name for p in (installed / "site-packages" / "pillow.libs").iterdir())
    assert len(extracted) < len(available)  # the rest stays in the archive
