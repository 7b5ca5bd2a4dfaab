"""``--why``: the chain from the root, or the rule, or one line when the module is not in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundler.errors import AbsentError
from bundler.inspection.reading import read_archive
from bundler.inspection.why import Link, explain, why_document
from tests.inspection.views import manifest, write_archive


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return write_archive(tmp_path / "app.pyz")


def test_the_chain_starts_at_the_entry_point(archive: Path) -> None:
    chain = explain(read_archive(archive), "dep.core")
    assert chain == [
        Link("app.cli", "entry point"),
        Link("dep", "import", "app/cli.py", 1),
        Link("dep.core", "import", "dep/__init__.py", 1),
    ]
    assert [link.describe() for link in chain] == [
        "app.cli: the entry point",
        "dep: imported at app/cli.py:1",
        "dep.core: imported at dep/__init__.py:1",
    ]
    assert why_document(chain)["chain"][1] == {
        "module": "dep",
        "rule": "import",
        "file": "app/cli.py",
        "line": 1,
        "detail": "",
    }


def test_an_entry_point_group_is_the_rule(archive: Path) -> None:
    (link,) = explain(read_archive(archive), "dep.plugin")
    assert link.describe() == "dep.plugin: an entry point in group dep.plugins of dep"


def test_a_module_no_import_reached_names_its_distribution_and_who_requires_it(
    archive: Path,
) -> None:
    (link,) = explain(read_archive(archive), "extra_tool")
    assert link.describe() == (
        "extra_tool: no import reaches it; its distribution extra-tool goes in whole "
        "(installed for the build (--with, -r or an extra))"
    )


def test_a_module_that_is_not_inside_is_one_line(archive: Path) -> None:
    with pytest.raises(AbsentError) as missed:
        explain(read_archive(archive), "fastjson")
    assert str(missed.value) == (
        "'fastjson' is not in app.pyz: dep.core imports it at line 3, but the build did not find it"
    )
    with pytest.raises(AbsentError, match="it is part of the standard library"):
        explain(read_archive(archive), "json.decoder")
    with pytest.raises(AbsentError, match="bundle inspect lists what is"):
        explain(read_archive(archive), "nowhere")


def test_an_archive_that_recorded_no_reasons_says_so(tmp_path: Path) -> None:
    old = {k: v for k, v in manifest(format=4).items() if k != "resolution"}
    archive = write_archive(tmp_path / "old.pyz", old)
    with pytest.raises(AbsentError) as caught:
        explain(read_archive(archive), "dep")
    assert str(caught.value) == (
        "old.pyz was built by bundler 0.1.0, which did not record why modules are in; rebuild "
        "it with this bundler to ask --why"
    )
