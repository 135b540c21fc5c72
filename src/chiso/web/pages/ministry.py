"""The province's DTI declaration of a year: the estimate beside the published main indicators, with the
gap, and where the declaration stands (programme office, appraisers, leaders)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chiso import units
from chiso.ministry import components, schemas
from chiso.ministry import service as ministry
from chiso.web.deps import DB, WhoDep
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class Lead:
    """A lead department: its components and how many are approved."""

    code: str
    name: str
    components: int
    approved: int


@dataclass(frozen=True)
class MinistryPage(Page):
    year: int
    province_name: str
    note: str
    period: str
    method: str
    mains: list[schemas.Line]
    pillars: list[schemas.Line]
    dti: schemas.Line
    published: bool
    rank: int | None
    components: int
    by_state: dict[str, int]
    unscored: list[schemas.Component]
    leads: list[Lead]


@router.get("/ministry/{year}")
def ministry_page(request: Request, session: DB, who: WhoDep, year: int) -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    found = ministry.comparison(session=session, year=year, actor=who.actor)
    est = found.estimate
    leads: dict[str, list[schemas.Component]] = {}
    for c in est.components:
        leads.setdefault(c.lead, []).append(c)
    page = MinistryPage(
        year=year,
        province_name=next((u.name for u in units.find(est.province, era=ministry.ERA)), est.province),
        note=est.note,
        period=est.period,
        method=components.method(year).decision,
        mains=found.mains,
        pillars=found.pillars,
        dti=found.dti,
        published=found.published,
        rank=found.rank,
        components=len(est.components),
        by_state=est.by_state,
        unscored=est.unscored,
        leads=[
            Lead(code, items[0].lead_name, len(items), sum(1 for c in items if c.state in ("approved", "published")))
            for code, items in sorted(leads.items(), key=lambda kv: kv[1][0].lead_name)
        ],
    )
    return render(request, who, page)
