"""Run as ``__mp_main__`` in multiprocessing children: make the archive importable again.

It installs the finder and returns; the app's entry point never runs in a child.
"""

import os

from . import MAIN_MEMBER, use_cached_bytecode

use_cached_bytecode()

from .bootstrap import run  # noqa: E402 - after the cached-bytecode finder is in place

run("__mp_main__", os.path.join(os.path.dirname(os.path.dirname(__file__)), MAIN_MEMBER))
