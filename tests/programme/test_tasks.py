"""Tasks: definitions, progress reports by the lead unit only, overdue detection, history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.factories import COMMUNE, OTHER, people

from chiso.actors import service as actors
from chiso.audit.models import AuditEntry
from chiso.errors import ChisoError, ConflictError, ImmutableError, PermissionDenied
from chiso.programme import tasks
from chiso.programme.models import TaskUpdate
from chiso.programme.schemas import PlanIn, ReportIn, TaskIn

PLAN = "80/KH-UBND"
SKHCN = "19-SKHCN"
TODAY = dt.date(2025, 10, 15)


def make_plan(session, admin):
    tasks.save_plan(
        session=session,
        plan_in=PlanIn(code=PLAN, name="Kế hoạch chuyển đổi số", province="19", programme="01/NQ-TU"),
        actor=admin,
    )
    definitions = [
        TaskIn(
            code="1",
            title="Dịch vụ công trực tuyến toàn trình",
            lead_unit=SKHCN,
            co_units=("group:departments",),
            due_date=dt.date(2025, 12, 31),
            targets=("level4_services",),
            indicators=("commune-2025:c4_4",),
        ),
        TaskIn(
            code="1.1", title="Rà soát thủ tục", lead_unit=COMMUNE, co_units=(SKHCN,), due_date=dt.date(2025, 6, 30)
        ),
        TaskIn(
            code="1.2",
            title="Tổ công nghệ số cộng đồng",
            lead_unit=OTHER,
            co_units=("group:commune-level",),
            due_date=dt.date(2025, 9, 30),
        ),
        TaskIn(code="2", title="Truyền thông thường xuyên", lead_unit=SKHCN, due_date=None),
    ]
    for task_in in definitions:
        tasks.save_task(session=session, plan_code=PLAN, task_in=task_in, actor=admin)


@pytest.fixture
def who(db_session):
    found = people(db_session)
    found["dept"] = actors.ensure(
        session=db_session, user="canbo.skhcn", roles={"officer"}, unit_code=SKHCN, actor=found["admin"]
    )
    make_plan(db_session, found["admin"])
    return found


def test_the_lead_unit_reports_progress_with_evidence(db_session, who):
    note = "Đã rà soát 120 thủ tục"
    doc = {"doc_number": "45/BC-UBND", "doc_date": dt.date(2025, 5, 20), "summary": "Báo cáo rà soát"}
    update = tasks.report(
        session=db_session,
        plan_code=PLAN,
        task_code="1.1",
        actor=who["officer"],
        today=TODAY,
        report_in=ReportIn(note=note, progress=60, evidence=(doc,)),
    )
    assert update is not None and (update.status_before, update.status, update.progress) == (
        "not_started",
        "in_progress",
        60,
    )
    task = tasks.read_task(session=db_session, actor=who["officer"], code="1.1", plan_code=PLAN)
    assert (task.status, task.progress, task.result) == ("in_progress", 60, note)
    assert tasks.latest_evidence(task) == [("45/BC-UBND", dt.date(2025, 5, 20), "Báo cáo rà soát")]
    # the same report again changes nothing; 100 % means done, on the day reported
    again = ReportIn(note=note, progress=60)
    assert (
        tasks.report(session=db_session, plan_code=PLAN, task_code="1.1", actor=who["officer"], report_in=again) is None
    )
    tasks.report(
        session=db_session,
        plan_code=PLAN,
        task_code="1.1",
        actor=who["officer"],
        today=TODAY,
        report_in=ReportIn(note="Hoàn thành rà soát", progress=100),
    )
    assert (task.status, task.completed_on) == ("done", TODAY)
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.entity_key == f"{PLAN}/1.1")).all()
    assert actions == ["task.create", "task.report", "task.report"]


def test_a_unit_updates_only_its_own_tasks(db_session, who):
    report = ReportIn(note="Đang triển khai", progress=10)
    with pytest.raises(PermissionDenied, match="only for unit 01840"):  # led by another commune
        tasks.report(session=db_session, plan_code=PLAN, task_code="1.2", actor=who["officer"], report_in=report)
    with pytest.raises(PermissionDenied, match="only for unit 19-SKHCN"):  # a co-unit does not report
        tasks.report(session=db_session, plan_code=PLAN, task_code="1.1", actor=who["dept"], report_in=report)
    with pytest.raises(PermissionDenied, match="needs one of the roles"):
        tasks.report(session=db_session, plan_code=PLAN, task_code="1", actor=who["appraiser"], report_in=report)
    with pytest.raises(PermissionDenied):  # officers do not define tasks
        tasks.save_task(
            session=db_session,
            plan_code=PLAN,
            actor=who["officer"],
            task_in=TaskIn(code="3", title="x", lead_unit=COMMUNE),
        )
    assert tasks.report(session=db_session, plan_code=PLAN, task_code="1.2", actor=who["other"], report_in=report)
    assert tasks.report(session=db_session, plan_code=PLAN, task_code="1", actor=who["dept"], report_in=report)
    assert tasks.report(session=db_session, plan_code=PLAN, task_code="2", actor=who["admin"], report_in=report)


def test_contradictory_reports_are_refused(db_session, who):
    def send(**fields):
        return tasks.report(
            session=db_session, plan_code=PLAN, task_code="1", actor=who["dept"], report_in=ReportIn(note="x", **fields)
        )

    with pytest.raises(ChisoError, match="hoàn thành là tiến độ 100 %, không phải 50 %"):
        send(status="done", progress=50)
    with pytest.raises(ChisoError, match="chưa triển khai là tiến độ 0 %"):
        send(status="not_started", progress=20)
    with pytest.raises(ChisoError, match="Trạng thái không có"):
        send(status="finished")
    with pytest.raises(ValueError):
        ReportIn(note="x", progress=120)
    assert send(status="done").progress == 100  # done alone means 100 %
    task = tasks.read_task(session=db_session, actor=who["dept"], code="1", plan_code=PLAN)
    with pytest.raises(ConflictError):
        tasks.report(
            session=db_session,
            plan_code=PLAN,
            task_code="1",
            actor=who["dept"],
            report_in=ReportIn(note="y", status="in_progress", progress=90),
            expected_version=task.version - 1,
        )


def test_overdue_tasks_are_reported_to_their_lead_unit(db_session, who):
    admin = who["admin"]
    late = tasks.overdue(session=db_session, actor=admin, today=TODAY)
    assert [(o.task.code, o.task.lead_unit, o.days_late) for o in late] == [("1.1", COMMUNE, 107), ("1.2", OTHER, 15)]
    mine = tasks.overdue(session=db_session, actor=who["officer"], today=TODAY, unit_code=COMMUNE)
    # 1.1 it leads; 1.2 it supports as one of the province's communes (group:commune-level)
    assert [(o.task.code, o.role) for o in mine] == [("1.1", "lead"), ("1.2", "co")]
    assert [
        (o.task.code, o.role) for o in tasks.overdue(session=db_session, actor=admin, today=TODAY, unit_code=SKHCN)
    ] == [("1.1", "co")]
    assert tasks.overdue(session=db_session, actor=admin, today=TODAY, unit_code="19-SYT") == []
    # done or cancelled is never overdue; a task without a due date ("thường xuyên") neither
    tasks.report(
        session=db_session,
        plan_code=PLAN,
        task_code="1.1",
        actor=who["officer"],
        report_in=ReportIn(note="Xong", status="done"),
    )
    tasks.report(
        session=db_session,
        plan_code=PLAN,
        task_code="1.2",
        actor=who["other"],
        report_in=ReportIn(note="Không thực hiện nữa", status="cancelled"),
    )
    assert tasks.overdue(session=db_session, actor=admin, today=dt.date(2030, 1, 1)) != []
    assert {o.task.code for o in tasks.overdue(session=db_session, actor=admin, today=dt.date(2030, 1, 1))} == {"1"}


def test_definitions_are_checked_against_the_province_and_the_programme(db_session, who):
    admin = who["admin"]
    bad = [
        (TaskIn(code="5", title="x", lead_unit="01001"), "not a unit of the province"),  # a Hà Nội commune
        (TaskIn(code="5", title="x", lead_unit=SKHCN, targets=("moon_landing",)), "unknown target"),
        (TaskIn(code="5", title="x", lead_unit=SKHCN, indicators=("c4_4",)), "framework:node"),
        (TaskIn(code="5", title="x", lead_unit=SKHCN, indicators=("commune-2025:c9_9",)), "unknown node"),
        (TaskIn(code="5.1", title="x", lead_unit=SKHCN), "parent 5"),
    ]
    for task_in, message in bad:
        with pytest.raises(ChisoError, match=message):
            tasks.save_task(session=db_session, plan_code=PLAN, task_in=task_in, actor=admin)
    with pytest.raises(ValueError, match="due before start"):
        TaskIn(code="5", title="x", lead_unit=SKHCN, start_date=dt.date(2025, 2, 1), due_date=dt.date(2025, 1, 1))
    with pytest.raises(ValueError):
        TaskIn(code="1.a", title="x", lead_unit=SKHCN)
    changed = TaskIn(code="2", title="Truyền thông thường xuyên", lead_unit=SKHCN, due_date=dt.date(2025, 12, 31))
    assert tasks.save_task(session=db_session, plan_code=PLAN, task_in=changed, actor=admin)[1] == "changed"
    assert tasks.save_task(session=db_session, plan_code=PLAN, task_in=changed, actor=admin)[1] == "unchanged"


def test_progress_reports_are_history(db_session, who):
    tasks.report(
        session=db_session,
        plan_code=PLAN,
        task_code="1",
        actor=who["dept"],
        report_in=ReportIn(note="Bắt đầu", progress=5),
    )
    db_session.flush()
    update = db_session.scalars(select(TaskUpdate)).one()
    update.note = "changed"
    with pytest.raises(ImmutableError):
        db_session.flush()
    db_session.rollback()
