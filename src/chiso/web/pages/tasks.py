"""Task board of a plan (grouped by lead unit, overdue marked) and a task's page, where its lead unit reports.

Reading needs a login (`task.view`: plans are internal working documents); reporting needs
`task.update` on the task's lead unit, so another unit's officer gets 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
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
from chiso.web.limits import Id
from chiso.web.pages.forms import FieldError, date, number, saved_upload, temporary_folder
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


@router.post("/tasks/{code}/report")
async def report(request: Request, session: DB, who: FormWho, code: str) -> Response:
    form = await request.form()
    plan = str(form.get("plan") or "")
    if not plan:
        raise HTTPException(400, "plan is required")
    tasks.read_task(session=session, actor=who.actor, code=code, plan_code=plan)  # 404 before reading files
    with temporary_folder() as tmp:
        problem = await _report(request, session, who, form, plan, code, Path(tmp))
    await form.close()
    if problem is not None:
        session.rollback()
        field_name, text = problem
        values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        page = build(session, who, code, plan, values=values, errors={field_name: [text]})
        return render(request, who, page, 422)
    query = urlencode({"plan": plan, "done": "reported"})
    return RedirectResponse(f"/tasks/{code}?{query}", status_code=303)


async def _report(
    request: Request, session: DB, who: Who, form: FormData, plan: str, code: str, tmp: Path
) -> tuple[str, str] | None:
    """Record the report; (field, message) when something is wrong, to show next to that field."""
    settings = request.app.state.settings
    try:
        status = str(form.get("status") or "") or None
        progress = number(form, "progress")
        doc_number = str(form.get("doc_number") or "").strip()
        upload = form.get("file")
        evidence: list[EvidenceIn] = []
        if doc_number:
            path = None
            if isinstance(upload, UploadFile) and upload.filename:
                path = await saved_upload(upload, tmp, settings.upload_max_bytes)
            doc = EvidenceIn(
                doc_number=doc_number,
                doc_date=date(form, "doc_date"),
                summary=str(form.get("summary") or ""),
                file=path,
            )
            evidence.append(doc)
        elif isinstance(upload, UploadFile) and upload.filename:
            raise FieldError("doc_number", "nhập số hiệu văn bản cho tệp / give the document number of the file")
        report_in = ReportIn(
            note=str(form.get("note") or "").strip(), status=status, progress=progress, evidence=tuple(evidence)
        )
        version = int(str(form.get("version") or "0")) or None
        tasks.report(
            session=session,
            plan_code=plan,
            task_code=code,
            report_in=report_in,
            actor=who.actor,
            files=request.app.state.files,
            expected_version=version,
        )
    except FieldError as exc:
        return exc.field, str(exc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = str(first["loc"][0]) if first["loc"] else "note"
        return ("doc_number" if where == "evidence" else where), first["msg"].removeprefix("Value error, ")
    except EvidenceRefused as exc:
        return "file", str(exc)
    except (PermissionDenied, NotFound):
        raise
    except ConflictError as exc:
        return "general", str(exc)
    except ChisoError as exc:  # a status that contradicts the progress
        return "progress", str(exc)
    except ValueError:  # only the hidden version field is left to fail
        return "general", "biểu mẫu không hợp lệ, tải lại trang / invalid form, reload the page"
    return None


@router.get("/tasks/evidence/{evidence_id}")
def evidence_file(request: Request, session: DB, who: WhoDep, evidence_id: Id) -> Response:
    """A progress report's file, as a download (never rendered inline), for who may read the tasks."""
    check(who.actor, "task.view")
    evidence = session.get(TaskEvidence, evidence_id)
    if evidence is None or not evidence.file_sha256:
        raise NotFound.of("evidence.unknown", id=evidence_id)
    return download(request, evidence.file_sha256, evidence.media_type, evidence.file_name)
