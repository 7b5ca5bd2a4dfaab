"""The units of native code: one per extension module, which needs the other files of
its directory and the bundled libraries it loads (its ELF ``DT_NEEDED`` closure)."""

from __future__ import annotations

from pathlib import Path

from bundler.plan.extraction import ExtractionPlan, ExtractUnit, plan_extraction
from bundler.plan.nativeunits import ExtractReason
from tests.helpers.elf import elf_object
from tests.helpers.environments import install_distribution
from tests.plan.conftest import SO, plan_app

WHEEL = {"nat-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nTag: cp311-cp311-linux_x86_64\n"}
LIBS = "$ORIGIN/../nat.libs"


def _install(site: Path, files: dict[str, bytes]) -> None:
    """Install distribution ``nat`` with ``files`` (bytes: ELF objects) and its package."""
    placeholders = {name: "" for name in files}
    init = {"nat/__init__.py": "import importlib.resources\nfrom nat import core, extra\n"}
    install_distribution(site, "nat", {**init, **placeholders, **WHEEL})
    for name, data in files.items():
        (site / name).write_bytes(data)


def _plan(tmp_path: Path) -> ExtractionPlan:
    planned = plan_app(tmp_path, "nat")
    return plan_extraction(planned.graph, planned.payload, planned.env)


def test_extension_needs_only_the_libraries_it_loads(tmp_path: Path) -> None:
    core, extra = f"nat/core{SO}", f"nat/extra{SO}"
    _install(
        tmp_path / "site",
        {
            core: elf_object(["liba.so", "libc.so.6"], rpath=LIBS),
            extra: elf_object(["libd.so"], runpath=LIBS),
            "nat.libs/liba.so": elf_object(["libb.so.1", "libm.so.6"], rpath="$ORIGIN"),
            "nat.libs/libb.so.1": elf_object(["liba.so"], rpath="$ORIGIN"),  # a cycle
            "nat.libs/libc-unused.so": elf_object(),
            "nat.libs/libd.so": elf_object(),
        },
    )
    plan = _plan(tmp_path)

    # libc-unused.so is loaded by no extension: it may be loaded by name at run time, so
    # it stays in a unit every extension of the distribution needs.
    assert plan.units[core].needs == ("nat.libs/liba.so", "nat.libs/libb.so.1", "nat.libs/")
    assert plan.units[extra].needs == ("nat.libs/libd.so", "nat.libs/")
    assert plan.units["nat.libs/"].members == ("nat.libs/libc-unused.so",)
    size = len(elf_object(["libb.so.1", "libm.so.6"], rpath="$ORIGIN"))
    library = "nat.libs/liba.so"
    assert plan.units[library] == ExtractUnit(library, (library,), (), "nat", size)
    assert plan.modules == {"nat.core": core, "nat.extra": extra}
    reason = "native code: 2 extension modules and nat.libs"
    assert plan.reasons == (ExtractReason("nat 1.0", reason, plan.reasons[0].size),)
    assert plan.reasons[0].size == sum(len(p.read_bytes()) for p in _nat_files(tmp_path))


def test_libraries_loaded_by_every_extension_leave_no_folder_unit(tmp_path: Path) -> None:
    core, extra = f"nat/core{SO}", f"nat/extra{SO}"
    _install(
        tmp_path / "site",
        {
            core: elf_object(["libblas.so"], rpath=LIBS),
            extra: elf_object(["libblas.so"], rpath=LIBS),
            "nat.libs/libblas.so": elf_object(["libgfortran.so.5"], rpath="$ORIGIN"),
            "nat.libs/libgfortran.so.5": elf_object(),
        },
    )
    plan = _plan(tmp_path)

    assert plan.units[core].needs == ("nat.libs/libblas.so", "nat.libs/libgfortran.so.5")
    assert "nat.libs/" not in plan.units


def test_one_extension_that_is_not_elf_keeps_the_folders_whole(tmp_path: Path) -> None:
    core, extra = f"nat/core{SO}", f"nat/extra{SO}"
    _install(
        tmp_path / "site",
        {
            core: elf_object(["liba.so"], rpath=LIBS),
            extra: b"\xcf\xfa\xed\xfe (a Mach-O file)",
            "nat.libs/liba.so": elf_object(),
            "nat.libs/libb.so": elf_object(),
        },
    )
    plan = _plan(tmp_path)

    assert plan.units[core].needs == plan.units[extra].needs == ("nat.libs/",)
    assert plan.units["nat.libs/"].members == ("nat.libs/liba.so", "nat.libs/libb.so")


def _nat_files(tmp_path: Path) -> list[Path]:
    site = tmp_path / "site"
    return [p for p in [*site.glob("nat/*.so"), *site.glob("nat.libs/*")] if p.is_file()]
