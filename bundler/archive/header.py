"""The archive's first bytes: a ``/bin/sh`` header that starts the app without runpy.

``python app.pyz`` makes CPython run the zip through ``runpy``, which imports
``importlib.util`` and its friends (about 17 million instructions on 3.11) before our code
runs. ``./app.pyz`` with this header instead has ``/bin/sh`` pick a Python (the build's
version first, then the other versions of the archive's range, newest first, then
``python3`` and ``python``, or ``$BUNDLER_PYTHON``) and exec it on a loader of a few lines
that runs the archive's ``__main__.py``, which makes itself what runpy would have made it
(same ``sys.argv``, ``sys.path[0]``, ``__file__`` and ``__spec__``; stub.py). The file
stays a zip (zip readers allow bytes before the archive), so ``python app.pyz`` runs it
the usual way.

Where ``PATH`` holds a version manager's shims (pyenv, asdf), ``command -v`` finds a
shim for every version installed, though only the selected ones run ("pyenv: python3.9:
command not found"): a candidate that is a shim is started once to ask for the
interpreter it runs, which is then exec'd itself (one Python start more, the shim's own
cost not twice); a candidate found before the shims costs nothing more.

Python runs with ``-S``: the host interpreter's site-packages, its ``.pth`` files and
``sitecustomize`` stay out, as they do for an app in a virtualenv (whose site does not see
them either), and the stub then sets what ``site`` gives every program (``exit``,
``quit``, ``help``, ``copyright``, ``credits``, ``license``). An archive built with
``--inherit-path`` wants the host's site-packages: it keeps ``site``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PYTHON_ENV", "SH_SHEBANG", "interpreter_commands", "sh_header"]

SH_SHEBANG = "#!/bin/sh"
# Names the Python that ./app.pyz runs with: a command on PATH or a path.
PYTHON_ENV = "BUNDLER_PYTHON"

# The newest minor version a header names (an archive's range is worked out up to 3.30,
# versions not released yet included): a few past today's newest.
_NEWEST_MINOR = 16

# Runs in the chosen Python as ``python -S -c LOADER ARCHIVE ARGS...``: it is parsed at
# every start (about 0.1 million instructions per line on 3.11), so it only finds the
# stub and runs it in this ``__main__``; the stub does the rest (stub.py). It must parse
# on any Python (an old "python" may be found) and holds no single quote (the shell
# quotes it with them).
_LOADER = """\
import sys
from zipimport import zipimporter as z
p=sys.argv[1];p=p if p[:1]=="/" else __import__("os").getcwd()+"/"+p
try:__loader__=z(p);c=__loader__.get_code("__main__")
except Exception:sys.exit("%s: error: not a complete archive; rebuild or re-download it"%p)
exec(c)"""

# Line 2 is a shell no-op that is not Python. Where Python finds no zip directory (a
# download cut short anywhere, a damaged end), it reads the file as a script: it then
# fails on line 2 (a SyntaxError that quotes the line, which says what to do) instead of
# running the comment lines as an empty program.
_HEADER = """\
{shebang}
: 'If Python shows this line, this file is not a complete archive: rebuild or re-download it.
A Python zip application made by bundler: run it as a program or with "python FILE".
These lines pick a Python (the first found below, or ${env}) and start the app with it;
a zip archive follows.'
if [ -n "${env}" ]; then
  py=${env}
  if ! command -v "$py" >/dev/null 2>&1; then
    printf '%s %s\\n' "${{0##*/}}: error: {env}=$py is not a program that can be run;" \\
      "set it to a Python {wanted}" >&2
    exit 127
  fi
else
  py=
  for candidate in {candidates}; do
    if command -v "$candidate" >/dev/null 2>&1; then
      py=$candidate
      case :$PATH: in  # a version manager's shim may name a version it does not select
        */shims:*) case $(command -v "$candidate") in */shims/*)
          py=$("$candidate" -S -c 'import sys; print(sys.executable)' 2>/dev/null)
          [ -n "$py" ] || continue ;;
        esac ;;
      esac
      break
    fi
  done
  if [ -z "$py" ]; then
    printf '%s %s\\n' "${{0##*/}}: error: no Python on PATH (tried {tried});" \\
      "install Python {wanted} or set {env} to one" >&2
    exit 127
  fi
fi
exec "$py" {flags}-c '{loader}' "$0" "$@"
exit 127
"""


def interpreter_commands(minors: Iterable[int], build_minor: int) -> tuple[str, ...]:
    """The commands the header tries, best first: the build's version (its bytecode is
    in the archive), the other versions the archive runs on (newest first), then
    ``python3`` and ``python`` (the runtime tells the user if those cannot run it)."""
    allowed = sorted({minor for minor in minors if minor <= _NEWEST_MINOR}, reverse=True)
    first = [build_minor] if build_minor in allowed else []
    ordered = first + [minor for minor in allowed if minor != build_minor]
    return (*(f"python3.{minor}" for minor in ordered), "python3", "python")


def sh_header(commands: tuple[str, ...], wanted: str, *, keep_site: bool) -> str:
    """The header that tries ``commands`` in order; ``wanted`` says which Pythons run the
    archive (``3.9+``, ``>=3.11``), for the line shown when none is found."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", " ".join(commands).replace(" ", "")):
        raise ValueError(f"not a command name: {commands!r}")  # never quoted in the header
    assert "'" not in _LOADER
    return _HEADER.format(
        shebang=SH_SHEBANG,
        candidates=" ".join(commands),
        tried=", ".join(commands),
        wanted=re.sub(r"[^A-Za-z0-9.,=<>!~*+ ]", "", wanted.removeprefix("any Python ")),
        env=PYTHON_ENV,
        flags="" if keep_site else "-S ",
        loader=_LOADER,
    )
