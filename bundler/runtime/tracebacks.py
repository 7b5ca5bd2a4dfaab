"""Uncaught exceptions printed like a virtualenv's console script prints them, loaded when
one happens (never at start).

The default hook of Python 3.9-3.12 reads source lines from disk, so lines of archived
modules would be missing; ``traceback`` goes through linecache, which asks our loader. The
frames before the app's first (runpy, the stub, this runtime) are left out, and so are the
runtime's frames between the app's (reading a resource on its behalf, say); every frame of
the app is kept.
"""

import os

from . import MAIN_MEMBER, PACKAGE_NAME, BootError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType


def print_app_exception(
    archive: str,
    kind: "type[BaseException]",
    value: "BaseException",
    tb: "TracebackType | None",
    full: bool,
) -> None:
    """What the runtime's ``sys.excepthook`` does: print the exception, with the app's
    frames only unless ``full``."""
    import traceback

    if not full:
        # Runtime bytecode loaded by zipimport keeps the relative name it was compiled with.
        ours = (
            os.path.join(archive, MAIN_MEMBER),
            os.path.join(archive, PACKAGE_NAME),
            PACKAGE_NAME,
            MAIN_MEMBER,
        )
        tb = _app_frames(tb, ours)
        for linked in _chained(value):
            linked.__traceback__ = _app_frames(linked.__traceback__, ours)
    traceback.print_exception(kind, value, tb)


def boot_error_in_chain(exc: "BaseException") -> "BootError | None":
    """Our one-line error behind ``exc``, if a library wrapped it in its own (numpy
    re-raises an ImportError with advice): the message the user needs is still ours."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, BootError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _app_frames(tb: "TracebackType | None", ours: "tuple[str, ...]") -> "TracebackType | None":
    """``tb`` without the frames of the runtime, nor those that led to the app's first."""
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    names = [entry.tb_frame.f_code.co_filename for entry in frames]
    start = next((i for i, name in enumerate(names) if not _is_boot(name, ours)), len(frames))
    kept = [
        entry for entry in frames[start:] if not entry.tb_frame.f_code.co_filename.startswith(ours)
    ]
    rebuilt = None
    for entry in reversed(kept):
        rebuilt = type(entry)(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


def _is_boot(filename: str, ours: "tuple[str, ...]") -> bool:
    """A frame that comes before the app's: the stub, the runtime, runpy, importlib, or
    the /bin/sh header's ``-c`` loader (``<string>``)."""
    return (
        filename.startswith(ours)
        or filename.startswith("<frozen")
        or filename == "<string>"
        or filename.endswith(("runpy.py", "importlib/__init__.py"))
    )


def _chained(value: "BaseException") -> "list[BaseException]":
    """The exceptions chained to ``value`` (causes and contexts), each once."""
    found: list[BaseException] = []
    current = value.__cause__ or value.__context__
    while current is not None and current is not value and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found
