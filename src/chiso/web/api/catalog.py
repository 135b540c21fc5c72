"""Units, frameworks and periods."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from chiso import units
from chiso.dashboard import service as dashboard
from chiso.errors import NotFound
from chiso.framework import Framework, load_framework, shipped_codes
from chiso.permissions import check
from chiso.units.errors import UnitsError
from chiso.web.api import cache
from chiso.web.api.common import CSV, NOT_MODIFIED, Format, PageNo, PerPage, csv_response, paginate
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
    request: Request,
    era: Era = "2025",
    kind: Annotated[str | None, Query(pattern="^(province|district|commune|department)$")] = None,
    province: Annotated[str | None, Query(max_length=8, pattern="^[0-9]{1,3}$")] = None,
    page: PageNo = 1,
    per_page: PerPage = 100,
    format: Format = "json",
) -> Any:
    """Administrative units and departments of an era (official codes), by kind and province."""
    key = ("units", tuple(sorted(request.query_params.multi_items())))  # shipped data: no version to follow
    store = cache.of(request)
    entry = store.get(key)
    if entry is None:
        try:
            found = [_unit(u) for u in units.list_units(era=era, kind=kind, province=province)]
        except UnitsError as exc:
            raise NotFound(str(exc)) from exc
        if format == "csv":
            response = csv_response(found, list(UnitOut.model_fields), f"units-{era}.csv")
            entry = cache.entry_of(bytes(response.body), "text/csv; charset=utf-8", {
                "content-disposition": response.headers["content-disposition"]
            })  # fmt: skip
        else:
            entry = cache.entry_of(
                Page[UnitOut](**paginate(found, page, per_page)).model_dump_json().encode(), "application/json"
            )
        store.put(key, entry)
    return cache.send(request, entry)


@router.get("/units/{code}", tags=["units"])
def get_unit(code: str, era: Era = "2025") -> UnitOut:
    found = units.find(code, era=era)
    if not found:
        raise NotFound(f"no unit {code!r} in era {era}")
    return _unit(found[0])


@router.get("/frameworks", tags=["frameworks"], response_model=list[FrameworkOut], responses=NOT_MODIFIED)
def list_frameworks(request: Request, session: DB, who: WhoDep) -> Any:
    """The shipped indicator frameworks."""

    def compute() -> list[FrameworkOut]:
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

    return cache.respond(request, session, who.actor, compute)


@router.get("/frameworks/{code}", tags=["frameworks"])
def get_framework(code: str, who: WhoDep) -> dict[str, Any]:
    """A framework as data: every node with its weights, maximum points, scoring rule and evidence."""
    check(who.actor, "framework.view")
    if code not in shipped_codes():
        raise NotFound(f"no framework {code!r}; frameworks: {', '.join(shipped_codes())}")
    fw = shipped(code)
    document: dict[str, Any] = fw.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return document


@router.get("/periods", tags=["periods"], response_model=list[PeriodOut], responses=NOT_MODIFIED)
def list_periods(request: Request, session: DB, who: WhoDep) -> Any:
    """Collection periods, newest first (without a token: those with published results)."""

    def compute() -> list[PeriodOut]:
        return [PeriodOut(**vars(p)) for p in dashboard.list_periods(session=session, actor=who.actor)]

    return cache.respond(request, session, who.actor, compute)
