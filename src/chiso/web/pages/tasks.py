"""Task board of a plan (grouped by lead unit, overdue marked) and a task's page, where its lead unit reports.

Reading needs a login (`task.view`: plans are internal working documents); reporting needs
`task.update` on the task's lead unit, so another unit's officer gets 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field, ValidationError
from starlette.datastructures import FormData, UploadFile

from chiso import clock
from chiso.collection.evidence import EvidenceRefused
from chiso.collection.schemas import EvidenceIn
from chiso.errors import ChisoError, ConflictError, NotFound, PermissionDenied
from chiso.permissions import allowed, check
from chiso.programme import tasks
from chiso.programme.directory import directory
from chiso.programme.models import TASK_STATUSES, Task, TaskEvidence, TaskPlan
from chiso.programme.schemas import ReportIn
from chiso.web.deps import DB, FormWho, Who, WhoDep
from chiso.web.files import download
from chiso.web.i18n import N_, gettext
from chiso.web.limits import Id
from chiso.web.pages.forms import (
    Form,
    FormDate,
    FormInvalid,
    FormNumber,
    Optional,
    invalid,
    parse,
    saved_upload,
    temporary_folder,
)
from chiso.web.render import Page, render

router = APIRouter()
ALL_UNITS = "all"


@dataclass(frozen=True)
class UnitTasks:
    code: str
    name: str
    tasks: list[Task]
    overdue: int


@dataclass(frozen=True)
class TasksPage(Page):
    plans: list[TaskPlan]
    plan: TaskPlan | None
    groups: list[UnitTasks]
    units: list[tuple[str, str]]  # (code, name) of every lead unit, for the filter
    unit: str  # a unit code, or ALL_UNITS
    status: str  # a task status, or "" for any
    statuses: tuple[str, ...]
    today: dt.date
    overdue: int

    @property
    def shown(self) -> int:
        return sum(len(g.tasks) for g in self.groups)


@dataclass(frozen=True)
class TaskPage(Page):
    plan: TaskPlan
    task: Task
    lead_name: str
    co_names: list[str]
    today: dt.date
    can_report: bool
    statuses: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""


def _login(request: Request) -> Response:
    return RedirectResponse(f"/login?{urlencode({'next': str(request.url.path)})}", status_code=303)


def _plan_code(session: DB, who: Who, plan: str | None) -> str | None:
    if plan:
        return plan
    plans = tasks.list_plans(session=session, actor=who.actor)
    return plans[0].code if plans else None


@router.get("/tasks")
def board(
    request: Request, session: DB, who: WhoDep, plan: str | None = None, unit: str | None = None, status: str = ""
) -> Response:
    if not who.logged_in:
        return _login(request)
    plans = list(tasks.list_plans(session=session, actor=who.actor))
    today = clock.of(session).today()
    if unit is None:  # a unit's officer starts with the tasks of their own unit
        unit = who.actor.unit_code if who.actor.has("officer") and who.actor.unit_code else ALL_UNITS
    code = _plan_code(session, who, plan)
    if code is None:
        return render(request, who, TasksPage(plans, None, [], [], unit, status, TASK_STATUSES, today, 0))
    current = tasks.get_plan(session=session, code=code)
    names = directory(current.unit_code, current.era)
    every = tasks.list_tasks(session=session, actor=who.actor, plan_code=code)
    shown = tasks.list_tasks(
        session=session,
        actor=who.actor,
        plan_code=code,
        unit_code=None if unit == ALL_UNITS else unit,
        statuses=[status] if status else (),
    )
    by_unit: dict[str, list[Task]] = {}
    for task in shown:
        by_unit.setdefault(task.lead_unit, []).append(task)
    own = who.actor.unit_code
    groups = [
        UnitTasks(lead, names.name(lead), listed, sum(t.overdue_on(today) for t in listed))
        for lead, listed in sorted(by_unit.items(), key=lambda kv: (kv[0] != own, kv[1][0].position))
    ]
    leads = sorted({t.lead_unit for t in every}, key=names.name)
    page = TasksPage(
        plans,
        current,
        groups,
        [(c, names.name(c)) for c in leads],
        unit,
        status,
        TASK_STATUSES,
        today,
        sum(g.overdue for g in groups),
    )
    return render(request, who, page)


def build(
    session: DB,
    who: Who,
    code: str,
    plan: str | None,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
) -> TaskPage:
    plan_code = _plan_code(session, who, plan)
    if plan_code is None:
        raise NotFound.of("plan.none")
    task = tasks.read_task(session=session, actor=who.actor, code=code, plan_code=plan_code)
    names = directory(task.plan.unit_code, task.plan.era)
    return TaskPage(
        task.plan,
        task,
        names.name(task.lead_unit),
        [names.name(c) for c in task.co_units],
        clock.of(session).today(),
        allowed(who.actor, "task.update", task.lead_unit),
        TASK_STATUSES,
        values or {},
        errors or {},
        message,
    )


@router.get("/tasks/{code}")
def task_page(
    request: Request, session: DB, who: WhoDep, code: str, plan: str | None = None, done: str = ""
) -> Response:
    if not who.logged_in:
        return _login(request)
    return render(request, who, build(session, who, code, plan, message=done))


class PlanForm(Form):
    plan: str = Field(min_length=1, title=N_("Kế hoạch"))


class ReportForm(Form):
    """A progress report as posted by the task page."""

    plan: str = Field(min_length=1, title=N_("Kế hoạch"))
    note: str = Field("", title=N_("Kết quả thực hiện"))
    status: Annotated[Literal[TASK_STATUSES] | None, Optional] = Field(None, title=N_("Trạng thái"))  # type: ignore[valid-type]
    progress: FormNumber = Field(None, title=N_("Tiến độ (%)"))
    doc_number: str = Field("", max_length=100, title=N_("Số hiệu văn bản"))
    doc_date: FormDate = Field(None, title=N_("Ngày"))
    summary: str = Field("", max_length=500, title=N_("Trích yếu"))
    version: Annotated[int | None, Optional] = Field(None, title=N_("Phiên bản"))


@router.post("/tasks/{code}/report")
async def report(request: Request, session: DB, who: FormWho, code: str) -> Response:
    form = await request.form()
    plan = parse(PlanForm, form).plan  # first: a 404 comes before the files are looked at
    tasks.read_task(session=session, actor=who.actor, code=code, plan_code=plan)
    try:
        posted = parse(ReportForm, form)
        with temporary_folder() as tmp:
            await _report(request, session, who, form, posted, code, Path(tmp))
    except (FormInvalid, EvidenceRefused, ConflictError) as exc:
        await form.close()
        session.rollback()
        lang = who.lang
        if isinstance(exc, FormInvalid):
            errors = exc.by_field(gettext(lang))
        else:
            errors = {"file" if isinstance(exc, EvidenceRefused) else "general": [exc.message(gettext(lang), lang)]}
        values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        page = build(session, who, code, plan, values=values, errors=errors)
        return render(request, who, page, 422)
    await form.close()
    query = urlencode({"plan": posted.plan, "done": "reported"})
    return RedirectResponse(f"/tasks/{code}?{query}", status_code=303)


async def _report(
    request: Request, session: DB, who: Who, form: FormData, posted: ReportForm, code: str, tmp: Path
) -> None:
    """Record the report; FormInvalid when a field is wrong, to show next to that field."""
    settings = request.app.state.settings
    upload = form.get("file")
    evidence: list[EvidenceIn] = []
    try:
        if posted.doc_number:
            path = None
            if isinstance(upload, UploadFile) and upload.filename:
                path = await saved_upload(upload, tmp, settings.upload_max_bytes)
            evidence.append(
                EvidenceIn(doc_number=posted.doc_number, doc_date=posted.doc_date, summary=posted.summary, file=path)
            )
        elif isinstance(upload, UploadFile) and upload.filename:
            raise FormInvalid([("doc_number", NEEDS_NUMBER, {})], {})
        report_in = ReportIn(note=posted.note, status=posted.status, progress=posted.progress, evidence=tuple(evidence))
    except ValidationError as exc:
        raise invalid(exc, ReportForm, {"evidence": "doc_number"}) from None
    try:
        tasks.report(
            session=session,
            plan_code=posted.plan,
            task_code=code,
            report_in=report_in,
            actor=who.actor,
            files=request.app.state.files,
            expected_version=posted.version,
        )
    except (PermissionDenied, NotFound, ConflictError, EvidenceRefused):
        raise
    except ChisoError as exc:  # a status that contradicts the progress
        raise FormInvalid.at("progress", exc) from None


NEEDS_NUMBER = N_("Nhập số hiệu văn bản cho tệp đính kèm.")


@router.get("/tasks/evidence/{evidence_id}")
def evidence_file(request: Request, session: DB, who: WhoDep, evidence_id: Id) -> Response:
    """A progress report's file, as a download (never rendered inline), for who may read the tasks."""
    check(who.actor, "task.view")
    evidence = session.get(TaskEvidence, evidence_id)
    if evidence is None or not evidence.file_sha256:
        raise NotFound.of("evidence.unknown", id=evidence_id)
    return download(request, evidence.file_sha256, evidence.media_type, evidence.file_name)
