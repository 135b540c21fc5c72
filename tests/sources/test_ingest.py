"""Ingestion: every record checked, bad ones quarantined with the reason, good ones appended once."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chiso.sources import ingest as ingest_module
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.service import quarantine
from chiso.sources.simulate import Plan, simulate


def _rows(lake: Lake, source: str) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in lake.parts(source))


def _corrupt(path: Path) -> dict[int, str]:
    """Damage some lines of a simulated dossiers CSV; returns line number → expected reason."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    col = {name: i for i, name in enumerate(header)}
    expected: dict[int, str] = {}

    def edit(line_no: int, reason: str, **changes: str) -> None:
        row = next(csv.reader([lines[line_no - 1]]))
        for name, value in changes.items():
            row[col[name]] = value
        lines[line_no - 1] = ",".join(f'"{v}"' if v else "" for v in row)
        expected[line_no] = reason

    n = len(lines)
    dates = {i: next(csv.reader([lines[i - 1]]))[col["received_at"]] for i in range(2, n + 1)}
    early = next(i for i in range(2, n + 1) if dates[i] < "2025-07")
    late = next(i for i in range(n - 1, 1, -1) if dates[i] >= "2025-07")
    edit(early, "receiving_unit: not a unit code valid on the record's date", receiving_unit="19-SKHCN")
    edit(late, "receiving_unit: not a unit code valid on the record's date", receiving_unit="05431")
    edit(early + 1, "status: not one of", status="done")
    edit(early + 2, "received_at: not a timestamp", received_at="31/02/2025")
    edit(early + 3, "satisfaction: above 5", satisfaction="9")
    edit(early + 4, "digitised: missing", digitised="")
    edit(early + 5, "paid_online: not a bool", paid_online="maybe")
    edit(early + 6, "resolved_at is before received_at", resolved_at="2020-01-01 00:00:00", status="resolved")
    lines[early + 7 - 1] = ",".join(lines[early + 7 - 1].split(",")[:5])  # a line cut short
    expected[early + 7] = f"malformed CSV row: 5 columns, expected {len(header)}"
    lines[-1] = ",".join(lines[-1].split(",")[:9])  # the file stops half way through its last line
    expected[len(lines)] = f"malformed CSV row: 9 columns, expected {len(header)}"
    path.write_text("\n".join(lines), encoding="utf-8")
    return expected


def test_a_year_with_a_corrupted_file(tmp_path: Path):
    incoming = tmp_path / "in"
    simulate(Plan("19", (2025,), seed=3, scale=0.004, sources=("dossiers",), format="csv"), incoming)
    simulate(Plan("19", (2025,), seed=3, scale=0.004, sources=("documents", "staff")), incoming)
    damaged = incoming / "dossiers-19-2025.csv"
    total = len(damaged.read_text(encoding="utf-8").splitlines()) - 1
    expected = _corrupt(damaged)
    lake = Lake(tmp_path / "var")
    reports = {p.name: ingest_file(p, p.name.split("-")[0], lake=lake) for p in sorted(incoming.iterdir())}

    report = reports[damaged.name]
    assert report.status == "ingested"
    assert report.quarantined == len(expected) and report.added == total - len(expected)
    assert _rows(lake, "dossiers") == total - len(expected)
    bad = quarantine(lake=lake, source="dossiers")
    assert sorted(bad["row"]) == sorted(expected)
    for row, reason in expected.items():
        assert reason in bad.loc[bad["row"] == row, "reason"].iloc[0], (row, bad[bad["row"] == row].to_dict())
    assert all(bad["record"].str.len() > 0)
    assert reports["documents-19-2025.parquet"].quarantined == 0

    before = {s: _rows(lake, s) for s in ("dossiers", "documents", "staff")}
    again = [ingest_file(p, p.name.split("-")[0], lake=lake) for p in sorted(incoming.iterdir())]
    assert {r.status for r in again} == {"already ingested"} and sum(r.added for r in again) == 0
    forced = [ingest_file(p, p.name.split("-")[0], lake=lake, force=True) for p in sorted(incoming.iterdir())]
    assert {s: _rows(lake, s) for s in before} == before
    assert len(quarantine(lake=lake, source="dossiers")) == len(expected)
    assert all(r.status == "ingested" for r in forced)


def test_the_same_records_in_another_file_add_nothing(tmp_path: Path, simulated: Path):
    lake = Lake(tmp_path)
    first = ingest_file(simulated / "dossiers-19-2025.parquet", "dossiers", lake=lake)
    table = pq.read_table(simulated / "dossiers-19-2025.parquet")
    copy = tmp_path / "dossiers-export.parquet"
    pq.write_table(pa.concat_tables([table.slice(0, 10), table.slice(0, 10)]), copy)  # also duplicated inside
    second = ingest_file(copy, "dossiers", lake=lake)
    assert first.added == table.num_rows
    assert second.status == "ingested" and second.added == 0 and second.duplicates == 20
    assert _rows(lake, "dossiers") == table.num_rows


def test_json_lines_are_checked_too(tmp_path: Path):
    path = tmp_path / "documents.jsonl"
    good = {
        "id": "V1",
        "sender_unit": "19-SKHCN",
        "recipient_units": ["01840", "01843"],
        "sent_at": "2025-08-01T09:00:00",
        "electronic": True,
        "signed": True,
        "kind": "decision",
    }
    rows = [
        json.dumps(good),
        json.dumps({**good, "id": "V2", "recipient_units": ["01840", "99999"]}),
        json.dumps({**good, "id": "V3", "electronic": False}),
        json.dumps({**good, "id": "V4", "work_record_id": "R1"}),
        '{"id": "V5", "sender_unit": ',
        json.dumps({**good, "id": "V6", "sent_at": "2025-03-01T09:00:00"}),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    lake = Lake(tmp_path / "var")
    report = ingest_file(path, "documents", lake=lake)
    assert (report.rows, report.added, report.quarantined) == (6, 1, 5)
    reasons = dict(zip(quarantine(lake=lake)["row"], quarantine(lake=lake)["reason"], strict=True))
    assert reasons[2] == "recipient_units: not unit codes valid on the record's date (99999)"
    assert reasons[3] == "a signed document must be electronic"
    assert reasons[4] == "work_record_electronic goes with work_record_id"
    assert reasons[5].startswith("not valid JSON")
    assert reasons[6].startswith("sender_unit: not a unit code valid on the record's date (19-SKHCN, era 2024)")


def test_an_unreadable_file_leaves_nothing(tmp_path: Path, simulated: Path):
    source = simulated / "dossiers-19-2024.parquet"
    cut = tmp_path / "dossiers-cut.parquet"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    lake = Lake(tmp_path / "var")
    report = ingest_file(cut, "dossiers", lake=lake)
    assert report.status == "failed" and "Parquet" in report.error
    assert not lake.parts("dossiers") and not lake.quarantine_files() and not lake.reports()


def test_a_crash_half_way_leaves_nothing_and_a_rerun_completes(tmp_path: Path, simulated: Path, monkeypatch):
    path = simulated / "dossiers-19-2024.parquet"
    lake = Lake(tmp_path)
    calls = {"n": 0}
    real = ingest_module.validation_sql

    def crash_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "validation_sql", crash_on_second_batch)
    report = ingest_file(path, "dossiers", lake=lake, batch_rows=1000)
    assert report.status == "failed" and report.error == "disk full"
    assert not lake.parts("dossiers") and not lake.reports()
    assert not any((tmp_path / ".staging").iterdir())
    monkeypatch.undo()
    assert ingest_file(path, "dossiers", lake=lake).added == pq.ParquetFile(path).metadata.num_rows


def test_missing_required_columns_fail_the_file(tmp_path: Path):
    path = tmp_path / "staff.csv"
    path.write_text("id,unit\nS1,01840\n", encoding="utf-8")
    report = ingest_file(path, "staff", lake=Lake(tmp_path / "var"))
    assert report.status == "failed" and "official_id" in report.error


@pytest.mark.parametrize("suffix", [".txt", ".xlsx"])
def test_unknown_file_types_are_refused(tmp_path: Path, suffix: str):
    path = tmp_path / f"dossiers{suffix}"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown file type"):
        ingest_file(path, "dossiers", lake=Lake(tmp_path))
