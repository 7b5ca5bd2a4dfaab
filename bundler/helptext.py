"""The words of ``bundle --help``: descriptions, examples, configuration keys, environment
variables and exit statuses. Kept apart from ``cli.py`` so the parser reads as code."""

from __future__ import annotations

from textwrap import fill

__all__ = [
    "BUILD_DESCRIPTION",
    "BUILD_EPILOG",
    "CACHE_DESCRIPTION",
    "CACHE_EPILOG",
    "EXIT_STATUSES",
    "MAIN_DESCRIPTION",
    "MAIN_EPILOG",
]

EXIT_STATUSES = """\
exit statuses:
  0    success
  1    the build or a check failed (pip, the build backend, --strict, the output, the cache)
  2    usage or input error (the command line, pyproject.toml, the entry point)
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM)"""

_ENVIRONMENT = """\
environment variables:
  BUNDLER_CACHE        the per-user cache of archives and builds (default ~/.cache/bundler)
  BUNDLER_BUILD_CACHE  where builds keep wheels, installs, build environments, bytecode
  BUNDLER_TIMEOUT      seconds one run of pip or of a build hook may take (0: no limit)
  BUNDLER_TRACEBACK    full: an archive's tracebacks show the runtime's frames too
  BUNDLER_PYTHON       the Python that ./app.pyz runs with (default: found on PATH)
  BUNDLER_DEBUG=1      like --debug
  CI                   any value: plain progress lines, never rewritten in place
  NO_COLOR             any value: no colour
  SOURCE_DATE_EPOCH    the timestamp stored in the archive (reproducible builds)
  PIP_*                pip's own settings apply to the installs (index, proxies, ...)"""

MAIN_DESCRIPTION = fill(
    "Turn a Python project into one self-contained zip application: "
    "`bundle build myproj -o app.pyz`, then `python app.pyz` runs it on any machine with "
    "Python 3.9 to 3.13, every dependency inside the archive.",
    width=88,
)

MAIN_EPILOG = f"""\
examples:
  bundle build -o app.pyz                        the project in this directory
  bundle build --with 'black==26.10.1' -c black -o black.pyz
  bundle cache --prune --older-than 30

`bundle COMMAND --help` says more about each command.

{EXIT_STATUSES}"""

BUILD_DESCRIPTION = fill(
    "Build the project's wheel with its own build backend, install it and its dependencies "
    "with pip into a cached staging directory for the target Python, follow the imports from "
    "the entry point, and write one archive. Settings come from [tool.bundle] in "
    "pyproject.toml; flags override them (list flags add to them). The archive's path is "
    "printed on stdout, everything else on stderr.",
    width=88,
)

BUILD_EPILOG = f"""\
examples:
  bundle build -o dist/app.pyz                   the project here; its only script runs
  bundle build ~/src/tool -c tool-admin -o admin.pyz --python 3.12
  bundle build --no-index --find-links wheels/ -o app.pyz --json > build.json

[tool.bundle] keys (pyproject.toml; flags of the same name override them):
  entry = "pkg.cli:main"     script = "name"          output = "dist/app.pyz"
  python = "3.12"            shebang = "/usr/bin/env python3"
  include = ["pkg.plugin"]   exclude = ["pkg.tests"]  ignore-missing = ["win32api"]
  strict = false             inherit-path = false     compile = true
  with = ["extra-dist"]      requirements = ["req.txt"]  constraints = ["pins.txt"]
  find-links = ["wheels"]    no-index = false         build-isolation = true
  install = true             extract = ["pkg.data"]   zip-safe = ["pkg"]
  prune = false              extras = ["cli"]         timeout = 1800

{_ENVIRONMENT}

{EXIT_STATUSES}"""

CACHE_DESCRIPTION = fill(
    "Show, prune or clear every cache bundler keeps: what archives extracted at run time "
    "(apps), the projects' built wheels (wheels), pip's installs for builds (staging) and "
    "compiled bytecode (bytecode), with sizes and last use. Only bundler's own entries are "
    "touched, never through a symlink; an entry a running build uses is kept.",
    width=88,
)

CACHE_EPILOG = f"""\
examples:
  bundle cache                                   every entry, its size and last use
  bundle cache --prune --older-than 30           what nothing used for 30 days
  bundle cache --clear --area staging --json     all staging directories; a JSON report

{_ENVIRONMENT}

{EXIT_STATUSES}"""
