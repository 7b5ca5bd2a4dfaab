"""The license of a distribution, read from its core metadata (``METADATA`` / ``PKG-INFO``):
what ``bundle inspect`` shows and what the SBOM records."""

from __future__ import annotations

import re
from email.message import Message

__all__ = ["license_of"]

# A License field longer than this, or spread over several lines, is a license text pasted
# into the metadata (many projects do that), not a name.
_LONGEST_NAME = 80
_MEANINGLESS = {"", "unknown", "none", "n/a", "other", "license", "see license", "see license file"}
_CLASSIFIER = "License ::"
# Phrases that identify the license texts most often pasted into the License field, in the
# order they are tried (the BSD texts share a clause; the third clause tells 3- from 2-).
_TEXTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software",)),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1", ("gnu lesser general public license", "version 2.1")),
    ("GPL-3.0", ("gnu general public license", "version 3")),
    ("GPL-2.0", ("gnu general public license", "version 2")),
    ("PSF-2.0", ("python software foundation license",)),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",)),
)


def license_of(metadata: Message) -> str | None:
    """The license a distribution declares, or None when it declares none.

    In order of trust: ``License-Expression`` (PEP 639, an SPDX expression), then the
    ``License`` field (its name, or for a pasted license text the license it recognisably
    is), then the ``License ::`` classifiers (their last part, ``"; "``-joined)."""
    expression = _clean(metadata.get("License-Expression"))
    if expression:
        return expression
    name, certain = _from_field(_clean(metadata.get("License")))
    if certain:
        return name
    return _from_classifiers(metadata.get_all("Classifier") or []) or name


def _clean(value: object) -> str:
    """A header's text without its continuation indents (or the ``|`` some writers put)."""
    if not isinstance(value, str):
        return ""
    lines = [line.strip() for line in value.strip().splitlines()]
    return "\n".join(line[1:].strip() if line.startswith("|") else line for line in lines).strip()


def _from_field(text: str) -> tuple[str | None, bool]:
    """The name in a ``License`` field and whether it is certain: the field itself when
    short, the license a pasted text recognisably is; else, less certain than a classifier,
    the text's first line (shortened, with ``…``)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lower().rstrip(".") in _MEANINGLESS:
        return None, False
    if "\n" not in text and len(text) <= _LONGEST_NAME:
        return text, True
    known = _known_text(text)
    if known is not None:
        return known, True
    if len(first) <= _LONGEST_NAME:
        # "BSD 3-Clause License" heading a text names it; "Copyright (c) 2020 Ann" does not.
        return first, not first.lower().startswith("copyright")
    return first[: _LONGEST_NAME - 1].rstrip() + "…", False


def _known_text(text: str) -> str | None:
    words = re.sub(r"\s+", " ", text.lower())
    for name, phrases in _TEXTS:
        if all(phrase in words for phrase in phrases):
            return name
    return None


def _from_classifiers(classifiers: list[str]) -> str | None:
    """``License :: OSI Approved :: MIT License`` -> ``MIT License``; the bare
    ``License :: OSI Approved`` says nothing of which license, so it is skipped."""
    names = []
    for classifier in classifiers:
        parts = [part.strip() for part in classifier.split("::")]
        if not classifier.startswith(_CLASSIFIER) or len(parts) < 2:
            continue
        name = parts[-1]
        if parts[1:] == ["OSI Approved"] or name.lower() in _MEANINGLESS or name in names:
            continue
        names.append(name)
    return "; ".join(names) or None
