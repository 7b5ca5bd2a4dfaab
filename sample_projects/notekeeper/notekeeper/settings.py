"""Defaults and message templates, read from the package's data/ directory."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template

_DATA = files("notekeeper") / "data"


@dataclass(frozen=True)
class Defaults:
    """Settings that apply when the command line does not give them."""

    store: str
    empty_list_message: str
    tag_separator: str


@cache
def load_defaults() -> Defaults:
    """Read data/defaults.json."""
    fields = json.loads((_DATA / "defaults.json").read_text(encoding="utf-8"))
    return Defaults(
        store=fields["store"],
        empty_list_message=fields["empty_list_message"],
        tag_separator=fields["tag_separator"],
    )


@cache
def load_template(name: str) -> Template:
    """Read data/templates/NAME.txt as a string.Template."""
    return Template((_DATA / "templates" / f"{name}.txt").read_text(encoding="utf-8"))
