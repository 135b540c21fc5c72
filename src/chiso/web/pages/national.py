"""The national page (public): every province's DTI and pillars per year, on a map and in rank tables.

Two sets of provinces: the 63 before 1/7/2025 (era 2024) and the 34 after (era 2025). A year is shown
on the set it was published for by default (the 63 until DTI 2023, the 34 from DTI 2024) and on the
other on request, where every rank is recomputed. A rank is the published one where known, otherwise
recomputed from the main indicators ("tính lại").
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from chiso import units
from chiso.charts import maps, specs
from chiso.charts.render import svg
from chiso.national import service as national
from chiso.national.published import ERAS, default_era
from chiso.national.service import Standing, YearPosition
from chiso.units import succession
from chiso.units.errors import UnitsError
from chiso.web.deps import DB, WhoDep
from chiso.web.i18n import Formats, gettext
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class Shape:
    code: str
    colour: str
    label: str


@dataclass(frozen=True)
class MapView:
    url: str
    width: float
    height: float
    shapes: list[Shape]
    legend: list[tuple[str, str]]  # (colour, range in words)


@dataclass(frozen=True)
class Column:
    code: str
    name: str


@dataclass(frozen=True)
class NationalPage(Page):
    year: int | None
    era: str
    provinces: int  # of the era: 63 or 34
    years: list[int]  # years with figures on this era's provinces
    other_era: str | None  # the other set of provinces, when it has this year
    rows: list[Standing]
    pillars: list[Column]
    mains: list[Column]
    map: MapView | None
    simulated: bool
    published_ranks: int


@dataclass(frozen=True)
class Related:
    era: str
    code: str
    name: str


@dataclass(frozen=True)
class NationalProvincePage(Page):
    code: str
    name: str
    era: str
    provinces: int
    related: list[Related]  # before 1/7/2025: its predecessors; after: its successor
    series: list[YearPosition]
    pillars: list[Column]
    trend_svg: str
    simulated: bool


def _era(era: str | None, year: int | None) -> str:
    chosen = era or (default_era(year) if year is not None else "2025")
    if chosen not in ERAS:
        raise HTTPException(404, f"no era {chosen!r}: 2024 (63 provinces) or 2025 (34)")
    return chosen


def _map(rows: list[Standing], era: str, fmt: Formats) -> MapView | None:
    try:
        geometry = maps.geometry(era, "province", None)
    except UnitsError:
        return None
    breaks, colours = maps.classes({r.unit: r.shown_dti for r in rows})
    shapes = [
        Shape(r.unit, colours[r.unit], f"{r.name}: {fmt.num(r.shown_dti, 4)} (#{r.shown_rank})")
        for r in rows
        if r.unit in geometry.codes
    ]
    palette = maps.PALETTE[-(len(breaks) - 1) :] if len(breaks) > 1 else []
    legend = [(c, f"{fmt.num(breaks[i], 4)} – {fmt.num(breaks[i + 1], 4)}") for i, c in enumerate(palette)]
    return MapView(f"/map/{era}/province/all.svg", geometry.width, geometry.height, shapes, legend)


def _columns(year: int, fmt: Formats) -> tuple[list[Column], list[Column]]:
    fw = national.framework(year)
    mains = [Column(c, fmt.name(fw.node(c).name, fw.node(c).name_en)) for c in national.main_indicators(year)]
    pillars = [
        Column(p, fmt.name(fw.node(p).name, fw.node(p).name_en))
        for p in national.PILLARS
        if p in {n.code for n in fw.nodes} and p not in national.main_indicators(year)
    ]
    return pillars, mains


def _page(request: Request, session: DB, who: WhoDep, year: int | None, era: str | None) -> Response:
    fmt = Formats(who.lang)
    chosen = _era(era, year)
    known = {e: national.years(session=session, era=e) for e in ERAS}
    if year is None:
        latest = max((y for ys in known.values() for y in ys), default=None)
        chosen = _era(era, latest)
        year = latest if latest in known[chosen] else max(known[chosen], default=None)
    rows = national.standings(session=session, actor=who.actor, year=year, era=chosen) if year is not None else []
    if year is not None and not rows and year not in known[chosen]:
        raise HTTPException(404, f"no national figures for {year} (era {chosen})")
    other = next((e for e in ERAS if e != chosen and year in known[e]), None)
    pillars, mains = _columns(year, fmt) if year is not None else ([], [])
    page = NationalPage(
        year,
        chosen,
        ERAS[chosen],
        known[chosen],
        other,
        rows,
        pillars,
        mains,
        _map(rows, chosen, fmt) if rows else None,
        any(r.simulated for r in rows),
        sum(r.published_rank is not None for r in rows),
    )
    return render(request, who, page)


@router.get("/national")
def national_latest(request: Request, session: DB, who: WhoDep, era: str | None = None) -> Response:
    return _page(request, session, who, None, era)


@router.get("/national/{year}")
def national_year(request: Request, session: DB, who: WhoDep, year: int, era: str | None = None) -> Response:
    return _page(request, session, who, year, era)


@router.get("/national/provinces/{code}")
def national_province(request: Request, session: DB, who: WhoDep, code: str, era: str = "2025") -> Response:
    chosen = _era(era, None)
    try:
        unit = units.get(code, era=chosen)
    except UnitsError:
        raise HTTPException(404, f"no province {code!r} in era {chosen}") from None
    if unit.kind != "province":
        raise HTTPException(404, f"{code} is not a province")
    _ = gettext(who.lang)
    fmt = Formats(who.lang)
    series = national.province_series(session=session, actor=who.actor, era=chosen, unit=unit.code)
    latest = series[-1].year if series else None
    pillars = _columns(latest, fmt)[0] if latest is not None else []
    mine, mean = _("Tỉnh"), _("Trung bình cả nước")
    points = [
        {"year": str(p.year), "series": label, "value": value}
        for p in series
        for label, value in ((mine, p.standing.shown_dti), (mean, p.mean_dti))
    ]
    trend = (
        svg(specs.trend(points, y_title="DTI", unit_label=mine, mean_label=mean), who.lang) if len(series) > 1 else ""
    )
    if chosen == "2025":
        links = [(link.from_era, link.from_code) for link in succession.predecessors(unit.code, level="province")]
    else:
        links = [(link.to_era, link.to_code) for link in succession.successors(unit.code, level="province")]
    related = [Related(str(e.value), c, units.get(c, era=e).name) for e, c in links]
    page = NationalProvincePage(
        unit.code,
        unit.name,
        chosen,
        ERAS[chosen],
        related,
        series,
        pillars,
        trend,
        any(p.standing.simulated for p in series),
    )
    return render(request, who, page)
