"""How long pip and the build backend may run: one setting, from the environment or the
project's configuration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bundler.errors import ConfigError

__all__ = ["DEFAULT_TIMEOUT", "TIMEOUT_ENV", "tool_timeout"]

# How long one run of pip or of a build backend hook may take, in seconds: generous (a
# source build of a large native dependency takes minutes), but a hung build ends.
DEFAULT_TIMEOUT = 1800.0
TIMEOUT_ENV = "BUNDLER_TIMEOUT"


def tool_timeout(configured: Any, path: Path | None) -> float | None:
    """Seconds from $BUNDLER_TIMEOUT, else from [tool.bundle] timeout; 0 means no limit."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if text:
        try:
            seconds = float(text)
        except ValueError:
            seconds = -1.0
        if seconds < 0 or seconds != seconds:
            raise ConfigError(f"{TIMEOUT_ENV}={text} is not a number of seconds (0: no limit)")
    elif configured is not None:
        seconds = float(configured)
        if isinstance(configured, bool) or seconds < 0:
            raise ConfigError(f"{path}: [tool.bundle] 'timeout' must be seconds, 0 or more")
    else:
        seconds = DEFAULT_TIMEOUT
    return seconds or None
