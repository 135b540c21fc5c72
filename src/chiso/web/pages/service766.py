"""The Decision 766 index: the ranking by period and unit kind, and a unit's month-by-month profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from chiso.framework import Framework
from chiso.framework.spec import Indicator
from chiso.service766 import service
from chiso.service766.compute import framework
from chiso.service766.models import Service766Score
from chiso.units.ref import UnitRef
from chiso.web.deps import DB, WhoDep
from chiso.web.i18n import N_
from chiso.web.render import Page, render

router = APIRouter(include_in_schema=False)
Kind = Literal["province", "department", "commune"]
KIND_LABELS = {"province": N_("Tỉnh"), "department": N_("Sở, ban, ngành"), "commune": N_("Xã, phường")}
GROUPS = ("transparency", "progress", "online", "digitisation", "satisfaction")


@dataclass(frozen=True)
class Group:
    code: str
    number: str
    name: str
    max_points: float


@dataclass(frozen=True)
class Component:
    code: str
    number: str
    name: str
    group: str
    max_points: float
    measurable: bool
    provisional: bool
    basis: str


@dataclass(frozen=True)
class Row:
    unit: UnitRef
    name: str
    score: Service766Score


def groups_of(fw: Framework) -> list[Group]:
    return [Group(c, fw.node(c).number or "", fw.node(c).name, float(fw.node(c).max_points or 0)) for c in GROUPS]


def components_of(fw: Framework) -> list[Component]:
    found = []
    for group in GROUPS:
        node = fw.node(group)
        for child in getattr(node, "children", ()):
            item = fw.node(child.code)
            assert isinstance(item, Indicator)
            found.append(
                Component(
                    item.code,
                    item.number or "",
                    item.name,
                    group,
                    float(item.max_points or 0),
                    item.measurable,
                    child.provisional,
                    item.basis,
                )
            )
    return found


def period_label(period: str) -> str:
    """09/2025 for a month, 2025 for a year (as Vietnamese notices write them)."""
    return f"{period[5:]}/{period[:4]}" if len(period) == 7 else period


@dataclass(frozen=True)
class Service766RankingPage(Page):
    periods: list[str]
    period: str
    kind: str
    kinds: dict[str, str]
    groups: list[Group]
    rows: list[Row]
    declared: list[Component] = field(default_factory=list)

    def label(self, period: str) -> str:
        return period_label(period)


@dataclass(frozen=True)
class Service766UnitPage(Page):
    unit: UnitRef
    name: str
    kind: str
    year: int | None
    years: list[int]
    groups: list[Group]
    components: list[Component]
    months: list[Service766Score]
    total: Service766Score | None

    def label(self, period: str) -> str:
        return period_label(period)


@router.get("/service-766")
def ranking_page(
    request: Request,
    session: DB,
    who: WhoDep,
    period: Annotated[str, Query(max_length=16, pattern=r"^(\d{4}(-\d{2})?)?$")] = "",
    kind: Kind = "commune",
) -> Response:
    if not who.logged_in:
        return RedirectResponse("/login?next=/service-766", status_code=303)
    known = service.periods(session=session, actor=who.actor)
    chosen = period if period in known else (known[0] if known else "")
    rows = service.ranking(session=session, period=chosen, kind=kind, actor=who.actor) if chosen else []
    fw = framework()
    page = Service766RankingPage(
        periods=known,
        period=chosen,
        kind=kind,
        kinds=KIND_LABELS,
        groups=groups_of(fw),
        rows=[Row(UnitRef(r.era, r.unit_code), service.unit_name(UnitRef(r.era, r.unit_code)), r) for r in rows],
        declared=[c for c in components_of(fw) if not c.measurable],
    )
    return render(request, who, page)


@router.get("/service-766/{era}/{code}")
def unit_page(
    request: Request,
    session: DB,
    who: WhoDep,
    era: Annotated[Literal["2024", "2025"], Path()],
    code: Annotated[str, Path(max_length=32)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?next=/service-766/{era}/{code}", status_code=303)
    unit = service.known_unit(era, code)
    years = service.years(session=session, unit=unit, actor=who.actor)
    chosen = year if year in years else (years[0] if years else None)
    rows = service.profile(session=session, unit=unit, year=chosen, actor=who.actor) if chosen else []
    months = [r for r in rows if r.grain == "month"]
    total = next((r for r in rows if r.grain == "year"), None)
    fw = framework()
    kind = rows[0].unit_kind if rows else ""
    page = Service766UnitPage(
        unit, service.unit_name(unit), kind, chosen, years, groups_of(fw), components_of(fw), months, total
    )
    return render(request, who, page)
