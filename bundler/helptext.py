"""The words of ``bundle --help``: descriptions, examples, configuration keys, environment
variables and exit statuses. Kept apart from ``cli.py`` so the parser reads as code."""

from __future__ import annotations

from textwrap import fill

__all__ = [
    "BUILD_DESCRIPTION",
    "BUILD_EPILOG",
    "CACHE_DESCRIPTION",
    "CACHE_EPILOG",
    "CHECK_DESCRIPTION",
    "CHECK_EPILOG",
    "EXIT_STATUSES",
    "INSPECT_DESCRIPTION",
    "INSPECT_EPILOG",
    "MAIN_DESCRIPTION",
    "MAIN_EPILOG",
]

EXIT_STATUSES = """\
exit statuses:
  0    success
  1    the build or a check failed (pip, the build backend, --strict, the output, the cache)
  2    usage or input error (the command line, pyproject.toml, the entry point,
       an archive bundle inspect or check cannot read)
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM)"""

_ENVIRONMENT = """\
environment variables:
  BUNDLER_CACHE        the per-user cache of archives and builds (default ~/.cache/bundler)
  BUNDLER_BUILD_CACHE  where builds keep wheels, installs, build environments, bytecode
  BUNDLER_TIMEOUT      seconds one run of pip or of a build hook may take (0: no limit)
  BUNDLER_INSTALLER    pip or uv: what installs (--installer wins; default: uv if
                       importable and pip is not configured (PIP_*, pip.conf), else pip)
  BUNDLER_TRACEBACK    full: an archive's tracebacks show the runtime's frames too
  BUNDLER_PYTHON       the Python that ./app.pyz runs with (default: found on PATH)
  BUNDLER_DEBUG=1      like --debug
  CI                   any value: plain progress lines, never rewritten in place
  NO_COLOR             any value: no colour
  SOURCE_DATE_EPOCH    the time stored in the archive and its SBOM (unset: 1980-01-01 00:00)
  PIP_*, UV_*          pip's or uv's own settings apply to the installs (index, proxies, ...)"""

INSTALLER_HELP = (
    "what installs the project and its dependencies: uv (the default where the uv "
    "distribution is importable and pip is not configured) or pip; the archive is the same"
)

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
  bundle inspect app.pyz --why yaml              why a module is in the archive
  bundle check app.pyz -- --help                 import everything, then run the app

`bundle COMMAND --help` says more about each command.

{EXIT_STATUSES}"""

BUILD_DESCRIPTION = fill(
    "Build the project's wheel with its own build backend, install it and its dependencies "
    "with uv or pip into a cached staging directory for the target Python, follow the imports "
    "from the entry point, and write one archive. Settings come from [tool.bundle] in "
    "pyproject.toml; flags override them (list flags add to them). The archive's path is "
    "printed on stdout, everything else on stderr.",
    width=88,
)

BUILD_EPILOG = f"""\
examples:
  bundle build -o dist/app.pyz                   the project here; its only script runs
  bundle build ~/src/tool -c tool-admin -o admin.pyz --python 3.12
  bundle build --no-index --find-links wheels/ -o app.pyz --json > build.json
  bundle build --python 3.12 --python 3.13 -o app.pyz   one archive for both Pythons
  bundle build --target-python 3.12 --platform win_amd64 --platform macosx_11_0_arm64 -o app.pyz

[tool.bundle] keys (pyproject.toml; flags of the same name override them):
  entry = "pkg.cli:main"     script = "name"          output = "dist/app.pyz"
  python = "3.12"            shebang = "/usr/bin/env python3"
  include = ["pkg.plugin"]   exclude = ["pkg.tests"]  ignore-missing = ["win32api"]
  strict = false             inherit-path = false     compile = true
  with = ["extra-dist"]      requirements = ["req.txt"]  constraints = ["pins.txt"]
  find-links = ["wheels"]    no-index = false         build-isolation = true
  install = true             extract = ["pkg.data"]   zip-safe = ["pkg"]
  prune = false              extras = ["cli"]         timeout = 1800
  bytecode = "imported"      sources = "packed"       installer = "uv"
  check-skip = ["pkg.win32"] (stored in the archive: modules bundle check does not import)
  targets = ["3.12", "3.12/manylinux_2_28_aarch64", "cp312-win_amd64"]

{_ENVIRONMENT}

{EXIT_STATUSES}"""

CACHE_DESCRIPTION = fill(
    "Show, prune or clear every cache bundler keeps: what archives extracted at run time "
    "(apps), the projects' built wheels (wheels), pip's or uv's installs for builds (staging) "
    "and compiled bytecode (bytecode), with sizes and last use. Only bundler's own entries are "
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

# -- bundle inspect and bundle check (issue 12) -------------------------------------------

INSPECT_DESCRIPTION = fill(
    "Show what an archive built by bundle holds: name, version, entry point, requires-python, "
    "the environment its dependencies were resolved for, build time (SOURCE_DATE_EPOCH), "
    "content hash and the bundler that built it; each distribution with its version, license "
    "and size; size by package, largest first; what is extracted at run time and why. "
    "--why MODULE prints the chain of imports (file:line) or the rule that brought MODULE in.",
    width=88,
)

INSPECT_EPILOG = f"""\
examples:
  bundle inspect app.pyz                         what is inside
  bundle inspect app.pyz --why idna.core         the chain from the entry point
  bundle inspect app.pyz --json > facts.json     the same for machines (docs/schema/inspect-1.json)
  bundle inspect app.pyz --sbom                  the SBOM stored by bundle build --sbom

{EXIT_STATUSES}"""

CHECK_DESCRIPTION = fill(
    "Import every module of an archive, from the archive, in a fresh process of each "
    "interpreter (--python, repeatable; default: every Python on PATH and through pyenv that "
    "the archive's requires-python and limits allow, else the current one), and report each "
    "failure with its reason. Modules that need an absent optional extra or another platform "
    "are listed as such, not as failures; check-skip in [tool.bundle] (stored in the archive) "
    "and --skip name others. After --, the app also runs with the arguments given, under an "
    "audit hook that reports every file operation aimed inside the archive's path and every "
    "import that fails, with module and line. Exit 0 when clean, 1 with one line per problem.",
    width=88,
)

CHECK_EPILOG = f"""\
examples:
  bundle check app.pyz                           every module, on every matching Python
  bundle check app.pyz --python 3.9 --python 3.13
  bundle check app.pyz -- report --all           and run the app with these arguments
  bundle check app.pyz --json                    for CI (docs/schema/check-1.json)

{EXIT_STATUSES}"""
