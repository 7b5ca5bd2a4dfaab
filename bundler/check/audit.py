"""The child of ``bundle check ARCHIVE -- ARGS``: run the app under an audit hook that
reports file operations aimed inside the archive's path (a zip-unsafe use the build
missed) and imports that no finder could satisfy, each with the app's file and line. Sent
as source (``python -c``): standard library only, Python 3.9 up.

argv: the report file, the archive, then the app's arguments. Each report is a JSON list
a line: ``["file", event, path, member, line]`` or ``["import", module, member, line]``.
"""

import os
import runpy
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

# Events whose first argument is a path the code reads, lists or changes.
EVENTS = frozenset(
    {
        "open",
        "os.listdir",
        "os.scandir",
        "os.chdir",
        "os.mkdir",
        "os.remove",
        "os.rename",
        "os.rmdir",
        "shutil.copyfile",
        "shutil.copytree",
        "shutil.rmtree",
        "glob.glob",
    }
)


class Audit:
    """The hook, the last finder on ``sys.meta_path``, and where they write."""

    def __init__(self, report: str, archive: str) -> None:
        self.fd = os.open(report, os.O_WRONLY | os.O_APPEND)
        self.archive = archive
        self.prefix = archive + os.sep
        self.busy = False

    def hook(self, event: str, args: "tuple[Any, ...]") -> None:
        if event not in EVENTS or self.busy or not args:
            return
        self.busy = True  # what the hook itself does is not the app's
        try:
            path = args[0]
            if isinstance(path, (str, bytes, os.PathLike)):
                text = os.path.abspath(os.fsdecode(path))
                if text.startswith(self.prefix):
                    self._report(["file", event, text[len(self.prefix) :]], sys._getframe(1))
        except Exception:
            pass
        finally:
            self.busy = False

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        """Reached only when every other finder failed: an import that will fail. Only
        the app's own imports count (the standard library probes for modules too)."""
        if not self.busy:
            self.busy = True
            try:
                frame = sys._getframe(1)
                while frame is not None and frame.f_code.co_filename.startswith("<frozen"):
                    frame = frame.f_back  # type: ignore[assignment]
                if frame is not None and frame.f_code.co_filename.startswith(self.prefix):
                    self._report(["import", name], frame)
            finally:
                self.busy = False

    def _report(self, record: "list[Any]", frame: "FrameType") -> None:
        import json

        member, line = self._app_frame(frame)
        if member is not None:
            os.write(self.fd, (json.dumps([*record, member, line]) + "\n").encode())

    def _app_frame(self, frame: "FrameType | None") -> "tuple[str | None, int]":
        """The innermost frame of the app's own code (inside the archive, not the runtime),
        from ``frame`` outwards."""
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(self.prefix):
                member = filename[len(self.prefix) :].replace(os.sep, "/")
                if not member.startswith("_bundler") and member != "__main__.py":
                    return member, frame.f_lineno
            frame = frame.f_back
        return None, 0


def main() -> None:
    """Install the hook and the finder, then run the archive as ``python ARCHIVE ARGS``."""
    report, archive = sys.argv[1], os.path.abspath(sys.argv[2])
    audit = Audit(report, archive)
    sys.argv = [archive, *sys.argv[3:]]
    sys.addaudithook(audit.hook)
    sys.meta_path.append(audit)
    runpy.run_path(archive, run_name="__main__")


if __name__ == "__main__":
    main()
