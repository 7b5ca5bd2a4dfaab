"""Run as ``__mp_main__`` in multiprocessing children: make the archive importable again.

It installs the finder and returns; the app's entry point never runs in a child.
"""

import os

from . import MAIN_MEMBER, install_runtime_finder

install_runtime_finder()

from .bootstrap import run  # noqa: E402 - after the runtime finder is in place

run("__mp_main__", os.path.join(os.path.dirname(os.path.dirname(__file__)), MAIN_MEMBER))
