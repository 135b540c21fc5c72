"""The shipped data is exactly what tools/export_units.py makes from the installed sources."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "chiso" / "units" / "data"
GENERATED = ("units.csv.gz", "succession.csv.gz", "sources.json", "geo/NOTICE.yaml")


def load_exporter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("export_units", ROOT / "tools" / "export_units.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["export_units"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    exporter = load_exporter()
    files: dict[str, bytes] = exporter.build(SHARED / "geo")
    return files


def test_shipped_data_matches_a_fresh_export(built: dict[str, bytes]) -> None:
    for name in GENERATED:
        assert (DATA / name).read_bytes() == built[name], f"{name} is stale: run tools/export_units.py"


def test_shipped_boundaries_are_the_shared_files(built: dict[str, bytes]) -> None:
    shipped = {p.relative_to(DATA).as_posix() for p in (DATA / "geo").rglob("*.gz")}
    expected = {name for name in built if name.endswith(".geojson.gz")}
    assert shipped == expected
    assert len(shipped) == 36
    for name in expected:
        assert (DATA / name).read_bytes() == built[name], name


def test_a_second_run_writes_the_same_bytes(built: dict[str, bytes], tmp_path: Path) -> None:
    exporter = load_exporter()
    assert exporter.main(["--geo", str(SHARED / "geo"), "--out", str(tmp_path)]) == 0
    for name, data in built.items():
        assert (tmp_path / name).read_bytes() == data, name


def test_exporter_refuses_a_stale_patch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = load_exporter()
    patches = (DATA / "patches.yaml").read_text(encoding="utf-8")
    stale = tmp_path / "data"
    stale.mkdir()
    (stale / "patches.yaml").write_text(patches.replace('table_province: "82"', 'table_province: "83"'))
    monkeypatch.setattr(exporter, "DATA", stale)
    with pytest.raises(exporter.ExportError, match="table-27691-province"):
        exporter.build(SHARED / "geo")
