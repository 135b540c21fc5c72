"""Early warning in the API: `GET /api/v1/dossiers/due` — open dossiers near or past their deadline.

For the province's IOC and the units' own systems: the same service as the page and `chiso sources
due` (`chiso.sources.warning`), as of the app's clock. An officer's token sees their unit.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from chiso.clock import VIETNAM
from chiso.sources.lake import Lake
from chiso.sources.warning import calendar_of, for_actor, local
from chiso.web.api.common import CSV, Format, PageNo, PerPage, csv_response, paginate
from chiso.web.deps import WhoDep

router = APIRouter(tags=["dossiers"])
State = Literal["overdue", "due_today", "due_soon", "later"]


class UnitDueOut(BaseModel):
    unit_code: str
    unit_era: str
    unit_name: str
    overdue: int
    due_today: int
    due_soon: int = Field(description="Due within `within` working days, after today.")
    open: int = Field(description="Every open dossier with a deadline, however far.")


class DossierDueOut(BaseModel):
    id: str
    procedure_code: str
    unit_code: str
    unit_era: str
    unit_name: str
    level: str | None
    status: str
    received_at: dt.datetime
    due_at: dt.datetime
    working_days_left: int = Field(description="Working days after today up to the deadline; negative: overdue.")
    state: State
    simulated: bool


class DossiersDueOut(BaseModel):
    at: dt.datetime = Field(description="The moment counted from (Vietnam's time, UTC+7); records' times likewise.")
    within: int
    units: list[UnitDueOut]
    dossiers: dict[str, Any] = Field(description="Paginated: items (DossierDueOut), page, per_page, total, next_page.")


@router.get("/dossiers/due", response_model=DossiersDueOut, responses=CSV)
def dossiers_due(
    request: Request,
    who: WhoDep,
    within: Annotated[int, Query(ge=0, le=60, description="Working days ahead that count as due soon.")] = 3,
    unit: Annotated[str | None, Query(max_length=20, description="Only this receiving unit (official code).")] = None,
    all_open: Annotated[bool, Query(description="Also the open dossiers due later than `within`.")] = False,
    page: PageNo = 1,
    per_page: PerPage = 500,
    format: Format = "json",
) -> Any:
    """Open dossiers (received or processing, with a deadline) by working days left, and counts per unit."""
    settings, clock = request.app.state.settings, request.app.state.clock
    found = for_actor(
        who.actor,
        Lake.at(settings.data_dir, clock),
        at=local(clock.now()),
        within=within,
        calendar=calendar_of(settings.holidays_file),
        unit=unit,
    )
    names = found.unit_names()
    dossiers = [
        DossierDueOut(
            id=r.id,
            procedure_code=r.procedure_code,
            unit_code=r.receiving_unit,
            unit_era=r.unit_era,
            unit_name=names[(r.unit_era, r.receiving_unit)],
            level=r.level,
            status=r.status,
            received_at=r.received_at.replace(tzinfo=VIETNAM),
            due_at=r.due_at.replace(tzinfo=VIETNAM),
            working_days_left=r.working_days_left,
            state=r.state,
            simulated=r.simulated,
        )
        for r in found.rows(everything=all_open)
    ]
    if format == "csv":
        return csv_response(dossiers, list(DossierDueOut.model_fields), "ho-so-sap-den-han.csv")
    return DossiersDueOut(
        at=found.at.replace(tzinfo=VIETNAM),
        within=within,
        units=[
            UnitDueOut(
                unit_code=r.receiving_unit,
                unit_era=r.unit_era,
                unit_name=names[(r.unit_era, r.receiving_unit)],
                overdue=r.overdue,
                due_today=r.due_today,
                due_soon=r.due_soon,
                open=r.open,
            )
            for r in found.units()
        ],
        dossiers=paginate(dossiers, page, per_page),
    )
