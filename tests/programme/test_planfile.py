"""Plans in and out of XLSX: the provinces' form read leniently, round trips that change nothing,
bad rows located by sheet, row and column, and all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from tests.factories import people

from chiso.audit.models import AuditEntry
from chiso.errors import PermissionDenied
from chiso.programme import planfile, taskbook, tasks
from chiso.programme.models import Task, TaskPlan, TaskUpdate

TODAY = dt.date(2025, 10, 15)
HEADER = [
    "STT",
    "Nhiệm vụ/hoạt động",
    "Đơn vị chủ trì",
    "Đơn vị phối hợp",
    "Thời gian hoàn thành",
    "Sản phẩm",
    "Tiến độ (%)",
    "Trạng thái",
    "Kết quả thực hiện",
    "Minh chứng",
    "Chỉ tiêu liên quan",
    "Ghi chú",
]
ROWS = [
    ["I", "CHÍNH QUYỀN SỐ"],
    [
        1,
        "Nâng cấp dịch vụ công trực tuyến toàn trình",
        "Sở Khoa học và Công nghệ",
        "Các sở, ban, ngành",
        "Quý IV/2025",
        "Danh mục DVC toàn trình",
        "60%",
        "Đang triển khai",
        "Đã cung cấp 80 % DVC toàn trình",
        "12/BC-SKHCN – 30/09/2025 – Báo cáo tiến độ DVCTT",
        "level4_services",
    ],
    [
        1.1,
        "Rà soát, chuẩn hóa quy trình nội bộ",
        "So Noi vu",
        "Văn phòng Ủy ban nhân dân tỉnh; 19-STP",
        dt.datetime(2025, 6, 30),
        None,
        1,
        "Hoàn thành",
        "Đã ban hành quy trình",
    ],
    [
        "1.2",
        "Tổ công nghệ số cộng đồng tại phường",
        "Phường Đức Xuân",
        "UBND các xã, phường",
        "Tháng 6/2024",
        None,
        None,
        None,
    ],
    ["II", "KINH TẾ SỐ"],
    [
        2,
        "Đề án Khu công nghệ thông tin tập trung Yên Bình",
        "SKHCN",
        "Sở Tài chính; Sở Xây dựng",
        2025,
        None,
        None,
        None,
        None,
        None,
        "digital_tech_enterprises",
    ],
    [3, "Tuyên truyền về chuyển đổi số", "Sở Văn hóa, Thể thao và Du lịch", None, "Thường xuyên"],
]


def province_form(path, rows=ROWS, header=HEADER):
    """A plan as provinces circulate it: title rows, a header row, sections numbered I, II."""
    wb = Workbook()
    ws = wb.active
    ws.title = "KH 2025"
    ws["A1"] = "UBND TỈNH THÁI NGUYÊN"
    ws["A2"] = "DANH MỤC NHIỆM VỤ TRỌNG TÂM CHUYỂN ĐỔI SỐ NĂM 2025"
    ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)
    ws["G7"].number_format = "0%"  # task 1.1: progress typed as 100 % in a percentage cell
    wb.save(path)
    wb.close()
    return path


def state(session):
    """Everything an import could change, to compare before and after."""
    rows = session.scalars(select(Task).order_by(Task.code)).all()
    return (
        [
            (
                t.code,
                t.title,
                t.lead_unit,
                t.co_units,
                t.start_date,
                t.due_date,
                t.status,
                t.progress,
                t.result,
                t.targets,
                t.indicators,
                t.section,
                t.version,
            )
            for t in rows
        ],
        session.scalar(select(func.count()).select_from(TaskUpdate)),
        session.scalar(select(func.count()).select_from(AuditEntry)),
    )


def test_the_provinces_form_is_read_leniently(db_session, tmp_path):
    admin = people(db_session)["admin"]
    report = planfile.import_plan(
        session=db_session,
        path=province_form(tmp_path / "kh.xlsx"),
        actor=admin,
        plan_code="80/KH-UBND",
        province="19",
        programme="01/NQ-TU",
        today=TODAY,
    )
    assert report.plan_created and report.created == ["1", "1.1", "1.2", "2", "3"]
    assert report.reported == ["1", "1.1"]
    plan = tasks.get_plan(session=db_session, code="80/KH-UBND")
    assert plan.name == "UBND TỈNH THÁI NGUYÊN" and plan.programme == "thai-nguyen-01-nq-tu"
    found = {t.code: t for t in tasks.list_tasks(session=db_session, actor=admin, plan_code="80/KH-UBND")}
    one = found["1"]
    assert (one.lead_unit, one.co_units, one.due_date) == ("19-SKHCN", ["group:departments"], dt.date(2025, 12, 31))
    assert (one.status, one.progress, one.section, one.targets) == (
        "in_progress",
        60,
        "CHÍNH QUYỀN SỐ",
        ["level4_services"],
    )
    assert tasks.latest_evidence(one) == [("12/BC-SKHCN", dt.date(2025, 9, 30), "Báo cáo tiến độ DVCTT")]
    sub = found["1.1"]
    assert (sub.lead_unit, sub.co_units, sub.status, sub.progress) == ("19-SNV", ["19-VPUBND", "19-STP"], "done", 100)
    assert sub.parent_id == one.id
    assert (found["1.2"].lead_unit, found["1.2"].due_date) == ("01840", dt.date(2024, 6, 30))
    assert found["1.2"].co_units == ["group:commune-level"]
    assert (found["2"].due_date, found["2"].section) == (dt.date(2025, 12, 31), "KINH TẾ SỐ")
    assert found["3"].due_date is None  # thường xuyên: never overdue
    assert [o.task.code for o in tasks.overdue(session=db_session, actor=admin, today=TODAY)] == ["1.2"]


def test_import_export_import_changes_nothing(db_session, tmp_path):
    admin = people(db_session)["admin"]
    planfile.import_plan(
        session=db_session,
        path=province_form(tmp_path / "kh.xlsx"),
        actor=admin,
        plan_code="80/KH-UBND",
        province="19",
        programme="01/NQ-TU",
        today=TODAY,
    )
    before = state(db_session)
    out = tmp_path / "export.xlsx"
    assert planfile.export_plan(session=db_session, plan_code="80/KH-UBND", actor=admin, path=out) == 5
    wb = load_workbook(out)
    ws = wb[taskbook.SHEET]
    assert [c.value for c in ws[taskbook.HEADER_ROW]][:7] == [
        "STT",
        "Nhiệm vụ",
        "Mô tả",
        "Đơn vị chủ trì",
        "Đơn vị phối hợp",
        "Bắt đầu",
        "Thời hạn",
    ]
    rows = {r[0]: r for r in ws.iter_rows(min_row=taskbook.HEADER_ROW + 1, values_only=True)}
    assert rows["I"][1] == "CHÍNH QUYỀN SỐ" and rows["II"][1] == "KINH TẾ SỐ"
    assert rows["1"][3] == "Sở Khoa học và Công nghệ" and rows["1"][4] == "Các sở, ban, ngành"
    assert rows["1"][6] == "31/12/2025" and rows["1"][10:12] == ("Đang triển khai", 60)
    assert rows["1.2"][4] == "Các xã, phường, đặc khu" and rows["3"][6] == "Thường xuyên"
    assert wb["_chiso"].sheet_state == "veryHidden"
    wb.close()
    again = planfile.import_plan(session=db_session, path=out, actor=admin, today=TODAY)  # the file names its plan
    assert not again.any and again.unchanged == 5
    assert state(db_session) == before
    planfile.export_plan(session=db_session, plan_code="80/KH-UBND", actor=admin, path=tmp_path / "second.xlsx")
    first = list(load_workbook(out)["Nhiệm vụ"].iter_rows(values_only=True))
    second = list(load_workbook(tmp_path / "second.xlsx")["Nhiệm vụ"].iter_rows(values_only=True))
    assert first == second


def test_an_edited_file_records_changes_and_reports(db_session, tmp_path):
    admin = people(db_session)["admin"]
    planfile.import_plan(
        session=db_session,
        path=province_form(tmp_path / "kh.xlsx"),
        actor=admin,
        plan_code="80/KH-UBND",
        province="19",
        programme="01/NQ-TU",
        today=TODAY,
    )
    out = tmp_path / "export.xlsx"
    planfile.export_plan(session=db_session, plan_code="80/KH-UBND", actor=admin, path=out)
    wb = load_workbook(out)
    ws = wb[taskbook.SHEET]
    for row in ws.iter_rows(min_row=taskbook.HEADER_ROW + 1):
        if row[0].value == "2":
            row[6].value = "30/06/2026"  # Thời hạn
            row[11].value = 25  # Tiến độ
            row[12].value = "Đã trình đề án"  # Kết quả
    wb.save(out)
    report = planfile.import_plan(session=db_session, path=out, actor=admin, today=TODAY)
    assert (report.changed, report.reported, report.created) == (["2"], ["2"], [])
    task = tasks.read_task(session=db_session, actor=admin, code="2", plan_code="80/KH-UBND")
    assert (task.due_date, task.status, task.progress, task.result) == (
        dt.date(2026, 6, 30),
        "in_progress",
        25,
        "Đã trình đề án",
    )


def test_bad_rows_are_reported_with_sheet_row_column_and_nothing_changes(db_session, tmp_path):
    admin = people(db_session)["admin"]
    rows = [
        [1, "Nhiệm vụ tốt", "Sở Khoa học và Công nghệ", None, "31/12/2025"],
        [2, "Đơn vị lạ", "Sở Vũ trụ", None, "31/12/2025"],
        ["3a", "STT sai", "Sở Y tế", None, "2025"],
        [4, "Ngày sai", "Sở Y tế", None, "31/02/2025"],
        [1, "STT trùng", "Sở Y tế", None, "2025"],
        [5.1, "Hoạt động không có nhiệm vụ", "Sở Y tế", None, "2025"],
        [6, "Tiến độ quá 100", "Sở Y tế", None, "2025", None, 150],
        [7, "Hoàn thành mà chưa đủ", "Sở Y tế", None, "2025", None, 50, "Hoàn thành"],
        [8, "Xã trùng tên", "Xã Văn Lang", "Các phòng ban", "2025"],
        [9, "Chỉ tiêu lạ", "Sở Y tế", None, "2025", None, None, None, None, None, "moon_landing"],
        [10, "Trạng thái lạ", "Sở Y tế", None, "2025", None, None, "Sắp xong"],
    ]
    path = province_form(tmp_path / "bad.xlsx", rows)
    with pytest.raises(planfile.PlanImportRefused) as caught:
        planfile.import_plan(
            session=db_session,
            path=path,
            actor=admin,
            plan_code="80/KH-UBND",
            province="19",
            programme="01/NQ-TU",
            today=TODAY,
        )
    found = {(p.sheet, p.row, p.column.split(" ")[0]) for p in caught.value.problems}
    expected = {
        ("KH 2025", 6, "C"),
        ("KH 2025", 7, "A"),
        ("KH 2025", 8, "E"),
        ("KH 2025", 9, "A"),
        ("KH 2025", 10, "A"),
        ("KH 2025", 11, "G"),
        ("KH 2025", 12, "H"),
        ("KH 2025", 13, "C"),
        ("KH 2025", 13, "D"),
        ("KH 2025", 14, "K"),
        ("KH 2025", 15, "H"),
    }
    assert found == expected, caught.value.problems
    text = str(caught.value)
    assert "nothing was changed" in text and "Xã Văn Lang" in text and "row 13" in text
    assert db_session.scalar(select(func.count()).select_from(TaskPlan)) == 0
    assert db_session.scalar(select(func.count()).select_from(Task)) == 0


def test_the_file_must_be_a_plan(db_session, tmp_path):
    admin = people(db_session)["admin"]
    path = province_form(tmp_path / "x.xlsx", rows=[], header=["Mã", "Tên"])
    with pytest.raises(planfile.PlanImportRefused, match="no header row"):
        planfile.import_plan(session=db_session, path=path, actor=admin, plan_code="P", province="19")
    missing = province_form(tmp_path / "y.xlsx", rows=[], header=["STT", "Nhiệm vụ"])
    with pytest.raises(planfile.PlanImportRefused, match="Đơn vị chủ trì"):
        planfile.import_plan(session=db_session, path=missing, actor=admin, plan_code="P", province="19")


def test_only_the_programme_office_imports(db_session, tmp_path):
    officer = people(db_session)["officer"]
    with pytest.raises(PermissionDenied):
        planfile.import_plan(
            session=db_session,
            path=province_form(tmp_path / "kh.xlsx"),
            actor=officer,
            plan_code="80/KH-UBND",
            province="19",
        )


def test_dates_as_plans_write_them():
    d = taskbook.date_cell
    assert d("Quý I/2025", end=True) == dt.date(2025, 3, 31) and d("quý 2/2025", end=False) == dt.date(2025, 4, 1)
    assert d("Tháng 2/2024", end=True) == dt.date(2024, 2, 29) and d("12/2025", end=True) == dt.date(2025, 12, 31)
    assert d("Năm 2026", end=True) == dt.date(2026, 12, 31) and d(2026, end=False) == dt.date(2026, 1, 1)
    assert d("15/3/2025", end=True) == dt.date(2025, 3, 15) and d("Hằng năm", end=True) is None
    for bad in ("Quý V/2025", "Tháng 13/2025", "sớm", "32/01/2025"):
        with pytest.raises(taskbook.CellProblem):
            d(bad, end=True)
