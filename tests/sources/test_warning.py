"""Early warning (issue 15, item 5): open dossiers near or past their deadline, in working days.

The moment asked is Wednesday 29/4/2026, 10:00. Thursday 30/4 and Friday 1/5 are public holidays
(Labour Code art. 112), 2–3/5 a weekend. Working days left are counted by hand below.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from chiso.errors import PermissionDenied
from chiso.permissions import Actor
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.schemas import SourceError
from chiso.sources.warning import Calendar, HolidaysError, for_actor, read_days_off, warnings

AT = dt.datetime(2026, 4, 29, 10, 0)
BASE = {
    "procedure_code": "1.001",
    "level": "commune",
    "service_mode": "offline",
    "channel": "counter",
    "digitised": False,
    "received_at": "2026-04-20T08:00:00",
    "status": "processing",
}
OWN, OTHER = "01840", "00004"  # two communes of era 2025 (Hà Nội)
FIRST = [
    {**BASE, "id": "A", "receiving_unit": OWN, "due_at": "2026-04-28T17:00:00"},  # Tue: 1 working day late
    {**BASE, "id": "B", "receiving_unit": OWN, "due_at": "2026-04-29T17:00:00", "status": "received"},  # today
    {**BASE, "id": "C", "receiving_unit": OWN, "due_at": "2026-05-04T17:00:00"},  # Mon: 1 (30/4, 1/5 off)
    {**BASE, "id": "D", "receiving_unit": OWN, "due_at": "2026-05-08T17:00:00"},  # Fri: 5
    {**BASE, "id": "E", "receiving_unit": OWN, "due_at": "2026-04-27T17:00:00", "status": "resolved",
     "resolved_at": "2026-04-27T09:00:00"},  # resolved: not open
    {**BASE, "id": "F", "receiving_unit": OWN},  # no deadline
    {**BASE, "id": "G", "receiving_unit": OTHER, "due_at": "2026-04-24T17:00:00",
     "updated_at": "2026-04-21T08:00:00"},  # Fri 24/4: 3 late (27, 28, 29) — until it is resolved
    {**BASE, "id": "H", "receiving_unit": OTHER, "due_at": "2026-05-01T17:00:00",
     "received_at": "2026-04-30T08:00:00"},  # received after the moment asked
]  # fmt: skip
LATER = [  # G resolved on 28/4; the system sent the change on 28/4
    {**FIRST[6], "status": "resolved", "resolved_at": "2026-04-28T15:00:00", "updated_at": "2026-04-28T15:00:00"},
]


def _ingest(lake: Lake, folder: Path, name: str, records: list[dict]) -> None:
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    report = ingest_file(path, "dossiers", lake=lake)
    assert (report.status, report.quarantined) == ("ingested", 0), report


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "var")
    _ingest(lake, tmp_path, "dossiers-1.jsonl", FIRST)
    return lake


def _left(found) -> dict[str, tuple[int, str]]:
    return {r.id: (r.working_days_left, r.state) for r in found.dossiers.itertuples()}


def test_open_dossiers_with_working_days_left_counted_by_hand(lake: Lake):
    found = warnings(lake, at=AT, within=3)
    assert _left(found) == {
        "G": (-3, "overdue"),
        "A": (-1, "overdue"),
        "B": (0, "due_today"),
        "C": (1, "due_soon"),
        "D": (5, "later"),
    }
    by_unit = {
        u.receiving_unit: (u.overdue, u.due_today, u.due_soon, u.later, u.open) for u in found.by_unit.itertuples()
    }
    assert by_unit == {OWN: (1, 1, 1, 1, 4), OTHER: (1, 0, 0, 0, 1)}
    assert set(found.attention["id"]) == {"A", "B", "C", "G"}
    assert _left(warnings(lake, at=AT, within=5))["D"] == (5, "due_soon")


def test_a_later_version_closes_a_dossier_from_its_time_on(lake: Lake, tmp_path: Path):
    _ingest(lake, tmp_path, "dossiers-2.jsonl", LATER)
    assert "G" not in _left(warnings(lake, at=AT))  # resolved on 28/4
    before = warnings(lake, at=dt.datetime(2026, 4, 27, 12, 0))  # as it stood on Monday 27/4
    assert _left(before)["G"] == (-1, "overdue")  # due Fri 24/4, late by Monday
    assert "E" not in set(before.dossiers["id"])


def test_days_off_listed_by_the_province(lake: Lake, tmp_path: Path):
    listed = tmp_path / "holidays.txt"
    listed.write_text("# nghỉ bù\n2026-05-04\n\n", encoding="utf-8")
    calendar = Calendar(read_days_off(listed))
    assert _left(warnings(lake, at=AT, calendar=calendar))["C"] == (0, "due_today")  # no working day before it
    listed.write_text("2026-05-04\n4/5/2026\n", encoding="utf-8")
    with pytest.raises(HolidaysError, match="dòng 2"):
        read_days_off(listed)


def test_an_officer_sees_their_own_unit_and_may_not_ask_for_another(lake: Lake):
    officer = Actor("canbo", frozenset({"officer"}), OWN)
    assert set(for_actor(officer, lake, at=AT).dossiers["id"]) == {"A", "B", "C", "D"}
    with pytest.raises(PermissionDenied):
        for_actor(officer, lake, at=AT, unit=OTHER)
    office = Actor("vanphong", frozenset({"programme_officer"}))
    assert set(for_actor(office, lake, at=AT).dossiers["id"]) == {"A", "B", "C", "D", "G"}
    with pytest.raises(PermissionDenied):
        for_actor(Actor("public", frozenset()), lake, at=AT)


def test_nothing_ingested_is_nothing_open_and_a_negative_window_is_refused(tmp_path: Path):
    empty = warnings(Lake(tmp_path / "none"), at=AT)
    assert empty.dossiers.empty and empty.by_unit.empty
    with pytest.raises(SourceError):
        warnings(Lake(tmp_path / "none"), at=AT, within=-1)


def test_cli_lists_the_units_and_dossiers_that_need_action(cli, cli_env, tmp_path: Path, monkeypatch):
    lake = Lake(tmp_path / "var")  # the data directory of cli_env
    _ingest(lake, tmp_path, "dossiers-1.jsonl", FIRST)
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("2026-05-04\n", encoding="utf-8")
    monkeypatch.setenv("CHISO_HOLIDAYS_FILE", str(holidays))
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    out = tmp_path / "due.xlsx"
    shown = cli("sources", "due", "--at", "2026-04-29T10:00", "--as", "admin", "--out", out)
    assert shown.exit_code == 0, shown.stderr
    assert "Phường Đức Xuân (01840)" in shown.stdout and "Phường Ba Đình (00004)" in shown.stdout
    assert "4 hồ sơ cần xử lý ngay" in shown.stdout  # A, B, C (due on the listed day off: today), G
    lines = {line.split()[0]: line for line in shown.stdout.splitlines() if line[:1] in "ABCDG"}
    assert "quá hạn" in lines["G"] and "đến hạn hôm nay" in lines["C"] and "D" not in lines

    import openpyxl

    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["dossiers", "units"]
    assert [r[0] for r in book["dossiers"].iter_rows(min_row=2, values_only=True)] == ["G", "A", "B", "C", "D"]
    bad = cli("sources", "due", "--at", "29/4/2026", "--as", "admin")
    assert bad.exit_code != 0 and "2026-04-29" in bad.stderr
