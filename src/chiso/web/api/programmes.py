"""Programmes and their targets (public), and the tasks of plans (a token or a login with `task.view`)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from chiso import clock
from chiso.dashboard import series
from chiso.programme import service as programmes
from chiso.programme import tasks
from chiso.programme.models import Task
from chiso.programme.service import TargetView
from chiso.programme.spec import Programme, Target
from chiso.programme.status import LABELS, describe
from chiso.web.api import cache
from chiso.web.api.common import CSV, NOT_MODIFIED, Format, PageNo, PerPage, UpdatedSince, csv_response, paginate
from chiso.web.api.schemas import IntervalOut, Page, ProgrammeOut, ProgrammeStatusOut, TargetStatusOut, TaskOut
from chiso.web.deps import DB, WhoDep
from chiso.web.i18n import Formats
from chiso.web.targets import in_words

router = APIRouter(tags=["programmes"])
ProgrammeCode = Annotated[
    str, Path(min_length=1, max_length=64, description="A shipped programme's code, e.g. thai-nguyen-01-nq-tu.")
]
TaskStatus = Literal["not_started", "in_progress", "done", "paused", "cancelled"]


@router.get("/programmes", response_model=list[ProgrammeOut], responses=NOT_MODIFIED)
def list_programmes(request: Request, session: DB, who: WhoDep) -> Any:
    """The programmes shipped with Chiso (resolutions, decisions) and how many targets each has."""
    province = request.app.state.settings.province

    def compute() -> list[ProgrammeOut]:
        return [_programme(p) for p in programmes.list_programmes(actor=who.actor, province=province)]

    return cache.respond(request, session, who.actor, compute)


@router.get("/programmes/{code}/status", response_model=ProgrammeStatusOut, responses=NOT_MODIFIED)
def programme_status(request: Request, session: DB, who: WhoDep, code: ProgrammeCode) -> Any:
    """Each target's latest value, progress, forecast for the target year with its interval, and status.

    Read from imported and measured figures only; `simulated` marks demonstration figures.
    """

    def compute() -> ProgrammeStatusOut:
        found = programmes.status(session=session, actor=who.actor, code=code)
        return ProgrammeStatusOut(
            programme=_programme(found.programme),
            simulated=found.simulated,
            summary={status.value: count for status, count in found.summary.items()},
            targets=[_target(found.programme, view) for view in found.targets],
            expectations=[_target(found.programme, view) for view in found.expectations],
        )

    # A status is judged on the day: the same data gives another answer tomorrow.
    return cache.respond(request, session, who.actor, compute, vary=str(clock.of(session).today()))


@router.get("/tasks", response_model=Page[TaskOut], responses=CSV)
def list_tasks(
    request: Request,
    session: DB,
    who: WhoDep,
    plan: Annotated[str | None, Query(max_length=64, description="A plan's code; default: every plan.")] = None,
    unit: Annotated[
        str | None, Query(max_length=32, description="Tasks this unit leads or joins (directly or through a group).")
    ] = None,
    status: Annotated[TaskStatus | None, Query(description="Only tasks in this status.")] = None,
    overdue: Annotated[
        bool, Query(description="Only tasks past their due date and neither done nor cancelled.")
    ] = False,
    updated_since: UpdatedSince = None,
    page: PageNo = 1,
    per_page: PerPage = 100,
    format: Format = "json",
) -> Any:
    """Tasks in plan order, with their status, progress and whether they are overdue today."""
    today = clock.of(session).today()

    def compute() -> Any:
        found = tasks.list_tasks(
            session=session,
            actor=who.actor,
            plan_code=plan,
            unit_code=unit,
            statuses=[status] if status else (),
            overdue_on=today if overdue else None,
        )
        since = series.since_utc(updated_since)
        out = [_task(t, today) for t in found if since is None or series.as_utc(t.updated_at) > since]
        if format == "csv":
            return csv_response(out, list(TaskOut.model_fields), "tasks.csv")
        return Page[TaskOut](**paginate(out, page, per_page))

    return cache.respond(request, session, who.actor, compute, vary=str(today))


def _programme(p: Programme) -> ProgrammeOut:
    return ProgrammeOut(
        code=p.code,
        slug=p.slug,
        name=p.name,
        name_en=p.name_en,
        document_number=p.document.number,
        document_date=p.document.date,
        issuer=p.document.issuer,
        unit_code=p.unit.code,
        horizon=p.horizon,
        targets=len(p.targets),
    )


def _target(p: Programme, view: TargetView) -> TargetStatusOut:
    s, t = view.status, view.target
    forecast = None
    if s.forecast is not None:
        f = s.forecast
        forecast = IntervalOut(year=f.year, value=f.value, low=f.low, high=f.high, level=f.level)
    elif s.rank_forecast is not None:
        r = s.rank_forecast
        forecast = IntervalOut(year=r.year, value=r.rank, low=r.best, high=r.worst, level=r.level)
    return TargetStatusOut(
        code=t.code,
        name=t.name,
        name_en=t.name_en,
        unit_code=p.unit_of(t).code,
        comparison=t.comparison,
        target=t.value,
        year=t.year,
        measure_unit=t.measure_unit,
        baseline=t.baseline.value if t.baseline else None,
        baseline_year=t.baseline.year if t.baseline else None,
        value=s.latest,
        value_year=s.latest_year,
        progress=s.progress,
        forecast=forecast,
        status=s.status.value,
        status_label=LABELS[s.status],
        reason=describe(s.reason, "vi", _figure(t, "vi")),
        reason_en=describe(s.reason, "en", _figure(t, "en")),
        reason_code=s.reason.code,
        reason_params=dict(s.reason.params),
        milestones=dict(t.milestones),
        source=t.source or p.document.number,
        has_source=t.tracks is not None,
        simulated=view.simulated,
        measured=view.measured.measure if view.measured else None,
    )


def _figure(target: Target, lang: str) -> Callable[[float], str]:
    return functools.partial(in_words, Formats(lang), target)


def _task(task: Task, today: dt.date) -> TaskOut:
    late = task.overdue_on(today)
    return TaskOut(
        plan=task.plan.code,
        code=task.code,
        section=task.section,
        title=task.title,
        lead_unit=task.lead_unit,
        co_units=list(task.co_units),
        start_date=task.start_date,
        due_date=task.due_date,
        status=task.status,
        progress=task.progress,
        result=task.result,
        overdue=late,
        days_late=(today - task.due_date).days if late and task.due_date else None,
        updated_at=task.updated_at,
        version=task.version,
    )
