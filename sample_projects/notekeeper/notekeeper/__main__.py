"""Run notekeeper with `python -m notekeeper`."""

from notekeeper.cli import main

raise SystemExit(main())
