"""The child of ``bundle check``: import modules of an archive, from the archive, in a fresh
interpreter, and report each outcome. Sent to the child as source (``python -c``), so it
uses the standard library only and runs on every Python the archive does (3.9 up).

argv: the archive; stdin: a JSON list of module names. Reports go to what was stdout, one
JSON list a line: ``["start", name]``, then ``["ok", name]`` or ``["fail", name, type,
message, missing module or None, member or None, line, native]``; what modules print goes
to stderr."""

import importlib
import json
import os
import runpy
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

RUN_NAME = "__bundle_check__"  # the archive's __main__ then installs its importer only


def main() -> None:
    """Install the archive's importer, then import each module named on stdin."""
    archive = os.path.abspath(sys.argv[1])
    names = json.loads(sys.stdin.read())
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # a module that prints at import must not corrupt the report
    sys.argv = [archive]
    runpy.run_path(archive, run_name=RUN_NAME)
    for name in names:
        _say(report, ["start", name])
        try:
            importlib.import_module(name)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SystemExit at import is a failure too
            _say(report, ["fail", name, *describe(exc, archive)])
        else:
            _say(report, ["ok", name])


def describe(exc: "BaseException", archive: str) -> "list[Any]":
    """``[type, first line of the message, the missing module, member, line, native]``:
    the module an ImportError of the chain names (a library may re-raise with advice),
    where in the archive it was raised (the deepest frame of the app's code), and whether
    the cause is native code built for another Python (the runtime's one line)."""
    text = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    message = text.strip().splitlines()
    chain = _chain(exc)
    missing = next((e.name for e in chain if isinstance(e, ImportError) and e.name), None)
    native = any("contains native code built for" in str(e) for e in chain)
    member, line = None, 0
    prefix = archive + os.sep
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(prefix) and not filename[len(prefix) :].startswith("_bundler"):
            member, line = filename[len(prefix) :].replace(os.sep, "/"), tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, SyntaxError) and exc.filename and exc.filename.startswith(prefix):
        member, line = exc.filename[len(prefix) :].replace(os.sep, "/"), exc.lineno or 0
    return [type(exc).__name__, message[0] if message else "", missing, member, line, native]


def _chain(exc: "BaseException") -> "list[BaseException]":
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _say(report: "TextIO", record: "list[Any]") -> None:
    report.write(json.dumps(record) + "\n")
    report.flush()


if __name__ == "__main__":
    main()
