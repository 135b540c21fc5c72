"""Early warning on the web: `GET /dossiers/due` — open dossiers near or past their deadline, per unit.

A unit's officer sees their unit; the programme office, appraisers and leaders every unit of the
lake, or one (`?unit=`). Read from the lake of Chiso's data directory, as of the app's clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from chiso.clock import VIETNAM
from chiso.sources.lake import Lake
from chiso.sources.warning import calendar_of, for_actor, local
from chiso.web.deps import WhoDep
from chiso.web.render import Page, render

router = APIRouter()
SHOWN = 300  # dossiers listed on the page; the CLI and the API give all of them


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    overdue: int
    due_today: int
    due_soon: int
    open: int


@dataclass(frozen=True)
class DossierRow:
    id: str
    procedure_code: str
    unit: str
    received_at: dt.datetime
    due_at: dt.datetime
    working_days_left: int
    state: str


@dataclass(frozen=True)
class DossiersDuePage(Page):
    at: dt.datetime
    within: int
    unit: str | None
    units: list[UnitRow]
    dossiers: list[DossierRow]
    more: int  # dossiers needing action beyond those listed

    @property
    def totals(self) -> tuple[int, int, int]:
        return (
            sum(u.overdue for u in self.units),
            sum(u.due_today for u in self.units),
            sum(u.due_soon for u in self.units),
        )


@router.get("/dossiers/due")
def dossiers_due(
    request: Request,
    who: WhoDep,
    within: int = Query(3, ge=0, le=60),
    unit: str | None = Query(None, max_length=20, pattern=r"^[0-9A-Za-z-]+$"),
) -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?{urlencode({'next': str(request.url.path)})}", status_code=303)
    settings = request.app.state.settings
    clock = request.app.state.clock
    at = local(clock.now())
    found = for_actor(
        who.actor,
        Lake.at(settings.data_dir, clock),
        at=at,
        within=within,
        calendar=calendar_of(settings.holidays_file),
        unit=unit or None,
    )
    names = found.unit_names()
    rows = [
        UnitRow(u.receiving_unit, names[(u.unit_era, u.receiving_unit)], u.overdue, u.due_today, u.due_soon, u.open)
        for u in found.units()
    ]
    listed = [
        DossierRow(
            d.id,
            d.procedure_code,
            names[(d.unit_era, d.receiving_unit)],
            d.received_at.replace(tzinfo=VIETNAM),  # the records' local times, shown as they are
            d.due_at.replace(tzinfo=VIETNAM),
            d.working_days_left,
            d.state,
        )
        for d in found.rows(limit=SHOWN)
    ]
    page = DossiersDuePage(at.replace(tzinfo=VIETNAM), within, unit, rows, listed, max(0, len(found.attention) - SHOWN))
    return render(request, who, page)
