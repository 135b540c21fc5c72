"""Values: read (a token or a login with `value.view`), write (a token with the write scope)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from chiso.dashboard import data, series
from chiso.values import service as values
from chiso.values.schemas import ValueIn
from chiso.web.api import cache
from chiso.web.api.common import CSV, Format, PageNo, PerPage, UpdatedSince, csv_response, paginate
from chiso.web.api.results import Group, PeriodCode, Unit, _members
from chiso.web.api.schemas import Page, ValueOut, ValueWrite
from chiso.web.deps import DB, WhoDep, Writer

router = APIRouter(tags=["values"])


@router.get("/values", response_model=Page[ValueOut], responses=CSV)
def list_values(
    request: Request,
    session: DB,
    who: WhoDep,
    period: PeriodCode,
    unit: Unit = None,
    variable: Annotated[str | None, Query(max_length=200)] = None,
    group: Group = None,
    updated_since: UpdatedSince = None,
    page: PageNo = 1,
    per_page: PerPage = 100,
    format: Format = "json",
) -> Any:
    """The current version of every value of a period, with its source and lineage."""

    def compute() -> Any:
        members = _members(session, who, period, group) if group else None
        rows = data.list_values(
            session=session, actor=who.actor, period_code=period, unit_code=unit, variable=variable, members=members
        )
        since = series.since_utc(updated_since)
        out = [ValueOut.model_validate(v) for v in rows if since is None or series.as_utc(v.recorded_at) > since]
        if format == "csv":
            return csv_response(out, list(ValueOut.model_fields), "values.csv")
        return Page[ValueOut](**paginate(out, page, per_page))

    return cache.respond(request, session, who.actor, compute)


@router.post(
    "/values",
    status_code=201,
    response_model=ValueOut,
    responses={200: {"model": ValueOut, "description": "Unchanged"}},
)
def write_value(session: DB, who: Writer, body: ValueWrite) -> Any:
    """Record a measured or imported value: a new version (201), or 200 when it is unchanged.

    The unit is (`unit_era`, `unit_code`); `unit_era` defaults to the current era, 2025. Refused (409)
    into a closed or published period and onto an accepted or approved item; `measured` values come only
    from the measuring service (permission `value.measure`)."""
    value_in = ValueIn(era=body.unit_era, **body.model_dump(exclude={"expected_version", "unit_era"}))
    row = values.record(session=session, value_in=value_in, actor=who.actor, expected_version=body.expected_version)
    if row is None:
        current = values.get_current(session=session, unit=value_in.unit, variable=body.variable, period=body.period)
        return JSONResponse(ValueOut.model_validate(current).model_dump(mode="json"), status_code=200)
    return ValueOut.model_validate(row)
