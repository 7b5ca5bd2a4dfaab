"""The tables of calls the zip-safety analysis knows: each call has one meaning."""

from __future__ import annotations

from bundler.plan import sinks


def test_a_call_is_a_sink_a_path_function_or_a_laundering_one_never_two() -> None:
    groups = {
        "PATH_SINKS": sinks.PATH_SINKS,
        "PATH_FUNCTIONS": sinks.PATH_FUNCTIONS,
        "LAUNDERING": sinks.LAUNDERING,
        "RESOURCE_FILE_CALLS": sinks.RESOURCE_FILE_CALLS,
    }
    overlaps = {
        (first, second): sorted(groups[first] & groups[second])
        for first in groups
        for second in groups
        if first < second and groups[first] & groups[second]
    }
    assert overlaps == {}


def test_a_method_reads_its_receiver_computes_a_path_or_reports_never_two() -> None:
    methods = {
        "RECEIVER_SINKS": sinks.RECEIVER_SINKS,
        "PATH_METHODS": sinks.PATH_METHODS,
        "REPORTING_METHODS": sinks.REPORTING_METHODS,
        "ARGUMENT_METHOD_SINKS": sinks.ARGUMENT_METHOD_SINKS,
    }
    overlaps = {
        (first, second): sorted(methods[first] & methods[second])
        for first in methods
        for second in methods
        if first < second and methods[first] & methods[second]
    }
    assert overlaps == {}
