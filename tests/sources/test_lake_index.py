"""The lake's index (issue 15, incremental re-measure): part summaries and the version index, written at
ingestion, let a month be measured from its own records and the versions that changed, not the whole
lake. The values are those of the window over every version; a lake without the index is still read
right, and a crash between the index file and its part leaves nothing half-written.

Dossier X arrives in March as received, in April resolved on 30/3 (late), and in May corrected: it was
resolved on 1/4. Y comes in March, resolved on time, and again unchanged in April; Z is received in April.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from chiso.sources import ingest as ingest_module
from chiso.sources.engines import SparkEngine, make_engine
from chiso.sources.index import read_index
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, load_measures
from chiso.sources.service import measure
from chiso.sources.versions import History

BASE = {"procedure_code": "1.1", "receiving_unit": "01840", "level": "commune", "service_mode": "offline",
        "channel": "counter", "digitised": True}  # fmt: skip
X = {**BASE, "id": "X", "received_at": "2025-03-03T08:00:00", "due_at": "2025-03-20T08:00:00"}
Y = {**BASE, "id": "Y", "received_at": "2025-03-02T08:00:00", "due_at": "2025-03-20T08:00:00",
     "resolved_at": "2025-03-10T08:00:00", "status": "resolved", "updated_at": "2025-03-10T08:00:00"}  # fmt: skip
FILES = {
    "dossiers-2025-03.jsonl": [{**X, "status": "received", "updated_at": "2025-03-03T08:00:00"}, Y],
    "dossiers-2025-04.jsonl": [
        {**X, "status": "resolved", "resolved_at": "2025-03-30T08:00:00", "updated_at": "2025-04-02T09:00:00"},
        Y,
        {
            **BASE,
            "id": "Z",
            "received_at": "2025-04-05T08:00:00",
            "status": "received",
            "updated_at": "2025-04-05T08:00:00",
        },
    ],
    "dossiers-2025-05.jsonl": [
        {**X, "status": "resolved", "resolved_at": "2025-04-01T08:00:00", "updated_at": "2025-05-05T09:00:00"}
    ],
}
RESULTS = load_measures("service-2025")
CELLS = ["unit", "variable", "period", "value", "records", "first_record_at", "last_record_at"]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "var")
    for name, records in FILES.items():
        report = ingest_file(_write(tmp_path / name, records), "dossiers", lake=lake)
        assert report.status == "ingested" and report.quarantined == 0, report
    return lake


def _values(lake: Lake, engine="duckdb", **options) -> pd.DataFrame:
    values = measure(lake=lake, measures=RESULTS, grains=[Grain.MONTH], era=None, engine=engine, **options).values
    return values[CELLS].sort_values(CELLS[:3]).reset_index(drop=True)


def _cell(values: pd.DataFrame, variable: str, period: str) -> float | None:
    found = values[(values["unit"] == "01840") & (values["variable"] == variable) & (values["period"] == period)]
    return float(found["value"].iloc[0]) if len(found) else None


def _without_index(lake: Lake, tmp_path: Path) -> Lake:
    """The same parts without `_index/`: a lake written before the index (its parts are marked)."""
    copy = Lake(tmp_path / "before-index")
    shutil.copytree(lake.records_dir("dossiers"), copy.records_dir("dossiers"), ignore=shutil.ignore_patterns("_index"))
    shutil.copytree(lake.root / "ingest", copy.root / "ingest")
    return copy


def test_the_version_index_lists_each_version_of_a_changed_record_once(lake: Lake):
    index = read_index(lake, "dossiers")
    assert index.history is History.INDEXED and len(index.parts) == 3
    listed = {
        path.name: [(r["id"], r["seq"], r["relisted"]) for r in pq.read_table(path).to_pylist()]
        for path in index.version_files
    }
    by_file = {json.loads(p.read_text())["file"].rsplit("/", 1)[-1]: p.stem for p in (lake.root / "ingest").iterdir()}
    # April made X a record with several versions: its March version is listed there with the new one;
    # May lists X's three versions again, relisted (April's listing is superseded); March and Y (sent
    # again unchanged) are in no index file.
    assert listed == {
        f"part-{by_file['dossiers-2025-04.jsonl']}.parquet": [("X", 1, False)] * 2,
        f"part-{by_file['dossiers-2025-05.jsonl']}.parquet": [("X", 2, True)] * 3,
    }
    may = pq.read_table(lake.versions_path("dossiers", f"part-{by_file['dossiers-2025-05.jsonl']}.parquet"))
    validity = sorted((str(r["__valid_from"]), str(r["__valid_to"])) for r in may.to_pylist())
    assert validity == [
        ("2025-04-02 09:00:00", "2025-05-05 09:00:00"),
        ("2025-05-05 09:00:00", "None"),
        ("None", "2025-04-02 09:00:00"),
    ]
    summaries = json.loads(lake.summaries_path("dossiers").read_text(encoding="utf-8"))["parts"]
    assert sorted(summaries) == sorted(p.name for p in index.parts)
    april = summaries[f"part-{by_file['dossiers-2025-04.jsonl']}.parquet"]
    assert april["rows"] == 2 and april["ids"] == ["X", "Z"] and april["versions"] is True
    assert april["times"]["received_at"] == ["2025-03-03 08:00:00", "2025-04-05 08:00:00"]
    assert april["times"]["resolved_at"] == ["2025-03-30 08:00:00", "2025-03-30 08:00:00"]


def test_each_state_is_read_through_the_index(lake: Lake):
    latest = _values(lake, as_of="latest")  # X resolved on 1/4: it left March
    assert (_cell(latest, "resolved", "2025-03"), _cell(latest, "on_time", "2025-03")) == (1, 1)
    assert (_cell(latest, "resolved", "2025-04"), _cell(latest, "on_time", "2025-04")) == (1, 0)
    then = _values(lake, as_of="2025-04-30")  # the April version: resolved on 30/3, late
    assert (_cell(then, "resolved", "2025-03"), _cell(then, "on_time", "2025-03")) == (2, 1)
    assert _cell(then, "resolved", "2025-04") is None
    closed = _values(lake)  # each month as it closed: X was not resolved by the end of March or April
    assert (_cell(closed, "resolved", "2025-03"), _cell(closed, "resolved", "2025-04")) == (1, None)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_lake_without_the_index_gives_the_same_values(lake: Lake, tmp_path: Path, engine: str, request):
    runner = SparkEngine(session=request.getfixturevalue("spark")) if engine == "spark" else engine
    before = _without_index(lake, tmp_path)
    assert read_index(before, "dossiers").history is History.WINDOW
    for as_of in ("latest", "2025-04-30", "2025-04-02T09:00:00", None):
        pd.testing.assert_frame_equal(
            _values(lake, runner, as_of=as_of), _values(before, runner, as_of=as_of), check_exact=True
        )
    notes = measure(lake=before, measures=RESULTS, grains=[Grain.MONTH], era=None).notes
    assert any("no version index" in n and "ingest the files again" in n for n in notes)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_window_of_months_reads_only_its_parts_and_gives_the_values_of_a_full_measure(
    lake: Lake, engine: str, request
):
    runner = SparkEngine(session=request.getfixturevalue("spark")) if engine == "spark" else engine
    index = read_index(lake, "dossiers")
    # The March part holds nothing resolved in April: it is not read for April's resolutions.
    assert len(index.within("resolved_at", "2025-04-01", "2025-05-01")) == 1
    assert len(index.within("received_at", "2025-04-01", "2025-05-01")) == 1
    for as_of in ("latest", "2025-04-30", None):
        full = _values(lake, runner, as_of=as_of)
        window = _values(lake, runner, as_of=as_of, since="2025-04-01", until="2025-05-01")
        expected = full[full["period"] == "2025-04"].reset_index(drop=True)
        # (a measure with no value in the window leaves an empty frame: object columns, the same values)
        pd.testing.assert_frame_equal(window, expected, check_exact=True, check_dtype=False)


def test_a_stale_or_damaged_summary_file_is_only_slower(lake: Lake):
    expected = _values(lake, as_of="latest")
    lake.summaries_path("dossiers").write_text("{not json", encoding="utf-8")
    assert len(read_index(lake, "dossiers").parts) == 3  # summarised from the footers
    pd.testing.assert_frame_equal(_values(lake, as_of="latest"), expected)
    for text in ("[]", json.dumps({"schema": "chiso.lake-index/1", "parts": {}})):
        lake.summaries_path("dossiers").write_text(text, encoding="utf-8")
        pd.testing.assert_frame_equal(_values(lake, as_of="latest"), expected)


def test_a_crash_between_the_index_file_and_its_part_leaves_the_lake_as_it_was(lake: Lake, tmp_path: Path, monkeypatch):
    before = _values(lake, as_of="latest")
    z_resolved = {**FILES["dossiers-2025-04.jsonl"][2], "status": "resolved", "resolved_at": "2025-04-10T08:00:00",
                  "due_at": "2025-04-20T08:00:00", "updated_at": "2025-06-01T08:00:00"}  # fmt: skip
    june = _write(tmp_path / "dossiers-2025-06.jsonl", [z_resolved])
    real = ingest_module.atomic_write

    def crash_on_the_part(path: Path, write) -> None:
        if path.parent == lake.records_dir("dossiers"):
            raise OSError("disk full")
        real(path, write)

    monkeypatch.setattr(ingest_module, "atomic_write", crash_on_the_part)
    failed = ingest_file(june, "dossiers", lake=lake)
    assert failed.status == "failed" and "disk full" in failed.error
    orphans = [
        p
        for p in (lake.index_dir("dossiers") / "versions").iterdir()
        if not (lake.records_dir("dossiers") / p.name).exists()
    ]
    assert len(orphans) == 1  # the index file of the part that never came: ignored
    pd.testing.assert_frame_equal(_values(lake, as_of="latest"), before)
    monkeypatch.setattr(ingest_module, "atomic_write", real)
    again = ingest_file(june, "dossiers", lake=lake)
    assert (again.status, again.added, again.updated) == ("ingested", 1, 1)
    assert read_index(lake, "dossiers").history is History.INDEXED
    assert (_cell(before, "resolved", "2025-04"), _cell(_values(lake, as_of="latest"), "resolved", "2025-04")) == (1, 2)


def test_parts_are_ordered_by_month_then_resolution(simulated: Path, tmp_path: Path):
    year = Lake(tmp_path / "year")
    path = next(p for p in sorted(simulated.glob("dossiers-*.parquet")))
    assert ingest_file(path, "dossiers", lake=year).status == "ingested"
    (part,) = year.parts("dossiers")
    con = duckdb.connect()
    unordered = con.execute(
        f"""SELECT count(*) FROM (
              SELECT date_trunc('month', received_at) AS m, resolved_at AS r,
                     lag(date_trunc('month', received_at)) OVER w AS pm, lag(resolved_at) OVER w AS pr
              FROM read_parquet('{part}', file_row_number = true) WINDOW w AS (ORDER BY file_row_number))
            WHERE m < pm OR (m = pm AND (pr IS NULL AND r IS NOT NULL OR r < pr))"""
    ).fetchone()
    assert unordered == (0,)


def test_a_measure_that_fails_before_running_leaves_no_engine_open(lake: Lake, monkeypatch):
    """The engine is opened after everything that reads the lake's index: an index that cannot be read
    raises without leaving a connection behind (it leaked one before)."""
    from chiso.sources import service

    opened = []

    def recording_engine(name, **options):
        engine = make_engine(name, **options)
        opened.append(engine)
        return engine

    def unreadable(lake, source):
        raise OSError(f"{source}: the index cannot be read")

    monkeypatch.setattr(service, "make_engine", recording_engine)
    monkeypatch.setattr(service, "read_index", unreadable)
    with pytest.raises(OSError, match="cannot be read"):
        measure(lake=lake, measures=RESULTS, grains=[Grain.MONTH])
    assert opened == []
