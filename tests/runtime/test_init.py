"""The build/runtime contract (runtime/__init__.py): records, their fields and names."""

from __future__ import annotations

import pytest

import bundler.runtime
from bundler.runtime import (
    FILE_SIZE,
    MODULE_BYTECODE,
    MODULE_KIND,
    MODULE_PACKAGE,
    MODULE_SOURCE,
    NAMESPACE,
    file_record,
    first,
    module_record,
    native_record,
    pycache,
    unit_record,
)
from bundler.runtime.metadata import normalise_name

# -- records and chunk keys ------------------------------------------------------------------


def test_module_record_fields_are_where_the_constants_say() -> None:
    record = module_record("a/b.py", "a/__pycache__/b.pyc", True, NAMESPACE)
    fields = [record[i] for i in (MODULE_SOURCE, MODULE_BYTECODE, MODULE_PACKAGE, MODULE_KIND)]
    assert fields == ["a/b.py", "a/__pycache__/b.pyc", True, NAMESPACE]


def test_other_records_keep_their_fields_in_order() -> None:
    assert file_record(10, 20, 30, 8, 40) == (10, 20, 30, 8, 40)
    assert file_record(10, 20, 30, 8, 40)[FILE_SIZE] == 30
    assert unit_record(("a.so",), ("b/",), "dist") == (("a.so",), ("b/",), "dist")
    platforms = (("linux", "x86_64", "glibc"),)
    assert native_record("d 1.0", "cp311", platforms, (3, 9)) == (
        "d 1.0",
        "cp311",
        platforms,
        (3, 9),
    )


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Foo.Bar-baz__Qux", "foo_bar_baz_qux"),
        ("a--b", "a_b"),
        ("A-._B", "a_b"),
        ("zope.interface", "zope_interface"),
        ("plain", "plain"),
    ],
)
def test_normalise_name_folds_case_and_separator_runs(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


def test_what_the_first_stage_and_pycache_define_is_the_same_object_here() -> None:
    """Names the other modules and the builder import from the package are those of the
    first stage and of pycache: one definition of the cache's place, the trust checks
    and the errors."""
    names = ["INDEX_MEMBER", "RUNTIME_MEMBER", "BootError", "ArchiveDamaged"]
    assert all(getattr(bundler.runtime, name) is getattr(first, name) for name in names)
    names = ["CACHE_ENV", "cache_roots", "app_dir_name", "read_trusted", "load_pyc"]
    assert all(getattr(bundler.runtime, name) is getattr(pycache, name) for name in names)


def test_a_name_neither_defines_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing_of_that_name'"):
        bundler.runtime.nothing_of_that_name  # type: ignore[attr-defined]  # noqa: B018
