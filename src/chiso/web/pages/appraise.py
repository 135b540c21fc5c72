"""Appraisal: the queue of submitted items, self vs appraised side by side; accept, return, bulk accept."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from chiso.collection import review
from chiso.collection.schemas import ItemView
from chiso.dashboard import service as dashboard
from chiso.permissions import check
from chiso.web.deps import DB, FormWho, WhoDep
from chiso.web.pages.forms import FieldError, number
from chiso.web.render import Page, render

router = APIRouter()
QUEUE = ("submitted", "resubmitted")


@dataclass(frozen=True)
class UnitQueue:
    unit_code: str
    unit_name: str
    items: list[ItemView]
    approvable: bool


@dataclass(frozen=True)
class AppraisePage(Page):
    periods: list[str]
    period: str | None
    units: list[UnitQueue]
    names: dict[str, str]
    message: str = ""
    error: str = ""


def build(session: DB, who: WhoDep, period: str | None, message: str = "", error: str = "") -> AppraisePage:
    check(who.actor, "declaration.appraise")
    periods = [p.code for p in dashboard.list_periods(session=session, actor=who.actor) if p.state != "published"]
    period = period or (periods[0] if periods else None)
    if period is None:
        return AppraisePage(periods, None, [], {}, message, error)
    from chiso.collection import service as collection
    from chiso.framework import Indicator

    fw = collection.framework_of(collection.get_period(session=session, code=period))
    names = {n.code: n.name for n in fw.nodes if isinstance(n, Indicator)}
    items = review.list_items(session=session, period_code=period, actor=who.actor)
    by_unit: dict[str, list[ItemView]] = defaultdict(list)
    for item in items:
        by_unit[item.unit_code].append(item)
    era = collection.get_period(session=session, code=period).era
    units = []
    for unit, unit_items in sorted(by_unit.items()):
        queue = [i for i in unit_items if i.state in QUEUE]
        approvable = all(i.state == "accepted" for i in unit_items)
        if queue or approvable:
            units.append(UnitQueue(unit, dashboard.unit_name(unit, era), queue, approvable))
    return AppraisePage(periods, period, units, names, message, error)


@router.get("/appraise")
def appraise_page(request: Request, session: DB, who: WhoDep, period: str | None = None, done: str = "") -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(request, who, build(session, who, period, done))


def _back(period: str, done: str) -> Response:
    return RedirectResponse(f"/appraise?{urlencode({'period': period, 'done': done})}", status_code=303)


@router.post("/appraise/decide")
async def decide(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    period, unit, indicator = (str(form.get(k, "")) for k in ("period", "unit", "indicator"))
    decision = str(form.get("decision", ""))
    try:
        score = number(form, "score")
    except FieldError as exc:
        return render(request, who, build(session, who, period, error=f"{unit}/{indicator}: {exc}"), 422)
    comment = str(form.get("comment") or "").strip()
    if decision == "return":
        review.return_item(
            session=session,
            period_code=period,
            unit_code=unit,
            indicator=indicator,
            comment=comment,
            actor=who.actor,
            appraised_score=score,
        )
    elif decision == "accept":
        review.accept(
            session=session,
            period_code=period,
            unit_code=unit,
            actor=who.actor,
            indicators=[indicator],
            appraised_score=score,
            comment=comment,
        )
    else:
        raise HTTPException(400, "decision is accept or return")
    return _back(period, decision)


@router.post("/appraise/bulk")
async def bulk_accept(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    period = str(form.get("period", ""))
    chosen: dict[str, list[str]] = defaultdict(list)
    for pick in form.getlist("pick"):
        unit, _, indicator = str(pick).partition("|")
        if unit and indicator:
            chosen[unit].append(indicator)
    if not chosen:
        return render(request, who, build(session, who, period, error="none-selected"), 422)
    for unit, indicators in chosen.items():
        review.accept(session=session, period_code=period, unit_code=unit, actor=who.actor, indicators=indicators)
    return _back(period, "accept")


@router.post("/appraise/approve")
async def approve(request: Request, session: DB, who: FormWho) -> Response:
    form = await request.form()
    period, unit = str(form.get("period", "")), str(form.get("unit", ""))
    review.approve(session=session, period_code=period, unit_code=unit, actor=who.actor)
    return _back(period, "approve")
