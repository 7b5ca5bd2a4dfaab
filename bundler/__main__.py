"""Allow ``python -m bundler`` as an alias of the ``bundle`` command."""

import sys

from bundler.cli import main

sys.exit(main())
