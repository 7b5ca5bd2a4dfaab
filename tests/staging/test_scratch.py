"""The build's scratch directory: removed when the build ends, and swept by the next build
when the one that made it was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bundler.staging.scratch import scratch_directory


def test_scratch_is_private_and_removed_however_the_block_ends(tmp_path: Path) -> None:
    with scratch_directory(tmp_path) as scratch:
        assert scratch.parent == tmp_path
        assert scratch.stat().st_mode & 0o777 == 0o700
        (scratch / "pip-build").mkdir()
    assert os.listdir(tmp_path) == []
    with pytest.raises(RuntimeError), scratch_directory(tmp_path) as scratch:
        raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_a_killed_builds_scratch_is_swept_but_a_live_one_is_kept(tmp_path: Path) -> None:
    holder = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from bundler.staging.scratch import scratch_directory\n"
        "with scratch_directory(Path(sys.argv[1])) as scratch:\n"
        "    (scratch / 'left').write_text('x')\n"
        "    print(scratch, flush=True)\n"
        "    time.sleep(600)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    theirs = Path(process.stdout.readline().strip())
    with scratch_directory(tmp_path) as mine:
        assert theirs.is_dir()  # alive: kept
        assert mine != theirs
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(0.1)
    with scratch_directory(tmp_path):
        assert not theirs.exists()
    assert os.listdir(tmp_path) == []
