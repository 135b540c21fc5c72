"""Declared 766 components through the CLI: a file declares them (or is refused whole, every bad row
listed), a second file overwrites as new versions, an officer declares only for their unit, and
`rank766` computes with what is stored. Two writers of one figure at once: one wins, one conflicts.

The records are the hand-checked September 2025 set of test_service766.py: without a declaration Đức
Xuân's 5.1 and 5.2 earn nothing (49,18); declaring that it had no feedback gives it 6 + 6 (61,18).
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import TEST_CLOCK, TODAY, fresh_database
from tests.sources.test_service766 import BAC_KAN, DOSSIERS, DUC_XUAN, EXPECTED, PROCEDURES, _write

from chiso import migrations
from chiso.audit.models import AuditEntry
from chiso.clock import VIETNAM, FixedClock, bind
from chiso.db import make_engine, transaction
from chiso.errors import ConflictError
from chiso.permissions import Actor
from chiso.service766 import declarations
from chiso.service766.models import Service766Declaration, Service766Score
from chiso.service766.schemas import DeclarationIn
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.units.ref import UnitRef

NO_FEEDBACK = [(DUC_XUAN, "2025-09", v, 0) for v in ("feedback", "feedback_on_time", "feedback_satisfied")]


def ok(result) -> str:
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def _csv(path: Path, rows: list[tuple[object, ...]], header: str = "Mã đơn vị,Kỳ,Chỉ tiêu,Giá trị") -> Path:
    path.write_text("\n".join([header, *(",".join(map(str, r)) for r in rows)]) + "\n", encoding="utf-8")
    return path


def _stored(database_url: str) -> list[tuple[str, str, str, float, int, str]]:
    engine = make_engine(database_url)
    try:
        with transaction(engine, TEST_CLOCK) as s:
            rows = s.scalars(select(Service766Declaration).order_by(Service766Declaration.id)).all()
            return [(r.unit_code, r.period, r.variable, r.value, r.version, r.recorded_by) for r in rows]
    finally:
        engine.dispose()


@pytest.fixture
def people(cli, cli_env):
    ok(cli("db", "upgrade", "--admin", "admin"))
    for user, role, unit in (
        ("vanphong", "programme_officer", None),
        ("canbo", "officer", DUC_XUAN),
        ("measure", "system", None),
        ("lanhdao", "viewer", None),
    ):
        ok(
            cli(
                "users",
                "create",
                user,
                "--role",
                role,
                *(["--unit", unit] if unit else []),
                "--no-password",
                "--as",
                "admin",
            )
        )
    return cli_env


def test_a_file_declares_and_rank766_reads_the_declarations(cli, people, tmp_path: Path):
    lake = Lake(tmp_path / "var", FixedClock(dt.datetime(2025, 10, 6, 9, tzinfo=VIETNAM)))  # cli_env's data dir
    for source, rows in (("procedures", PROCEDURES), ("dossiers", DOSSIERS)):
        ingest_file(_write(tmp_path / f"{source}.jsonl", rows), source, lake=lake)
    out = ok(cli("sources", "declare766", _csv(tmp_path / "pakn.csv", NO_FEEDBACK), "--as", "vanphong"))
    assert "3 số liệu tự khai đã ghi, 0 không đổi" in out
    assert [r[:5] for r in _stored(people)] == [(u, p, v, 0.0, 1) for u, p, v, _ in NO_FEEDBACK]

    table = tmp_path / "766.csv"
    without = cli("sources", "rank766", "--province", "19", "--period", "month", "--out", table)
    assert without.exit_code == 0 and "không đọc số liệu tự khai" in without.stderr  # said, not silent
    assert _total(table, DUC_XUAN) == pytest.approx(EXPECTED[DUC_XUAN]["service_766"] - 12)
    read = ok(cli("sources", "rank766", "--province", "19", "--period", "month", "--out", table, "--as", "vanphong"))
    assert _total(table, DUC_XUAN) == pytest.approx(EXPECTED[DUC_XUAN]["service_766"])  # 61,18 with 5.1 and 5.2
    assert "declared figures: 3 (1 đơn vị / units)" in read
    ok(cli("sources", "rank766", "--province", "19", "--period", "month", "--store", "measure"))
    engine = make_engine(people)
    try:
        with transaction(engine, TEST_CLOCK) as s:
            score = s.scalars(select(Service766Score).where(Service766Score.unit_code == DUC_XUAN)).one()
            assert (score.points["s5_1"], score.points["s5_2"], score.points["s4_4"]) == (6.0, 6.0, None)
            assert score.inputs["feedback"] == 0.0 and "dossiers_personal_store" not in score.inputs
    finally:
        engine.dispose()


def _total(path: Path, unit: str) -> float:
    return float(pd.read_csv(path, dtype={"unit": str}).set_index("unit").loc[unit, "total"])


def test_a_bad_file_lists_every_row_and_writes_nothing(cli, people, tmp_path: Path):
    future = f"{TODAY.year + 1}-01"
    rows = [
        (DUC_XUAN, "2025-09", "feedback", 4),  # good, but the file is refused whole
        (DUC_XUAN, "2025-9", "feedback_on_time", 3),
        ("99999", "2025-09", "feedback", 1),
        ("19", future, "communes", 92),
        ("19", "2025", "communes_certified_copy", "4.5"),
        ("19", "2025", "feedback_late", 1),
        ("19", "2025", "communes", -2),
        ("19", "2025", "communes", 3),
        (DUC_XUAN, "2025-09", "feedback_satisfied", 9),  # above the 4 feedback of row 2
        (BAC_KAN, "2025-09", "feedback", ""),
        (BAC_KAN, "2025-09", "feedback_on_time", "1.234"),
    ]
    result = cli("sources", "declare766", _csv(tmp_path / "bad.csv", rows), "--as", "vanphong")
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == "Lỗi: Chưa ghi số liệu tự khai nào: có 10 lỗi; sửa rồi nhập lại cả tệp."
    vietnamese = lines[1:11]
    assert [line.split(":", 1)[0] for line in vietnamese] == [
        "Dòng 3, cột «Kỳ»",
        "Dòng 4, cột «Mã đơn vị»",
        "Dòng 5, cột «Kỳ»",
        "Dòng 6, cột «Giá trị»",
        "Dòng 7, cột «Chỉ tiêu»",
        "Dòng 8, cột «Giá trị»",
        "Dòng 9, cột «Chỉ tiêu»",
        "Dòng 10, cột «Giá trị»",
        "Dòng 11, cột «Giá trị»",
        "Dòng 12, cột «Giá trị»",
    ]
    text = "\n".join(vietnamese)
    assert "ghi tháng dạng YYYY-MM (ví dụ 2025-09)" in text  # how to fix it
    assert f"Kỳ {future} chưa bắt đầu" in text and "Không có đơn vị «99999»" in text
    assert "cần một số nguyên (đang là 4,5)" in text and "phải từ 0 trở lên (đang là -2)" in text
    assert "đã có ở dòng 8" in text  # communes given twice for 19 in 2025: rows 8 and 9
    assert "(9) lớn hơn Số phản ánh, kiến nghị (PAKN) thuộc thẩm quyền trong kỳ (4)" in text
    assert "Cần ghi giá trị" in text and "đọc được hai cách" in text
    english = "\n".join(lines[11:])
    assert "Error: No declared figure was recorded: 10 problem(s)" in english
    assert "Row 12, column «Giá trị»" in english and "is larger than Feedback (PAKN) within its remit" in english
    assert _stored(people) == []  # nothing written: not even the good row


def test_another_file_overwrites_with_new_versions_and_history(cli, people, tmp_path: Path):
    first = [(DUC_XUAN, "2025-09", "feedback", 4), (DUC_XUAN, "2025-09", "feedback_on_time", 3)]
    ok(cli("sources", "declare766", _csv(tmp_path / "a.csv", first), "--as", "canbo"))
    # corrected the next day, in an XLSX with English headers and the component column
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Unit", "Period", "Component", "Variable", "Value", "Note"])
    sheet.append([DUC_XUAN, "2025-09", "5.1", "feedback", 5, "PAKN system export"])
    sheet.append([DUC_XUAN, "2025-09", "5.1", "feedback_on_time", 3, ""])
    book.save(tmp_path / "b.xlsx")
    out = ok(cli("sources", "declare766", tmp_path / "b.xlsx", "--as", "vanphong"))
    assert "1 số liệu tự khai đã ghi, 1 không đổi" in out
    assert [r[2:] for r in _stored(people)] == [
        ("feedback", 4.0, 1, "canbo"),
        ("feedback_on_time", 3.0, 1, "canbo"),
        ("feedback", 5.0, 2, "vanphong"),  # the history stays: version 1 by canbo, 2 by vanphong
    ]
    engine = make_engine(people)
    try:
        with transaction(engine, TEST_CLOCK) as s:
            latest = s.scalars(select(Service766Declaration).where(Service766Declaration.version == 2)).one()
            assert latest.note.startswith("b.xlsx (sha256 ") and latest.note.endswith("dòng 2 · PAKN system export")
            entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "service766.declare")).all()[-1]
            assert (entry.actor, entry.unit_code, entry.before, entry.after) == (
                "vanphong",
                DUC_XUAN,
                {"2025-09/feedback": 4.0},
                {"2025-09/feedback": 5.0},
            )
    finally:
        engine.dispose()


def test_an_officer_declares_only_for_their_unit(cli, people, tmp_path: Path):
    rows = [(DUC_XUAN, "2025-09", "feedback", 1), (BAC_KAN, "2025-09", "feedback", 2)]
    result = cli("sources", "declare766", _csv(tmp_path / "two.csv", rows), "--as", "canbo")
    assert result.exit_code == 2 and "only for unit 01840, not 01843 (service766.declare)" in result.stderr
    viewer = cli("sources", "declare766", _csv(tmp_path / "one.csv", rows[:1]), "--as", "lanhdao")
    assert viewer.exit_code == 2 and "needs one of the roles: admin, officer, programme_officer" in viewer.stderr
    assert _stored(people) == []


def test_a_file_without_the_columns_is_refused_saying_which(cli, people, tmp_path: Path):
    path = _csv(tmp_path / "cols.csv", [(DUC_XUAN, "feedback", 1)], header="Mã đơn vị,Chỉ tiêu,Giá trị")
    result = cli("sources", "declare766", path, "--as", "vanphong")
    assert result.exit_code == 2 and "Tệp thiếu cột: Kỳ. Các cột cần có: Mã đơn vị (unit), Kỳ (period)" in result.stderr


# --- two writers at once (PostgreSQL: SQLite serialises writers instead) -----------------------------


@pytest.fixture
def pg_engine(tmp_path):
    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        try:
            migrations.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def test_two_concurrent_declarations_one_wins_the_other_conflicts(pg_engine):
    office = Actor("vanphong", frozenset({"programme_officer"}))
    officer = Actor("canbo", frozenset({"officer"}), DUC_XUAN)

    def figure(n: float) -> list[DeclarationIn]:
        return [DeclarationIn(unit_code=DUC_XUAN, period="2025-09", variable="feedback", value=n)]

    with bind(Session(pg_engine), TEST_CLOCK) as first, bind(Session(pg_engine), TEST_CLOCK) as second:
        for s in (first, second):  # both read the same state: nothing declared yet
            assert (
                declarations.current(session=s, unit=UnitRef("2025", DUC_XUAN), periods=["2025-09"], actor=office) == {}
            )
        declarations.declare(session=first, items=figure(4), actor=office)  # version 1, held uncommitted
        outcome: dict[str, object] = {}

        def write_second() -> None:
            try:
                declarations.declare(session=second, items=figure(7), actor=officer)
                outcome["result"] = "written"
            except ConflictError as exc:
                outcome["result"] = exc

        thread = threading.Thread(target=write_second)
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive(), "the second writer should wait for the first one's version 1"
        first.commit()
        thread.join(timeout=30)
        conflict = outcome["result"]
        assert isinstance(conflict, ConflictError), conflict
        assert "vừa được người khác thay đổi" in str(conflict) and conflict.current == 4.0
        second.rollback()
    with Session(pg_engine) as s:
        stored = s.scalars(select(Service766Declaration)).all()
        assert [(r.value, r.version, r.recorded_by) for r in stored] == [(4.0, 1, "vanphong")]


def test_a_declaration_alone_does_not_put_a_unit_in_the_ranking(tmp_path: Path):
    """A unit is assessed in a period when it holds dossiers or catalogue lines then: Đức Xuân's feedback
    declared for August (no records) or a commune without any records adds no row and no rank."""
    from tests.sources.test_service766 import DECLARED

    from chiso.service766.compute import compute
    from chiso.sources.measures import Grain
    from chiso.units import list_units

    lake = Lake(tmp_path / "lake", FixedClock(dt.datetime(2025, 10, 6, 9, tzinfo=VIETNAM)))
    for source, rows in (("procedures", PROCEDURES), ("dossiers", DOSSIERS)):
        ingest_file(_write(tmp_path / f"{source}.jsonl", rows), source, lake=lake)
    quiet = next(
        u.code for u in list_units(era="2025", kind="commune", province="19") if u.code not in (DUC_XUAN, BAC_KAN)
    )
    extra = pd.DataFrame(
        [
            {"unit": DUC_XUAN, "period": "2025-08", "variable": "feedback", "value": 0.0},
            {"unit": quiet, "period": "2025-09", "variable": "feedback", "value": 0.0},
        ]
    )
    plain = compute(lake=lake, province="19", grains=[Grain.MONTH], declared=DECLARED).rows
    more = compute(lake=lake, province="19", grains=[Grain.MONTH], declared=pd.concat([DECLARED, extra])).rows
    assert sorted(zip(more["unit"], more["period"], strict=True)) == sorted(
        zip(plain["unit"], plain["period"], strict=True)
    )
    communes = more[more["kind"] == "commune"]
    assert set(communes["unit"]) == {DUC_XUAN, BAC_KAN} and set(communes["ranked"]) == {2}
