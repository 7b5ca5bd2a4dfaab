"""The `info` report: what srctool is built from, for bug reports."""

from __future__ import annotations

from importlib.metadata import version

from nsplug import core

from srctool.checksums import HAVE_SPEEDUPS


def describe() -> list[str]:
    """Return the lines of the report."""
    return [
        f"srctool {version('srctool')}",
        f"nsplug-core {version('nsplug-core')}, nsplug-extra {version('nsplug-extra')}",
        f"plugin modules: {', '.join(core.plugin_modules())}",
        f"speedups: {'fancy_speedups' if HAVE_SPEEDUPS else 'pure Python'}",
    ]
