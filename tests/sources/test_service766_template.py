"""The 766 declarations' XLSX template through the CLI, and `declare766` applying a file at once.

`chiso sources template766` writes one row per unit, period and declared input with the import's
columns, the names of units and inputs, the current figure and its version; filled in and read back by
`declare766`, it declares what was filled (a blank value changes nothing). A template made before
someone else changed a figure is refused as a conflict, not written over that figure. With stored
results, `declare766` re-scores their period at once and says so; without, it says the figures count
when the index is computed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from tests.conftest import TEST_CLOCK, TODAY
from tests.sources.test_service766 import BAC_KAN, DEPT, DOSSIERS, DUC_XUAN, EXPECTED, PROCEDURES, _write
from tests.sources.test_service766_declared import NO_FEEDBACK, _csv, _stored, ok, people  # noqa: F401 — a fixture

from chiso.clock import VIETNAM, FixedClock
from chiso.db import make_engine, transaction
from chiso.service766 import declarations
from chiso.service766.models import Service766Score
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.units import list_units

HEADERS = ["Mã đơn vị", "Tên đơn vị", "Kỳ", "Thành phần", "Chỉ tiêu", "Tên chỉ tiêu", "Giá trị", "Phiên bản", "Ghi chú"]


def _rows(path: Path) -> tuple[list[object], dict[tuple[str, str, str], list[object]]]:
    book = load_workbook(path)
    try:
        sheet = book["Tự khai 766"]
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return table[0], {(str(r[0]), str(r[2]), str(r[4])): r for r in table[1:]}


def _fill(path: Path, figures: dict[tuple[str, str, str], object]) -> None:
    book = load_workbook(path)
    sheet = book["Tự khai 766"]
    for row in sheet.iter_rows(min_row=2):
        key = (str(row[0].value), str(row[2].value), str(row[4].value))
        if key in figures:
            row[6].value = figures[key]
    book.save(path)
    book.close()


@pytest.mark.usefixtures("people")
def test_the_template_filled_in_round_trips_through_declare766(cli, cli_env: str, tmp_path: Path):
    first = [(DUC_XUAN, "2025-09", "feedback", 4), (DUC_XUAN, "2025-09", "feedback_on_time", 3)]
    ok(cli("sources", "declare766", _csv(tmp_path / "a.csv", first), "--as", "canbo"))
    made = ok(cli("sources", "template766", "--province", "19", "--period", "2025-09", "-o", tmp_path / "t.xlsx",
                  "--as", "vanphong"))  # fmt: skip
    inputs = declarations.inputs()
    units = 1 + len(list_units(era="2025", province="19"))  # the province, its departments and communes
    assert f"{units * len(inputs)} dòng để điền" in made and "chiso sources declare766" in made

    header, rows = _rows(tmp_path / "t.xlsx")
    assert header == HEADERS
    assert len(rows) == units * len(inputs)
    first_row = next(iter(rows))
    assert first_row[0] == "19"  # the province first, then departments and communes
    feedback = rows[(DUC_XUAN, "2025-09", "feedback")]
    assert feedback[1] == "Phường Đức Xuân" and feedback[3] == "5.1"
    assert feedback[5] == inputs["feedback"].label and (feedback[6], feedback[7]) == (4, 1)  # the figure, version 1
    assert rows[(BAC_KAN, "2025-09", "feedback")][6:8] == [None, None]  # not declared: blank
    assert rows[(DEPT, "2025-09", "communes")][1]  # every unit named
    guide = load_workbook(tmp_path / "t.xlsx")["Hướng dẫn"]
    explained = {r[0]: r for r in guide.iter_rows(min_row=2, values_only=True) if r[0] in inputs}
    assert set(explained) == set(inputs)
    assert explained["feedback_on_time"][1] == inputs["feedback_on_time"].label
    assert "Số nguyên từ 0 trở lên" in explained["feedback_on_time"][5]
    assert "không lớn hơn Số phản ánh, kiến nghị (PAKN)" in explained["feedback_on_time"][5]
    assert "số hồ sơ tiếp nhận trong kỳ" in explained["dossiers_personal_store"][5]  # a measured denominator

    filled = {
        (BAC_KAN, "2025-09", "feedback"): 5,
        (BAC_KAN, "2025-09", "feedback_on_time"): 4,
        (BAC_KAN, "2025-09", "feedback_satisfied"): 4,
        (DUC_XUAN, "2025-09", "feedback"): 6,  # corrected; feedback_on_time stays 3
    }
    _fill(tmp_path / "t.xlsx", filled)
    out = ok(cli("sources", "declare766", tmp_path / "t.xlsx", "--as", "vanphong"))
    assert "4 số liệu tự khai đã ghi, 1 không đổi" in out  # the blank rows change nothing
    assert sorted(r[:5] for r in _stored(cli_env)[2:]) == [
        (DUC_XUAN, "2025-09", "feedback", 6.0, 2),
        (BAC_KAN, "2025-09", "feedback", 5.0, 1),
        (BAC_KAN, "2025-09", "feedback_on_time", 4.0, 1),
        (BAC_KAN, "2025-09", "feedback_satisfied", 4.0, 1),
    ]
    ok(cli("sources", "template766", "--unit", BAC_KAN, "--period", "2025-09", "-o", tmp_path / "again.xlsx",
           "--as", "vanphong"))  # fmt: skip
    _, again = _rows(tmp_path / "again.xlsx")
    assert {k[0] for k in again} == {BAC_KAN} and again[(BAC_KAN, "2025-09", "feedback")][6:8] == [5, 1]


@pytest.mark.usefixtures("people")
def test_a_template_made_before_someone_elses_change_is_a_conflict(cli, cli_env: str, tmp_path: Path):
    ok(cli("sources", "declare766", _csv(tmp_path / "a.csv", [(DUC_XUAN, "2025-09", "feedback", 4)]), "--as", "canbo"))
    ok(cli("sources", "template766", "--unit", DUC_XUAN, "--period", "2025-09", "-o", tmp_path / "t.xlsx",
           "--as", "canbo"))  # fmt: skip
    later = _csv(tmp_path / "b.csv", [(DUC_XUAN, "2025-09", "feedback", 7)])
    ok(cli("sources", "declare766", later, "--as", "vanphong"))
    _fill(tmp_path / "t.xlsx", {(DUC_XUAN, "2025-09", "feedback_on_time"): 3})  # feedback left at the old 4
    stale = cli("sources", "declare766", tmp_path / "t.xlsx", "--as", "canbo")
    assert stale.exit_code == 3 and "vừa được người khác thay đổi" in stale.stderr
    assert [r[3] for r in _stored(cli_env)] == [4.0, 7.0]  # not put back to 4, and nothing else written


@pytest.mark.usefixtures("people")
def test_who_may_have_which_template_and_which_periods(cli, cli_env: str, tmp_path: Path):
    mine = cli("sources", "template766", "--unit", DUC_XUAN, "--period", "2025", "--period", "2025-09",
               "-o", tmp_path / "mine.xlsx", "--as", "canbo")  # fmt: skip
    assert mine.exit_code == 0, mine.output
    _, rows = _rows(tmp_path / "mine.xlsx")
    assert {k[1] for k in rows} == {"2025-09", "2025"}
    province = cli("sources", "template766", "--province", "19", "--period", "2025-09", "-o", tmp_path / "p.xlsx",
                   "--as", "canbo")  # fmt: skip
    assert province.exit_code == 2 and "only for unit 01840, not 19 (service766.declare)" in province.stderr
    future = f"{TODAY.year + 1}-01"
    late = cli("sources", "template766", "--unit", DUC_XUAN, "--period", future, "-o", tmp_path / "f.xlsx",
               "--as", "canbo")  # fmt: skip
    assert late.exit_code == 2 and f"Kỳ {future} chưa bắt đầu" in late.stderr
    neither = cli("sources", "template766", "--period", "2025-09", "-o", tmp_path / "n.xlsx", "--as", "canbo")
    assert neither.exit_code != 0 and "--province" in neither.output + neither.stderr
    assert not (tmp_path / "p.xlsx").exists() and not (tmp_path / "f.xlsx").exists()


@pytest.mark.usefixtures("people")
def test_declare766_applies_at_once_to_stored_results_and_says_where_it_cannot(cli, cli_env: str, tmp_path: Path):
    lake = Lake(tmp_path / "var", FixedClock(dt.datetime(2025, 10, 6, 9, tzinfo=VIETNAM)))  # cli_env's data dir
    for source, rows in (("procedures", PROCEDURES), ("dossiers", DOSSIERS)):
        ingest_file(_write(tmp_path / f"{source}.jsonl", rows), source, lake=lake)
    ok(cli("sources", "rank766", "--province", "19", "--period", "month", "--store", "measure"))
    assert _totals(cli_env)[DUC_XUAN] == pytest.approx(EXPECTED[DUC_XUAN]["service_766"] - 12)

    out = ok(cli("sources", "declare766", _csv(tmp_path / "pakn.csv", NO_FEEDBACK), "--as", "vanphong"))
    assert "Đã tính lại điểm kỳ 2025-09: 1 kết quả thay đổi" in out and "rank766" not in out
    applied = _totals(cli_env)
    assert applied[DUC_XUAN] == pytest.approx(EXPECTED[DUC_XUAN]["service_766"])  # 61,18 at once
    ok(cli("sources", "rank766", "--province", "19", "--period", "month", "--store", "measure"))
    assert _totals(cli_env) == pytest.approx(applied, abs=1e-9)  # what the full computation gives

    august = [(DUC_XUAN, "2025-08", "feedback", 1)]
    out = ok(cli("sources", "declare766", _csv(tmp_path / "aug.csv", august), "--as", "vanphong"))
    assert "Chưa có kết quả chỉ số 766 của 01840 2025-08" in out and "rank766 --province" in out
    assert "Đã tính lại" not in out


def _totals(database_url: str) -> dict[str, float | None]:
    engine = make_engine(database_url)
    try:
        with transaction(engine, TEST_CLOCK) as s:
            rows = s.scalars(select(Service766Score).where(Service766Score.period == "2025-09")).all()
            return {r.unit_code: r.total for r in rows}
    finally:
        engine.dispose()
