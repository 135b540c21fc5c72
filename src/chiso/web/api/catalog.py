"""Units, frameworks and periods."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Query

from chiso import units
from chiso.dashboard import service as dashboard
from chiso.errors import NotFound
from chiso.framework import Framework, load_framework, shipped_codes
from chiso.permissions import check
from chiso.units.errors import UnitsError
from chiso.web.api.common import CSV, Format, PageNo, PerPage, csv_response, paginate
from chiso.web.api.schemas import FrameworkOut, Health, Page, PeriodOut, UnitOut
from chiso.web.deps import DB, WhoDep

router = APIRouter()


@functools.cache
def shipped(code: str) -> Framework:
    return load_framework(code)


Era = Annotated[str, Query(pattern="^(2024|2025)$", description="2025 (after 1/7/2025) or 2024.")]


@router.get("/health", tags=["meta"])
def health() -> Health:
    """Liveness: answers without touching the database."""
    return Health(status="ok")


def _unit(u: units.Unit) -> UnitOut:
    return UnitOut(
        era=u.era.value,
        code=u.code,
        kind=u.kind.value,
        subtype=u.subtype,
        name=u.name,
        name_en=u.name_en,
        parent_code=u.parent_code,
        province_code=u.province_code,
    )


@router.get("/units", tags=["units"], response_model=Page[UnitOut], responses=CSV)
def list_units(
    era: Era = "2025",
    kind: Annotated[str | None, Query(pattern="^(province|district|commune|department)$")] = None,
    province: Annotated[str | None, Query(max_length=8, pattern="^[0-9]{1,3}$")] = None,
    page: PageNo = 1,
    per_page: PerPage = 100,
    format: Format = "json",
) -> Any:
    """Administrative units and departments of an era (official codes), by kind and province."""
    try:
        found = [_unit(u) for u in units.list_units(era=era, kind=kind, province=province)]
    except UnitsError as exc:
        raise NotFound(str(exc)) from exc
    if format == "csv":
        return csv_response(found, list(UnitOut.model_fields), f"units-{era}.csv")
    return paginate(found, page, per_page)


@router.get("/units/{code}", tags=["units"])
def get_unit(code: str, era: Era = "2025") -> UnitOut:
    found = units.find(code, era=era)
    if not found:
        raise NotFound(f"no unit {code!r} in era {era}")
    return _unit(found[0])


@router.get("/frameworks", tags=["frameworks"])
def list_frameworks(who: WhoDep) -> list[FrameworkOut]:
    """The shipped indicator frameworks."""
    check(who.actor, "framework.view")
    out = []
    for code in shipped_codes():
        fw = shipped(code)
        out.append(
            FrameworkOut(
                code=fw.code,
                edition=fw.edition,
                name=fw.name,
                name_en=fw.name_en,
                index=fw.index,
                indicators=len(fw.indicators),
            )
        )
    return out


@router.get("/frameworks/{code}", tags=["frameworks"])
def get_framework(code: str, who: WhoDep) -> dict[str, Any]:
    """A framework as data: every node with its weights, maximum points, scoring rule and evidence."""
    check(who.actor, "framework.view")
    if code not in shipped_codes():
        raise NotFound(f"no framework {code!r}; frameworks: {', '.join(shipped_codes())}")
    fw = shipped(code)
    document: dict[str, Any] = fw.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return document


@router.get("/periods", tags=["periods"])
def list_periods(session: DB, who: WhoDep) -> list[PeriodOut]:
    """Collection periods, newest first (without a token: those with published results)."""
    return [PeriodOut(**vars(p)) for p in dashboard.list_periods(session=session, actor=who.actor)]
