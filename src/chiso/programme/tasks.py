"""Plans and their tasks: define them, report progress with evidence, find what is overdue.

A task is led by one unit (đơn vị chủ trì) with co-units (đơn vị phối hợp); only its lead unit's
officer (or an administrator) reports progress on it (`task.update`). A task is overdue when its due
date has passed and it is neither done nor cancelled; it is reported to its lead unit, and to its
co-units as a task they support. Services check one permission, write an audit entry for each change
and never commit.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso import clock, versioned
from chiso.audit import service as audit
from chiso.collection.evidence import FileStore
from chiso.errors import ChisoError, NotFound
from chiso.framework import FrameworkError, load_framework
from chiso.permissions import Actor, check
from chiso.programme.directory import directory
from chiso.programme.io import ProgrammeError
from chiso.programme.io import load_programme as _load_programme
from chiso.programme.models import CLOSED_STATUSES, TASK_STATUSES, Task, TaskEvidence, TaskPlan, TaskUpdate
from chiso.programme.schemas import OverdueTask, PlanIn, ReportIn, TaskIn
from chiso.programme.spec import Programme
from chiso.units.errors import UnitsError

DEFINITION = (
    "section",
    "title",
    "description",
    "lead_unit",
    "co_units",
    "start_date",
    "due_date",
    "output",
    "targets",
    "indicators",
)


# --- plans -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def load_programme(reference: str) -> Programme:
    """A shipped programme by code or document number (cached: shipped programmes do not change)."""
    return _load_programme(reference)


def programme_code(reference: str | None) -> str | None:
    """A programme's code from its code or document number (01/NQ-TU → thai-nguyen-01-nq-tu)."""
    if reference is None or not reference.strip():
        return None
    try:
        return load_programme(reference).code
    except ProgrammeError as exc:
        raise ChisoError(str(exc)) from exc


def get_plan(*, session: Session, code: str) -> TaskPlan:
    plan = session.scalar(select(TaskPlan).where(TaskPlan.code == code))
    if plan is None:
        known = session.scalars(select(TaskPlan.code).order_by(TaskPlan.id)).all()
        raise NotFound.of("plan.unknown", field="plan", hint="--plan", plan=code, known=", ".join(known) or "—")
    return plan


def only_plan(*, session: Session) -> TaskPlan:
    """The plan when there is exactly one (so that commands need not name it)."""
    plans = session.scalars(select(TaskPlan).order_by(TaskPlan.id).limit(2)).all()
    if len(plans) != 1:
        known = session.scalars(select(TaskPlan.code).order_by(TaskPlan.id)).all()
        raise ChisoError.of("plan.needed", field="plan", hint="--plan", known=", ".join(known) or "—")
    return plans[0]


def list_plans(*, session: Session, actor: Actor) -> Sequence[TaskPlan]:
    check(actor, "task.view")
    return session.scalars(select(TaskPlan).order_by(TaskPlan.id)).all()


def save_plan(*, session: Session, plan_in: PlanIn, actor: Actor) -> tuple[TaskPlan, bool]:
    """Create the plan, or bring an existing one's name, date, programme and note up to date.

    (plan, changed). The province and era of an existing plan cannot change: its tasks refer to its units.
    """
    check(actor, "task.manage")
    try:
        unit = directory(plan_in.province, plan_in.era)
    except UnitsError as exc:
        raise ChisoError(f"plan {plan_in.code}: {exc}") from exc
    fields = {
        "name": plan_in.name,
        "document_date": plan_in.document_date,
        "programme": programme_code(plan_in.programme),
        "note": plan_in.note,
    }
    plan = session.scalar(select(TaskPlan).where(TaskPlan.code == plan_in.code))
    if plan is None:
        plan = TaskPlan(code=plan_in.code, unit_code=unit.province, era=plan_in.era, created_by=actor.user, **fields)
        session.add(plan)
        session.flush()
        audit.record(
            session=session,
            actor=actor.user,
            action="plan.create",
            entity="task_plan",
            entity_key=plan.code,
            after=_plain(fields),
        )
        return plan, True
    if (plan.unit_code, plan.era) != (unit.province, plan_in.era):
        raise ChisoError(
            f"plan {plan.code} is for province {plan.unit_code} (era {plan.era}), not {unit.province} ({plan_in.era})"
        )
    before = {k: getattr(plan, k) for k in fields}
    changed = {k: v for k, v in fields.items() if before[k] != v}
    if not changed:
        return plan, False
    for key, value in changed.items():
        setattr(plan, key, value)
    audit.record(
        session=session,
        actor=actor.user,
        action="plan.edit",
        entity="task_plan",
        entity_key=plan.code,
        before=_plain({k: before[k] for k in changed}),
        after=_plain(changed),
    )
    return plan, True


# --- task definitions --------------------------------------------------------------------------------


def problems_in(plan: TaskPlan, task_in: TaskIn) -> list[tuple[str, str]]:
    """(field, message) for every reference in `task_in` that the plan's province or programme lacks."""
    units = directory(plan.unit_code, plan.era)
    out = []
    if not units.is_unit(task_in.lead_unit):
        out.append(("lead_unit", f"{task_in.lead_unit!r} không phải đơn vị của tỉnh / not a unit of the province"))
    for code in task_in.co_units:
        if not (units.is_unit(code) or units.is_group(code)):
            out.append(("co_units", f"{code!r} không phải đơn vị của tỉnh / not a unit of the province"))
    if task_in.lead_unit in task_in.co_units:
        out.append(("co_units", "đơn vị chủ trì không đồng thời là đơn vị phối hợp / the lead is not a co-unit"))
    if task_in.targets:
        if plan.programme is None:
            out.append(("targets", "kế hoạch chưa gắn với chương trình / the plan has no programme (--programme)"))
        else:
            known = load_programme(plan.programme).linkable
            for target in task_in.targets:
                if target not in known:
                    out.append(("targets", f"chỉ tiêu {target!r} không có trong {plan.programme} / unknown target"))
    for reference in task_in.indicators:
        message = indicator_problem(reference)
        if message:
            out.append(("indicators", message))
    return out


@functools.lru_cache(maxsize=16)
def _nodes(framework_code: str) -> frozenset[str] | None:
    try:
        return frozenset(n.code for n in load_framework(framework_code).nodes)
    except FrameworkError:
        return None


def indicator_problem(reference: str) -> str | None:
    framework_code, _, node = reference.partition(":")
    if not node:
        return f"{reference!r}: ghi 'bộ chỉ số:mã', ví dụ commune-2025:c4_4 / write framework:node"
    nodes = _nodes(framework_code)
    if nodes is None:
        return f"{reference!r}: không có bộ chỉ số {framework_code!r} / unknown framework (chiso framework list)"
    if node not in nodes:
        return f"{reference!r}: {framework_code} không có chỉ số {node!r} / unknown node"
    return None


def get_task(*, session: Session, plan: TaskPlan, code: str) -> Task:
    task = session.scalar(select(Task).where(Task.plan_id == plan.id, Task.code == code))
    if task is None:
        raise NotFound.of("task.unknown", field="task", plan=plan.code, task=code)
    return task


def read_task(*, session: Session, actor: Actor, code: str, plan_code: str | None = None) -> Task:
    """One task with its progress reports (the plan may be omitted when there is only one)."""
    check(actor, "task.view")
    plan = get_plan(session=session, code=plan_code) if plan_code else only_plan(session=session)
    return get_task(session=session, plan=plan, code=code)


def save_task(
    *, session: Session, plan_code: str, task_in: TaskIn, actor: Actor, position: int | None = None
) -> tuple[Task, str]:
    """Create a task or change its definition; ('created' | 'changed' | 'unchanged')."""
    check(actor, "task.manage")
    plan = get_plan(session=session, code=plan_code)
    problems = problems_in(plan, task_in)
    if problems:
        raise ChisoError(f"task {task_in.code}: " + "; ".join(f"{f}: {m}" for f, m in problems))
    parent = None
    if task_in.parent_code is not None:
        parent = session.scalar(select(Task).where(Task.plan_id == plan.id, Task.code == task_in.parent_code))
        if parent is None:
            raise NotFound(f"task {task_in.code}: its parent {task_in.parent_code} is not in plan {plan.code}")
    fields = _definition(task_in)
    task = session.scalar(select(Task).where(Task.plan_id == plan.id, Task.code == task_in.code))
    if task is None:
        if position is None:
            position = len(session.scalars(select(Task.id).where(Task.plan_id == plan.id)).all()) + 1
        task = Task(
            plan=plan,
            parent_id=parent.id if parent else None,
            code=task_in.code,
            position=position,
            status="not_started",
            progress=0.0,
            result="",
            updated_by=actor.user,
            **fields,
        )
        session.add(task)
        session.flush()
        audit.record(
            session=session,
            actor=actor.user,
            action="task.create",
            entity="task",
            entity_key=f"{plan.code}/{task.code}",
            after=_plain(fields),
        )
        return task, "created"
    before = {k: getattr(task, k) for k in DEFINITION}
    changed = {k: v for k, v in fields.items() if before[k] != v}
    if position is not None and task.position != position:
        task.position = position
    if not changed:
        return task, "unchanged"
    for key, value in changed.items():
        setattr(task, key, value)
    task.updated_at, task.updated_by = clock.of(session).now(), actor.user
    audit.record(
        session=session,
        actor=actor.user,
        action="task.edit",
        entity="task",
        entity_key=f"{plan.code}/{task.code}",
        before=_plain({k: before[k] for k in changed}),
        after=_plain(changed),
    )
    return task, "changed"


def _definition(task_in: TaskIn) -> dict[str, Any]:
    return {
        "section": task_in.section,
        "title": task_in.title,
        "description": task_in.description,
        "lead_unit": task_in.lead_unit,
        "co_units": list(task_in.co_units),
        "start_date": task_in.start_date,
        "due_date": task_in.due_date,
        "output": task_in.output,
        "targets": list(task_in.targets),
        "indicators": list(task_in.indicators),
    }


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in fields.items()}


# --- progress reports ----------------------------------------------------------------------------------


def latest_evidence(task: Task) -> list[tuple[str, dt.date | None, str]]:
    """The documents cited in the task's last progress report."""
    if not task.updates:
        return []
    return [(e.doc_number, e.doc_date, e.summary) for e in task.updates[-1].evidence]


def resolve_report(task: Task, report_in: ReportIn) -> tuple[str, float]:
    """The status and progress a report leads to: omitted ones are inferred, contradictions refused."""
    status, progress = report_in.status, report_in.progress
    if status is not None and status not in TASK_STATUSES:
        raise ChisoError.of("task.status-unknown", field="status", status=status, known=TASK_STATUSES)
    if status is None:
        if progress is None:
            status = task.status
        elif progress >= 100:
            status = "done"
        elif progress > 0 and task.status in ("not_started", "done"):
            status = "in_progress"
        else:
            status = task.status
    if progress is None:
        progress = 100.0 if status == "done" else task.progress
    if status == "done" and progress < 100:
        raise ChisoError.of("task.done-needs-100", field="progress", task=task.code, progress=float(progress))
    if status == "not_started" and progress > 0:
        raise ChisoError.of("task.not-started-is-0", field="progress", task=task.code, progress=float(progress))
    return status, float(progress)


def report(
    *,
    session: Session,
    plan_code: str,
    task_code: str,
    report_in: ReportIn,
    actor: Actor,
    files: FileStore | None = None,
    today: dt.date | None = None,
    expected_version: int | None = None,
) -> TaskUpdate | None:
    """Record a progress report by the task's lead unit; None when it changes nothing.

    `expected_version` is the task version the caller read: ConflictError if someone reported since.
    """
    plan = get_plan(session=session, code=plan_code)
    task = get_task(session=session, plan=plan, code=task_code)
    check(actor, "task.update", task.lead_unit)
    subject = f"task {plan.code}/{task.code}"

    def current() -> dict[str, Any]:
        return {"status": task.status, "progress": task.progress}

    versioned.expect(subject, version=task.version, expected=expected_version, current=current)
    status, progress = resolve_report(task, report_in)
    evidence = [(e.doc_number, e.doc_date, e.summary) for e in report_in.evidence]
    unchanged = (status, progress, report_in.note.strip()) == (task.status, task.progress, task.result)
    new_files = any(e.file for e in report_in.evidence)
    if unchanged and (evidence == latest_evidence(task) or not evidence) and not new_files:
        return None
    reported_on = report_in.reported_on or today or clock.of(session).today()
    documents = []
    for doc in report_in.evidence:  # files first: a refused file leaves nothing behind
        stored = files.store(doc.file, session=session) if doc.file is not None and files is not None else None
        documents.append(
            TaskEvidence(
                doc_number=doc.doc_number,
                doc_date=doc.doc_date,
                summary=doc.summary,
                file_sha256=stored.sha256 if stored else None,
                file_name=stored.name if stored else None,
                media_type=stored.media_type if stored else None,
                size_bytes=stored.size if stored else None,
            )
        )
    update = TaskUpdate(
        task=task,
        reported_on=reported_on,
        recorded_by=actor.user,
        unit_code=actor.unit_code,
        status_before=task.status,
        status=status,
        progress_before=task.progress,
        progress=progress,
        note=report_in.note.strip(),
        evidence=documents,
    )
    session.add(update)
    before = current()
    with versioned.write(
        session=session,
        subject=subject,
        current=current,
        actor=actor.user,
        action="task.report",
        entity="task",
        entity_key=f"{plan.code}/{task.code}",
        before=before,
        after=lambda: {
            "status": status,
            "progress": progress,
            "note": update.note,
            "evidence": [e.doc_number for e in update.evidence],
        },
    ):
        if status == "done" and task.status != "done":
            task.completed_on = reported_on
        elif status != "done":
            task.completed_on = None
        task.status, task.progress, task.result = status, progress, update.note
        task.updated_at, task.updated_by = clock.of(session).now(), actor.user
    return update


# --- reading ------------------------------------------------------------------------------------------


def list_tasks(
    *,
    session: Session,
    actor: Actor,
    plan_code: str | None = None,
    unit_code: str | None = None,
    statuses: Sequence[str] = (),
    overdue_on: dt.date | None = None,
) -> list[Task]:
    """Tasks in plan order; `unit_code` keeps those it leads or joins (directly or through a group)."""
    check(actor, "task.view")
    query = select(Task).join(TaskPlan).order_by(TaskPlan.id, Task.position, Task.id)
    if plan_code is not None:
        query = query.where(TaskPlan.code == get_plan(session=session, code=plan_code).code)
    tasks = list(session.scalars(query).unique())
    if unit_code is not None:
        tasks = [t for t in tasks if role_of(t, unit_code) is not None]
    if statuses:
        unknown = set(statuses) - set(TASK_STATUSES)
        if unknown:
            raise ChisoError.of("task.status-unknown", field="status", status=sorted(unknown), known=TASK_STATUSES)
        tasks = [t for t in tasks if t.status in statuses]
    if overdue_on is not None:
        tasks = [t for t in tasks if t.overdue_on(overdue_on)]
    return tasks


def role_of(task: Task, unit_code: str) -> str | None:
    """'lead' if the unit leads the task, 'co' if it is a co-unit (itself or through its group), else None."""
    if task.lead_unit == unit_code:
        return "lead"
    if unit_code in task.co_units:
        return "co"
    groups = {c for c in task.co_units if c.startswith("group:")}
    if groups:
        from chiso.units.groups import province_groups

        for group in province_groups(task.plan.unit_code, era=task.plan.era):
            if f"group:{group.code}" in groups and unit_code in group.members:
                return "co"
    return None


def overdue(
    *, session: Session, actor: Actor, today: dt.date, unit_code: str | None = None, plan_code: str | None = None
) -> list[OverdueTask]:
    """Overdue tasks: all of them, or what `unit_code` must act on (those it leads first, then supports)."""
    check(actor, "task.view")
    late = list_tasks(session=session, actor=actor, plan_code=plan_code, overdue_on=today)
    out = []
    for task in late:
        role = "lead" if unit_code is None else role_of(task, unit_code)
        if role is not None:
            assert task.due_date is not None
            out.append(OverdueTask(task, role, (today - task.due_date).days))
    return sorted(out, key=lambda o: (o.role != "lead", -o.days_late, o.task.position))


def is_open(task: Task) -> bool:
    return task.status not in CLOSED_STATUSES
