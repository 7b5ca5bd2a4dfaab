"""What pip left, made fit for an archive (no direct_url.json naming this machine's paths),
and a lock checked against what the project needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from bundler.errors import LockError
from bundler.staging.installed import check_locked, tidy_installed
from tests.helpers.environments import install_distribution


def _direct_url(dist_info: Path, url: str) -> None:
    (dist_info / "direct_url.json").write_text(json.dumps({"url": url, "dir_info": {}}))
    record = dist_info / "RECORD"
    lines = record.read_text().splitlines(keepends=True)
    row = f"{dist_info.name}/direct_url.json,sha256=abc,42\r\n"
    record.write_text("".join([*lines[:-1], row, lines[-1]]))


def test_local_direct_urls_are_dropped_with_their_record_row(tmp_path: Path) -> None:
    site = tmp_path / "site"
    local = install_distribution(site, "demo", {"demo.py": ""})
    remote = install_distribution(site, "fromgit", {"fromgit.py": ""})
    _direct_url(local, (tmp_path / "cache" / "demo-1.0-py3-none-any.whl").as_uri())
    _direct_url(remote, "https://example.org/fromgit.git")
    before = (local / "RECORD").read_bytes()
    assert tidy_installed(site) == [tmp_path / "cache" / "demo-1.0-py3-none-any.whl"]
    assert not (local / "direct_url.json").exists()
    assert (local / "RECORD").read_bytes() == before.replace(
        b"demo-1.0.dist-info/direct_url.json,sha256=abc,42\r\n", b""
    )
    assert (remote / "direct_url.json").exists()
    assert tidy_installed(site) == []


def test_a_lock_that_lacks_or_misses_a_requirement_is_named(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_distribution(site, "inkwell", version="1.4.0")
    check_locked(site, [(Requirement("inkwell>=1"), "the project")], "requirements.lock")
    with pytest.raises(LockError) as caught:
        check_locked(site, [(Requirement("inkwell>=2"), "the project")], "requirements.lock")
    assert str(caught.value) == (
        "requirements.lock does not provide inkwell>=2, which the project requires (it pins "
        "1.4.0): add it to the lock with its hashes, or build without the lock"
    )
    with pytest.raises(LockError, match="does not provide tallyho, which --with requires: "):
        check_locked(site, [(Requirement("tallyho"), "--with")], "pylock.toml")
