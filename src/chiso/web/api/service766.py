"""The Decision 766 index: ranking by period and unit kind, and a unit's month-by-month profile (JSON)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from chiso.dashboard.series import as_utc, since_utc
from chiso.service766 import declarations, service
from chiso.service766.models import Service766Declaration, Service766Score
from chiso.service766.service import known_unit
from chiso.units.ref import UnitRef
from chiso.web.api import cache
from chiso.web.api.common import CSV, PROBLEMS, Format, UpdatedSince, csv_response
from chiso.web.deps import DB, WhoDep

router = APIRouter(tags=["service-766"], responses=PROBLEMS)
GROUPS = ("transparency", "progress", "online", "digitisation", "satisfaction")


Declared = dict[tuple[str, str], Service766Declaration]  # (period, variable) → the current declaration


def _row(score: Service766Score, *, components: bool = False, declared: Declared | None = None) -> dict[str, Any]:
    unit = UnitRef(score.era, score.unit_code)
    out: dict[str, Any] = {
        "unit_era": score.era,
        "unit_code": score.unit_code,
        "unit_name": service.unit_name(unit),
        "unit_kind": score.unit_kind,
        "period": score.period,
        "total": score.total,
        "rank": score.rank,
        "ranked": score.ranked,
        "groups": {g: score.points.get(g) for g in GROUPS},
        "computed_at": as_utc(score.computed_at).isoformat(),
    }
    if components:
        out["points"] = score.points
        out["inputs"] = score.inputs
        out["lineage"] = score.lineage
    if declared is not None:
        out["declared"] = _declared(score, declared)
    return out


def _declared(score: Service766Score, found: Declared) -> list[dict[str, Any]]:
    """The current declaration of each declared input of the score's period, and whether the score used it."""
    out = []
    for variable, spec in declarations.inputs().items():
        row = found.get((score.period, variable))
        if row is None:
            continue
        out.append(
            {
                "variable": variable,
                "label": spec.label,
                "value": row.value,
                "version": row.version,
                "recorded_at": as_utc(row.recorded_at).isoformat(),
                "recorded_by": row.recorded_by,
                "counted": service.counted(score, row),
            }
        )
    return out


@router.get("/service-766", responses=CSV)
def ranking(
    request: Request,
    session: DB,
    who: WhoDep,
    period: Annotated[
        str | None, Query(max_length=16, pattern=r"^\d{4}(-\d{2})?$", description="A month (2025-09) or a year.")
    ] = None,
    kind: Annotated[Literal["province", "department", "commune"], Query(description="Unit kind ranked.")] = "commune",
    updated_since: UpdatedSince = None,
    format: Format = "json",
) -> Any:
    """The units of one kind ranked on the Decision 766 index in a period (the latest when none is given);
    with `updated_since`, only the units computed after it. ETag and CSV as the other collections."""

    def compute() -> Any:
        known = service.periods(session=session, actor=who.actor)
        chosen = period or (known[0] if known else None)
        rows = service.ranking(session=session, period=chosen, kind=kind, actor=who.actor) if chosen else []
        since = since_utc(updated_since)
        items = [_row(r) for r in rows if since is None or as_utc(r.computed_at) > since]
        if format == "csv":
            flat = [{**{k: v for k, v in i.items() if k != "groups"}, **i["groups"]} for i in items]
            columns = [*(k for k in _COLUMNS if k != "groups"), *GROUPS]
            return csv_response(flat, columns, f"service-766-{chosen or 'none'}-{kind}.csv")
        return {"period": chosen, "kind": kind, "periods": known, "items": items}

    return cache.respond(request, session, who.actor, compute)


_COLUMNS = (
    "unit_era", "unit_code", "unit_name", "unit_kind", "period", "total", "rank", "ranked", "groups", "computed_at"
)  # fmt: skip


@router.get("/service-766/{era}/{code}")
def profile(
    session: DB,
    who: WhoDep,
    era: Annotated[Literal["2024", "2025"], Path(description="The unit's era (2025).")],
    code: Annotated[str, Path(max_length=32, description="The unit's official code.")],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    """A unit's Decision 766 index month by month in a year (the latest), with every component's points
    and, under `declared`, the current declaration of each declared input of the period (its value,
    version, who and when, and `counted`: whether the stored result used that very figure)."""
    unit = known_unit(era, code)
    years = service.years(session=session, unit=unit, actor=who.actor)
    chosen = year if year is not None else (years[0] if years else None)
    rows = service.profile(session=session, unit=unit, year=chosen, actor=who.actor) if chosen else []
    found = declarations.current(session=session, unit=unit, periods=[r.period for r in rows], actor=who.actor)
    return {
        "unit_era": era,
        "unit_code": code,
        "unit_name": service.unit_name(unit),
        "year": chosen,
        "years": years,
        "months": [_row(r, components=True, declared=found) for r in rows if r.grain == "month"],
        "year_total": next((_row(r, components=True, declared=found) for r in rows if r.grain == "year"), None),
    }
