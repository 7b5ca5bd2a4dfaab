"""The line that says why pip or a backend failed, from their real output."""

from __future__ import annotations

from bundler.staging.reasons import IndexFailure, backend_reason, index_failure, pip_reason

DISCOVERY = [
    "running egg_info",
    "error: Multiple top-level packages discovered in a flat-layout: ['b', 'a'].",
    "",
    "To avoid accidental inclusion of unwanted files or directories,",
    "setuptools will not proceed with this build.",
    "",
    'To find more information, look for "package discovery" on setuptools docs.',
]


def test_backend_error_line_wins_over_its_last_line() -> None:
    assert backend_reason(DISCOVERY) == (
        "error: Multiple top-level packages discovered in a flat-layout: ['b', 'a']."
    )


def test_backend_traceback_gives_its_exception_line() -> None:
    lines = [
        "Traceback (most recent call last):",
        '  File "/x/_in_process.py", line 389, in <module>',
        "    main()",
        '  File "/x/hatchling/builders/wheel.py", line 9, in default_file_selection_options',
        "    raise ValueError(message)",
        "ValueError: Unable to determine which files to ship inside the wheel",
        "",
        "The most likely cause of this is that there is no directory that matches the name",
    ]
    assert backend_reason(lines) == (
        "ValueError: Unable to determine which files to ship inside the wheel"
    )


def test_syntax_error_names_its_file_and_line() -> None:
    lines = [
        "Traceback (most recent call last):",
        '  File "/x/_in_process.py", line 389, in <module>',
        "    main()",
        '  File "/tmp/proj/setup.py", line 2',
        '    setup(name="p2",,)',
        "                    ^",
        "SyntaxError: invalid syntax",
    ]
    assert backend_reason(lines) == "SyntaxError: invalid syntax (setup.py, line 2)"


def test_without_error_or_traceback_the_last_line_is_it() -> None:
    assert backend_reason(["one", "two", ""]) == "two"
    assert backend_reason([]) == "no output"


def test_pip_build_failure_names_the_project_and_the_backends_error() -> None:
    lines = [
        "Processing ./libs/core",
        "  Getting requirements to build wheel: finished with status 'error'",
        "  error: subprocess-exited-with-error",
        "  \u00d7 Getting requirements to build wheel did not run successfully.",
        "  │ exit code: 1",
        "  ╰─> [14 lines of output]",
        *(f"      {line}" for line in DISCOVERY),
        "      [end of output]",
        "  note: This error originates from a subprocess, and is likely not a problem with pip.",
        "error: subprocess-exited-with-error",
        "note: This error originates from a subprocess, and is likely not a problem with pip.",
    ]
    assert pip_reason(lines) == (
        "building ./libs/core failed: error: Multiple top-level packages discovered in a "
        "flat-layout: ['b', 'a']."
    )


def test_pips_exception_header_is_never_the_reason() -> None:
    lines = [
        "ERROR: Exception:",
        "Traceback (most recent call last):",
        '  File "/x/pip/_internal/cli/base_command.py", line 180, in exc_logging_wrapper',
        "    status = run_func(*args)",
        "OSError: [Errno 28] No space left on device",
    ]
    assert pip_reason(lines) == "OSError: [Errno 28] No space left on device"


def test_pips_error_line_skips_its_help_link() -> None:
    lines = [
        "ERROR: Cannot install a and b because these package versions have conflicts.",
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/",
    ]
    assert pip_reason(lines) == (
        "Cannot install a and b because these package versions have conflicts."
    )


def test_unreachable_index_is_named_with_its_cause() -> None:
    retry = (
        "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) "
        "after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection."
        "HTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] "
        "Connection refused')': /simple/demo/"
    )
    lines = ["Looking in indexes: http://127.0.0.1:9/simple", retry, "ERROR: No matching ..."]
    assert index_failure(lines) == IndexFailure("http://127.0.0.1:9/simple", "Connection refused")
    assert index_failure([retry]) == IndexFailure("https://pypi.org/simple", "Connection refused")
    assert index_failure(["ERROR: No matching distribution found for x"]) is None


def test_a_hash_that_does_not_match_names_the_distribution_and_both_hashes() -> None:
    lines = [
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have "
        "updated the package versions, please update the hashes. Otherwise, examine the package "
        "contents carefully; someone may have tampered with them.",
        "    inkwell==1.4.0 from file:///w/inkwell-1.4.0-py3-none-any.whl (from -r x (line 1)):",
        "        Expected sha256 0abc",
        "             Got        abc",
    ]
    assert pip_reason(lines) == (
        "inkwell==1.4.0 does not have the hash the lock pins (expected sha256 0abc, got abc)"
    )
