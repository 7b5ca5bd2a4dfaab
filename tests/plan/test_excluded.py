"""Which members ``--exclude`` leaves out."""

from __future__ import annotations

import pytest

from bundler.plan.excluded import excluded_member

SUFFIXES = (".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so")


@pytest.mark.parametrize(
    "member",
    [
        "tool/tests/__init__.py",
        "tool/tests/data/x.json",
        "tool/heavy.py",
        "tool/heavy.pyi",
        "tool/heavy.cpython-311-x86_64-linux-gnu.so",
        "tool/heavy.abi3.so",
        "six.py",
    ],
)
def test_the_module_its_package_and_its_compiled_forms_are_left_out(member: str) -> None:
    assert excluded_member(member, ("tool.tests", "tool.heavy", "six"), SUFFIXES)


@pytest.mark.parametrize(
    "member",
    [
        "tool/heavy.txt",  # data beside the module
        "tool/heavyweight.py",  # a longer name
        "tool/__init__.py",
        "tool/testsuite/__init__.py",
        "sixes.py",
        "other/tool/heavy.py",
        "tool/heavy.cpython-312-x86_64-linux-gnu.so.bak",
    ],
)
def test_other_members_stay(member: str) -> None:
    assert not excluded_member(member, ("tool.tests", "tool.heavy", "six"), SUFFIXES)


def test_nothing_is_excluded_without_names() -> None:
    assert not excluded_member("tool/heavy.py", (), SUFFIXES)
