"""Measures over a handful of records whose values are known, on recorded units and on 2025 units."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from chiso.sources.compiler import EngineError, compile_measure
from chiso.sources.engines import DuckDBEngine
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Aggregate, Grain, load_measures
from chiso.sources.service import explain, measure, values_in

HEADER = (
    "id,procedure_code,receiving_unit,level,service_mode,service_level,channel,received_at,due_at,resolved_at,"
    "status,digitised"
)
ROWS = [
    # 05431 and 05434 (2024 codes) went whole into 05482; 01840 (2024) became 01840 (2025).
    "A,1.1,05431,commune,full_online,,online,2025-03-02 08:00,2025-03-10 08:00,2025-03-05 08:00,resolved,true",
    "B,1.1,05431,commune,offline,,counter,2025-03-03 08:00,2025-03-10 08:00,2025-03-20 08:00,resolved,false",
    "C,1.1,05431,commune,partial_online,,online,2025-03-04 08:00,2025-03-30 08:00,,processing,false",
    "D,1.1,05434,commune,full_online,,online,2025-05-04 08:00,2025-05-10 08:00,2025-05-09 08:00,resolved,true",
    "E,1.1,01840,commune,offline,,counter,2025-02-04 08:00,,2025-02-04 10:00,resolved,true",
    "F,1.1,05482,commune,full_online,,online,2025-08-04 08:00,2025-08-10 08:00,2025-08-06 08:00,resolved,true",
    "G,1.1,05482,commune,offline,,counter,2025-08-05 08:00,2025-08-10 08:00,2025-08-12 08:00,resolved,true",
    "H,1.1,01840,commune,full_online,,online,2025-09-05 08:00,2025-09-10 08:00,,received,false",
    "I,1.1,05431,commune,,4,online,2022-03-01 08:00,2022-03-05 08:00,2022-03-02 08:00,resolved,false",
    "J,1.1,19-SKHCN,province,full_online,,online,2025-09-05 08:00,2025-09-10 08:00,,received,false",
]


@pytest.fixture
def small_lake(tmp_path: Path) -> Lake:
    path = tmp_path / "dossiers.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    lake = Lake(tmp_path / "var")
    report = ingest_file(path, "dossiers", lake=lake)
    assert (report.added, report.quarantined) == (10, 0)
    return lake


def _cells(frame: pd.DataFrame) -> dict[tuple[str, str, str, str], float]:
    return {(r.unit_era, r.unit, r.variable, r.period): r.value for r in frame.itertuples()}


def test_values_on_recorded_units(small_lake: Lake):
    result = measure(
        lake=small_lake, measures=load_measures("commune-2025"), grains=[Grain.YEAR, Grain.MONTH], era=None
    )
    cells = _cells(result.values)
    assert cells[("2024", "05431", "dossiers_received", "2025")] == 3
    assert cells[("2024", "05431", "dossiers_full_online", "2025")] == 1
    assert cells[("2024", "05431", "dossiers_resolved", "2025")] == 2
    assert cells[("2024", "05431", "dossiers_on_time", "2025")] == 1
    assert cells[("2024", "05431", "dossiers_full_online", "2022")] == 1  # level 4, online, before Decree 42
    assert cells[("2024", "01840", "dossiers_on_time", "2025-02")] == 1  # no deadline: on time
    assert cells[("2025", "01840", "dossiers_received", "2025-09")] == 1
    assert ("2025", "19-SKHCN", "dossiers_received", "2025") not in cells  # a department, not a commune
    assert set(result.values["source"]) == {"measured"}
    assert ("2024", "05431", "dossiers_resolved", "2025-03") in cells and cells[
        ("2024", "05431", "dossiers_resolved", "2025-03")
    ] == 2


def test_values_on_2025_units_follow_the_succession_map(small_lake: Lake):
    result = measure(lake=small_lake, measures=load_measures("commune-2025"), grains=[Grain.YEAR, Grain.QUARTER])
    cells = _cells(result.values)
    # 05482 = old 05431 (A, B, C) + old 05434 (D) + its own F, G
    assert cells[("2025", "05482", "dossiers_received", "2025")] == 6
    assert cells[("2025", "05482", "dossiers_full_online", "2025")] == 3
    assert cells[("2025", "05482", "dossiers_resolved", "2025")] == 5
    assert cells[("2025", "05482", "dossiers_on_time", "2025")] == 3
    assert cells[("2025", "05482", "dossiers_digitised", "2025")] == 4
    assert cells[("2025", "05482", "dossiers_received", "2025-Q1")] == 3
    assert cells[("2025", "01840", "dossiers_received", "2025")] == 2
    assert set(result.values["unit_era"]) == {"2025"}
    row = result.values[result.values["unit"] == "05482"].iloc[0]
    lineage = json.loads(row["lineage"])
    assert lineage["set"] == "commune-2025" and lineage["version"] == 1 and lineage["units"] == "2025"
    assert lineage["engine"] == "duckdb" and lineage["lake_parts"] == 1


def test_new_units_with_a_split_predecessor_are_not_derived_before_the_break(simulated: Path, lake: Lake):
    result = measure(lake=lake, measures=load_measures("commune-2025"), grains=[Grain.QUARTER], province="19")
    underived = set(result.underived["unit"])
    assert underived and underived <= {"01957", "05443", "05467", "05500", "05719", "05908", "05941"}
    values = result.values
    assert not ((values["unit"].isin(underived)) & (values["period"] < "2025-Q3")).any()
    after = values[values["period"] == "2025-Q4"]
    assert after.groupby("variable")["unit"].nunique().eq(92).all()


def test_lineage_lists_the_records_by_file(small_lake: Lake):
    found = explain(
        lake=small_lake,
        measures=load_measures("commune-2025"),
        unit="05482",
        variable="dossiers_on_time",
        period="2025",
    )
    assert found["value"] == 3 and found["records"] == 5
    assert found["definition"]["measure"] == "dossiers_resolved"
    (batch,) = found["batches"]
    assert batch["records"] == 5 and batch["counted"] == 3 and batch["file"].endswith("dossiers.csv")
    assert batch["sample_ids"] == ["A", "B", "D", "F", "G"]


def test_an_engine_that_cannot_run_a_measure_says_so(small_lake: Lake, monkeypatch):
    engine = DuckDBEngine()
    monkeypatch.setattr(DuckDBEngine, "aggregates", frozenset({Aggregate.COUNT}))
    try:
        with pytest.raises(EngineError, match="engine duckdb cannot run measure work_records: aggregate"):
            measure(lake=small_lake, measures=load_measures("commune-2025"), engine=engine)
    finally:
        engine.close()


def test_the_same_tree_renders_for_both_dialects():
    query = compile_measure(load_measures("commune-2025").measures[0], Grain.MONTH, era="2025")
    duck, spark = query.sql("duckdb", "duckdb"), query.sql("spark", "spark")
    assert "LEFT JOIN unit_map" in duck and "LEFT JOIN unit_map" in spark
    assert '"s"."service_mode"' in duck and "`s`.`service_mode`" in spark


def test_measured_values_go_to_the_value_store_with_their_lineage(small_lake: Lake):
    result = measure(lake=small_lake, measures=load_measures("commune-2025"), grains=[Grain.YEAR])
    v = result.values
    inputs = values_in(v[(v["unit"] == "05482") & (v["variable"] == "dossiers_received") & (v["period"] == "2025")])
    assert len(inputs) == 1
    value = inputs[0]
    assert (value.unit_code, value.variable, value.period, value.value) == ("05482", "dossiers_received", "2025", 6)
    assert value.source == "measured"
    lineage = value.lineage or {}
    assert lineage["measure"].startswith("commune-2025:") and lineage["measure_version"] == 1
    assert lineage["records"] == 6 and lineage["period"] == "2025" and lineage["unit_era"] == "2025"
    assert lineage["first_record_at"] == "2025-03-02T08:00:00" and lineage["last_record_at"] == "2025-08-05T08:00:00"
    assert lineage["simulated"] is False and lineage["engine"] == "duckdb" and lineage["grain"] == "year"
    assert [f["file"] for f in lineage["files"]] == ["dossiers.csv"] and len(lineage["files"][0]["sha256"]) == 64
    assert dt.datetime.fromisoformat(lineage["computed_at"]).tzinfo is not None
