"""The license of a distribution from its core metadata: License-Expression, then License,
then the License classifiers."""

from __future__ import annotations

from email.message import Message
from email.parser import HeaderParser

import pytest

from bundler.licenses import license_of

MIT_TEXT = """Copyright (c) 2014 Jane Doe
        |
        |Permission is hereby granted, free of charge, to any person obtaining a copy
        |of this software and associated documentation files (the "Software"), to deal"""

BSD3_TEXT = """Copyright (c) 2005-2024, NumPy Developers.
        All rights reserved.
        \n        Redistribution and use in source and binary forms, with or without
        modification, are permitted provided that the following conditions are met:
        * Neither the name of the NumPy Developers nor the names of any contributors"""


def _metadata(text: str) -> Message:
    return HeaderParser().parsestr("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n" + text)


def test_license_expression_comes_first() -> None:
    metadata = _metadata(
        "License-Expression: Apache-2.0 OR MIT\nLicense: BSD\n"
        "Classifier: License :: OSI Approved :: BSD License\n"
    )
    assert license_of(metadata) == "Apache-2.0 OR MIT"


def test_a_short_license_field_is_the_name() -> None:
    metadata = _metadata(
        "License: BSD-3-Clause\nClassifier: License :: OSI Approved :: MIT License\n"
    )
    assert license_of(metadata) == "BSD-3-Clause"


@pytest.mark.parametrize("value", ["UNKNOWN", "unknown", "", "   ", "None"])
def test_a_meaningless_license_field_falls_back_to_classifiers(value: str) -> None:
    metadata = _metadata(f"License: {value}\nClassifier: License :: OSI Approved :: MIT License\n")
    assert license_of(metadata) == "MIT License"


def test_classifiers_give_their_last_part_and_skip_the_bare_osi_approved() -> None:
    metadata = _metadata(
        "Classifier: Programming Language :: Python\n"
        "Classifier: License :: OSI Approved\n"
        "Classifier: License :: OSI Approved :: Apache Software License\n"
        "Classifier: License :: OSI Approved :: BSD License\n"
        "Classifier: License :: OSI Approved :: BSD License\n"
    )
    assert license_of(metadata) == "Apache Software License; BSD License"


def test_a_pasted_mit_text_is_named_mit() -> None:
    assert license_of(_metadata(f"License: {MIT_TEXT}\n")) == "MIT"


def test_a_pasted_bsd_text_tells_three_clauses_from_two() -> None:
    assert license_of(_metadata(f"License: {BSD3_TEXT}\n")) == "BSD-3-Clause"
    two = BSD3_TEXT.replace("Neither the name", "Both the name")
    assert license_of(_metadata(f"License: {two}\n")) == "BSD-2-Clause"


def test_a_text_headed_by_its_name_gives_the_heading() -> None:
    text = "Zope Public License (ZPL) Version 2.1\n        \n        A copyright notice..."
    assert license_of(_metadata(f"License: {text}\n")) == "Zope Public License (ZPL) Version 2.1"


def test_an_unknown_text_prefers_a_classifier_to_its_copyright_line() -> None:
    text = "Copyright (c) 2020 Ann\n        Some bespoke terms."
    classified = _metadata(f"License: {text}\nClassifier: License :: Freeware\n")
    assert license_of(classified) == "Freeware"
    assert license_of(_metadata(f"License: {text}\n")) == "Copyright (c) 2020 Ann"


def test_a_long_unknown_first_line_is_shortened() -> None:
    line = "These are the terms " + "and more terms " * 10
    found = license_of(_metadata(f"License: {line}\n        second line\n"))
    assert found is not None and found.endswith("…") and len(found) == 80
    assert found.startswith("These are the terms and more terms")


def test_no_license_anywhere_is_none() -> None:
    assert license_of(_metadata("Summary: nothing said\n")) is None
    assert license_of(_metadata("License: UNKNOWN\nClassifier: License :: OSI Approved\n")) is None
