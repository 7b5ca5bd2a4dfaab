"""The zip-safety analysis: code that needs its package's files to be real files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bundler.caches.results import Results
from bundler.plan import zipsafety as zipsafety_module
from bundler.plan.zipsafety import cached_file_access, scan_file_access


def _calls(source: str, package: str | None = "pkg") -> list[tuple[int, str]]:
    """(line, call) of the accesses by a call; escapes and other packages' files apart."""
    found = scan_file_access(textwrap.dedent(source).encode(), "<test>", package)
    return [(access.line, access.call) for access in found if access.call]


def _evidence(source: str, package: str | None = "pkg") -> list[tuple[int, str]]:
    """(line, description) of every access: calls, escapes, other packages' files."""
    found = scan_file_access(textwrap.dedent(source).encode(), "<test>", package)
    return [(access.line, access.describe()) for access in found]


# -- what needs real files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "call"),
    [
        ("open(os.path.join(os.path.dirname(__file__), 'data.json'))", "open"),
        ("os.listdir(__path__[0])", "os.listdir"),
        ("os.path.exists(os.path.join(os.path.dirname(__file__), 'x'))", "os.path.exists"),
        ("glob.glob(os.path.dirname(__file__) + '/*.txt')", "glob.glob"),
        ("os.scandir(os.path.dirname(__file__))", "os.scandir"),
        ("(Path(__file__).parent / 'x.txt').read_text()", "Path.read_text"),
        ("Path(__file__).with_name('table.csv').open()", "Path.open"),
        ("list(Path(__file__).parent.iterdir())", "Path.iterdir"),
        ("ctypes.CDLL(os.path.join(os.path.dirname(__file__), 'libx.so'))", "ctypes.CDLL"),
        (
            "ctypes.cdll.LoadLibrary(os.path.dirname(__file__) + '/libx.so')",
            "ctypes.cdll.LoadLibrary",
        ),
        ("pkg_resources.resource_filename(__name__, 'data/x')", "pkg_resources.resource_filename"),
        ("open(__spec__.origin.replace('.py', '.txt'))", "open"),
        (
            "sys.path.insert(0, os.path.join(os.path.dirname(__file__), '_vendor'))",
            "sys.path.insert",
        ),
    ],
)
def test_file_access_next_to_the_module_is_found(source: str, call: str) -> None:
    module = (
        f"import ctypes, glob, os, sys\nimport pkg_resources\nfrom pathlib import Path\n{source}\n"
    )
    assert _calls(module) == [(4, call)]


def test_paths_flow_through_names_attributes_functions_and_defaults() -> None:
    source = """\
        import os
        from os.path import dirname, join as j
        HERE = dirname(os.path.abspath(__file__))
        DATA = j(HERE, "data")

        def data_dir():
            return DATA

        def read(name, base=HERE):
            with open(j(base, name)) as stream:
                return stream.read()

        class Table:
            ROOT = HERE
            def __init__(self):
                self._dir = data_dir()
            def rows(self):
                return os.listdir(self._dir)
            def header(self):
                return open(os.path.join(self.ROOT, "header.txt")).read()
        """
    assert _calls(source) == [(10, "open"), (18, "os.listdir"), (20, "open")]
    # Each public name, attribute and return value lets the path leave: other code may
    # open it where this analysis cannot see.
    assert _evidence(source) == [
        (3, "a path next to __file__ is stored in HERE"),
        (4, "a path next to __file__ is stored in DATA"),
        (7, "a path next to __file__ is returned by data_dir()"),
        (10, "open() of a path next to __file__"),
        (14, "a path next to __file__ is stored in ROOT"),
        (16, "a path next to __file__ is stored on ._dir"),
        (18, "os.listdir() of a path next to __file__"),
        (20, "open() of a path next to __file__"),
    ]


def test_zip_safe_uses_are_not_reported() -> None:
    source = """\
        import importlib.resources, os, pkgutil, logging
        from pathlib import Path
        HERE = os.path.dirname(__file__)
        log = logging.getLogger(__name__)
        log.debug("loaded from %s", __file__)
        name = os.path.basename(__file__)
        open(name)  # basename: no longer a path next to the module
        text = importlib.resources.files(__package__).joinpath("x.txt").read_text()
        data = pkgutil.get_data(__name__, "x.txt")
        source = __loader__.get_data(__file__)
        if __file__.endswith(".pyc"):
            pass
        _here = os.path.dirname(__file__)  # private, and used by nothing that opens it
        stem = Path(__file__).stem

        def other(path):
            return open(path).read()  # a parameter: not known to be next to the module
        """
    assert _evidence(source) == [(3, "a path next to __file__ is stored in HERE")]


def test_a_name_in_another_function_is_another_name() -> None:
    source = """\
        import os
        def one():
            path = os.path.dirname(__file__)
            print(path)
        def two(path):
            return open(path)
        """
    assert _evidence(source) == []


def test_diagnostics_and_maintainer_scripts_are_ignored() -> None:
    source = """\
        import os
        try:
            from . import _core
        except ImportError:
            found = os.listdir(__path__[0])  # numpy explains a failed import like this
            raise ImportError(f"found {found}")

        if __name__ == "__main__":
            with open(__file__, "w") as stream:  # regenerate this file
                stream.write("")
        """
    assert _calls(source) == []


def test_file_of_another_package_marks_that_package() -> None:
    source = """\
        import os, other.mod, pkg.sub
        os.path.isfile(other.mod.__file__)
        os.path.isfile(pkg.sub.__file__)
        """
    found = scan_file_access(textwrap.dedent(source).encode(), "<test>", "pkg")
    assert [(a.line, a.call, a.module) for a in found] == [
        (2, "", "other.mod"),
        (3, "os.path.isfile", ""),
    ]
    assert found[0].describe() == "builds a path from other.mod.__file__"


def test_path_naming_a_data_file_is_evidence_wherever_it_is_opened() -> None:
    source = """\
        from pathlib import Path
        import os
        class Writer:
            template = Path(__file__).parent / "template.txt"
            stylesheet_dirs = [".", str(Path(__file__).parent)]
        def helper_module():
            return os.path.join(os.path.dirname(__file__), "helpers")
        """
    found = scan_file_access(textwrap.dedent(source).encode(), "<test>", "pkg", {"template.txt"})
    assert [(a.line, a.call, a.data_file, a.escapes) for a in found] == [
        (4, "", "template.txt", ""),
        (5, "", "", "stored in stylesheet_dirs"),
        (7, "", "", "returned by helper_module()"),
    ]
    assert found[0].describe() == "builds the path of 'template.txt' next to __file__"


def test_modules_of_this_package_and_module_variables() -> None:
    source = """\
        import os
        from . import cfuncs
        def sources(module):
            mine = os.path.join(os.path.dirname(cfuncs.__file__), "src")
            theirs = os.path.dirname(os.path.dirname(module.__file__))
            first = os.listdir(mine)
            second = os.listdir(theirs)
            return first, second
        """
    assert _calls(source) == [(6, "os.listdir")]
    (access,) = scan_file_access(textwrap.dedent(source).encode(), "<test>", "pkg")
    assert access.climbs is False  # module.__file__ is not this package's


def test_climbing_out_of_the_module_directory_is_flagged() -> None:
    beside = scan_file_access(b"import os\nopen(os.path.join(os.path.dirname(__file__), 'x'))\n")
    above = scan_file_access(
        b"import os\nROOT = os.path.dirname(os.path.dirname(__file__))\n"
        b"open(os.path.join(ROOT, 'x'))\n"
    )
    parent = scan_file_access(
        b"from pathlib import Path\n(Path(__file__).parent.parent / 'x').read_text()\n"
    )
    dots = scan_file_access(
        b"import os\nopen(os.path.join(os.path.dirname(__file__), '..', 'x'))\n"
    )
    assert [a.climbs for a in (*beside, *above, *parent, *dots)] == [False, True, True, True, True]
    assert above[0].describe() == "a path next to __file__ is stored in ROOT"


def test_unparsable_or_unrelated_modules_cost_nothing() -> None:
    assert scan_file_access(b"def broken(:\n    __file__") == []
    assert scan_file_access(b"print('no markers here')\n") == []


def test_description_for_the_report() -> None:
    (access,) = scan_file_access(b"import os\nos.listdir(__path__[0])\n")
    assert access.describe() == "os.listdir() of a path next to __file__"
    (resource,) = scan_file_access(
        b"import pkg_resources\npkg_resources.resource_filename(__name__, 'x')\n"
    )
    assert resource.describe() == "pkg_resources.resource_filename() needs real files"


def test_a_branch_that_raises_is_an_error_report() -> None:
    source = """\
        import os, sys
        if not os.environ.get("OK"):
            path = sys.modules["pkg"].__path__
            raise ImportError(f"broken install in {path}")
        else:
            HERE = os.path.dirname(__file__)
        """
    assert _evidence(source) == [(6, "a path next to __file__ is stored in HERE")]


def test_findings_are_kept_by_content_and_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLER_BUILD_CACHE", str(tmp_path))
    code = b"import os\nDATA = open(os.path.join(os.path.dirname(__file__), 'x.txt'))\n"
    first = cached_file_access(Results("scans"), code, "pkg/mod.py", "pkg", ["x.txt"])
    assert first == scan_file_access(code, "pkg/mod.py", "pkg", ["x.txt"]) != []
    monkeypatch.setattr(zipsafety_module, "scan_file_access", lambda *args: [])
    assert cached_file_access(Results("scans"), code, "pkg/mod.py", "pkg", ["x.txt"]) == first
    assert cached_file_access(Results("scans"), code, "pkg/mod.py", "pkg", ["y.txt"]) == []
