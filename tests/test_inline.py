"""Unit tests of bundler.inline: PEP 723 blocks read as the PEP's reference code reads
them, and every malformed block one line naming the script and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement

from bundler.errors import ScriptMetadataError
from bundler.inline import InlineScript, check_script_python, read_inline_script

VALID = """\
#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = [
#   "requests<3",
#   "rich",
# ]
#
# [tool.other]
# x = 1
# ///
import rich
"""


def _packaging_says(text: str) -> str:
    """packaging's own first line about an invalid requirement (it words it per version)."""
    try:
        Requirement(text)
    except InvalidRequirement as exc:
        return str(exc).splitlines()[0].replace("{", "{{").replace("}", "}}")
    raise AssertionError(f"{text!r} is a valid requirement")


def _script(tmp_path: Path, text: str, name: str = "tool.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_block_gives_the_dependencies_and_the_python(tmp_path: Path) -> None:
    path = _script(tmp_path, VALID)
    assert read_inline_script(path) == InlineScript(path, ("requests<3", "rich"), ">=3.10")
    assert read_inline_script(path).module == "tool"


def test_a_script_without_a_block_needs_nothing(tmp_path: Path) -> None:
    path = _script(tmp_path, "# /// other\n# x = 1\n# ///\nprint('hi')\n")
    assert read_inline_script(path) == InlineScript(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "import os\n# /// script\n# dependencies = [\n# ///\n",
            "{path}:4: invalid TOML in the '# /// script' block (Invalid value)",
        ),
        (
            "# /// script\n# dependencies = ['x']\nimport os\n",
            "{path}:1: the '# /// script' block is not closed by a '# ///' line (every line "
            "up to it must start with '#')",
        ),
        (
            "# /// script\n# dependencies = []\n# ///\n\n# /// script\n# x = 1\n# ///\n",
            "{path}:5: a second '# /// script' block; keep one",
        ),
        (
            "# /// script\n# dependencies = 'rich'\n# ///\n",
            "{path}:1: 'dependencies' in the '# /// script' block must be a list of strings, "
            'such as ["requests<3", "rich"]',
        ),
        (
            "# /// script\n# dependencies = ['rich >>= 1']\n# ///\n",
            "{path}:1: invalid dependency 'rich >>= 1' in the '# /// script' block: "
            + _packaging_says("rich >>= 1"),
        ),
        (
            "# /// script\n# requires-python = '3.10+'\n# ///\n",
            "{path}:1: 'requires-python' in the '# /// script' block must be a version "
            'specifier such as ">=3.10"',
        ),
    ],
)
def test_a_malformed_block_is_one_line_with_the_script_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _script(tmp_path, text)
    with pytest.raises(ScriptMetadataError) as caught:
        read_inline_script(path)
    assert str(caught.value) == message.format(path=path)


def test_a_name_that_is_no_module_name_is_refused_with_one_to_use(tmp_path: Path) -> None:
    path = _script(tmp_path, "print()\n", name="my-tool.py")
    with pytest.raises(ScriptMetadataError) as caught:
        read_inline_script(path)
    assert str(caught.value) == (
        f"{path}: the script's name is not a Python module name; rename it (for example to "
        "my_tool.py)"
    )


def test_a_script_that_is_not_text_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ScriptMetadataError) as caught:
        read_inline_script(path)
    assert str(caught.value) == f"cannot read the script {path}: it is not UTF-8 text"


def test_a_target_python_the_script_excludes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    check_script_python(path, ">=3.10", "3.12.1", "/usr/bin/python3.12")
    check_script_python(path, None, "3.9.0", "/usr/bin/python3.9")
    with pytest.raises(ScriptMetadataError) as caught:
        check_script_python(path, ">=3.10", "3.9.18", "/usr/bin/python3.9")
    assert str(caught.value) == (
        f"{path} requires Python >=3.10 (its '# /// script' block), but the target is Python "
        "3.9.18 (/usr/bin/python3.9): build with --python naming a matching interpreter"
    )
