"""Probes of source-level tools: tracebacks, ``inspect``, ``linecache`` and ``warnings``."""

from __future__ import annotations

import inspect
import linecache
import sys
import traceback
import warnings
from typing import Any

from compat.registry import probe
from compat.subjects import debugging as subject


@probe("traceback_source_lines")
def traceback_source_lines() -> dict[str, Any]:
    """A traceback through bundled modules shows each frame's file, line and source."""
    linecache.clearcache()  # what earlier probes read must not help
    try:
        subject.call_fail()
    except ValueError:
        formatted = traceback.format_exc()
        frames = traceback.extract_tb(sys.exc_info()[2])
    return {
        "format_exc": formatted.splitlines(),
        "frames": [(f.filename, f.lineno, f.name, f.line) for f in frames],
    }


@probe("inspect_source")
def inspect_source() -> dict[str, Any]:
    """``inspect.getsource`` and friends on bundled functions, classes and modules."""
    linecache.clearcache()
    source_lines, first_line = inspect.getsourcelines(subject.SampleClass)
    return {
        "getsource_function": inspect.getsource(subject.sample_function),
        "getsourcelines_class": [first_line, len(source_lines)],
        "getsource_method": inspect.getsource(subject.SampleClass.method),
        "module_source_first_line": inspect.getsource(subject).splitlines()[0],
        "getfile": inspect.getfile(subject.sample_function),
        "getsourcefile": inspect.getsourcefile(subject.sample_function),
        "getmodule": getattr(inspect.getmodule(subject.sample_function), "__name__", None),
        "getdoc": inspect.getdoc(subject.sample_function),
    }


@probe("linecache_lines")
def linecache_lines() -> dict[str, Any]:
    """``linecache.getline`` of a bundled file, with and without the module's globals."""
    code = subject.sample_function.__code__
    linecache.clearcache()
    without_globals = linecache.getline(subject.__file__, code.co_firstlineno)
    linecache.clearcache()
    with_globals = linecache.getline(subject.__file__, code.co_firstlineno, vars(subject))
    return {
        "without_module_globals": without_globals,
        "with_module_globals": with_globals,
        "line_count": len(linecache.getlines(subject.__file__, vars(subject))),
    }


@probe("warnings_location")
def warnings_location() -> dict[str, Any]:
    """Warnings from bundled code carry the right file and line, and show the source line."""
    from compat.subjects import warner

    linecache.clearcache()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warner.warn_here()
        warner.deprecated_api()  # stacklevel=2: attributed to this line
    return {
        "recorded": [
            {
                "category": w.category.__name__,
                "message": str(w.message),
                "filename": w.filename,
                "lineno": w.lineno,
                "formatted": warnings.formatwarning(w.message, w.category, w.filename, w.lineno),
            }
            for w in caught
        ]
    }


@probe("code_filenames")
def code_filenames() -> dict[str, Any]:
    """Code objects name the same file as ``__file__``, so debuggers find the source."""
    function = subject.sample_function
    loader: Any = subject.__loader__
    return {
        "co_filename_is_file": function.__code__.co_filename == subject.__file__,
        "co_filename": function.__code__.co_filename,
        "co_firstlineno": function.__code__.co_firstlineno,
        "module_code_filename": loader.get_code(subject.__name__).co_filename,
    }
