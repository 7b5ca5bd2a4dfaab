"""Relative imports, from a sibling module and from a module of the parent package."""

from .. import formatters
from ..plugins import alpha_plugin
from .circ_a import NAME as CIRCULAR_NAME

SUMMARY = [alpha_plugin.NAME, formatters.upper("relative"), CIRCULAR_NAME]
