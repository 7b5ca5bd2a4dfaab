"""``python -m compat``: the same command as the ``compat`` console script.

The guard matters: multiprocessing's spawn start method imports this module again in each
child, as ``__mp_main__``, and the child must not run the command a second time.
"""

import sys

from compat.cli import main

if __name__ == "__main__":
    sys.exit(main())
