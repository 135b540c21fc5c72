"""Overview: the map, the ranking table, pillars, trend and completeness of a period."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from chiso.charts import maps, specs
from chiso.charts.render import svg
from chiso.dashboard import service as dashboard
from chiso.dashboard.schemas import PeriodInfo, Ranking
from chiso.errors import NotFound
from chiso.permissions import allowed
from chiso.units.errors import UnitsError
from chiso.web import exports
from chiso.web.deps import DB, WhoDep
from chiso.web.i18n import Formats, gettext
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
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
class OverviewPage(Page):
    periods: list[PeriodInfo]
    period: PeriodInfo | None
    ranking: Ranking | None
    map: MapView | None
    pillars_svg: str
    trend_svg: str
    completeness: dict[str, int] | None


def map_url(era: str, kind: str, province: str | None) -> str:
    return f"/map/{era}/{kind}/{province or 'all'}.svg"


def map_view(ranking: Ranking, era: str, fmt: Formats) -> MapView | None:
    if ranking.map_kind is None:
        return None
    try:
        geometry = maps.geometry(era, ranking.map_kind, ranking.province)
    except UnitsError:
        return None
    values = {r.unit_code: r.value for r in ranking.rows}
    breaks, colours = maps.classes(values)
    digits = 2 if ranking.node.max_points else 4
    shapes = [
        Shape(
            r.unit_code,
            r.unit_name,
            colours[r.unit_code],
            f"{r.unit_name}: {fmt.num(r.value, digits)}" + (f" (#{r.rank})" if r.rank else ""),
        )
        for r in ranking.rows
        if r.unit_code in geometry.codes
    ]
    palette = maps.PALETTE[-(len(breaks) - 1) :] if len(breaks) > 1 else []
    legend = [(c, f"{fmt.num(breaks[i], digits)} – {fmt.num(breaks[i + 1], digits)}") for i, c in enumerate(palette)]
    return MapView(map_url(era, ranking.map_kind, ranking.province), geometry.width, geometry.height, shapes, legend)


def pillar_rows(session: DB, who: WhoDep, ranking: Ranking) -> list[dict[str, object]]:
    fmt = Formats(who.lang)
    shares = dashboard.pillar_shares(
        session=session,
        actor=who.actor,
        period_code=ranking.period.code,
        group=ranking.group.code if ranking.group else None,
    )
    return [{"pillar": fmt.name(info.name, info.name_en), "share": x} for info, values in shares for x in values]


@router.get("/")
def overview(
    request: Request,
    session: DB,
    who: WhoDep,
    period: str | None = None,
    node: str | None = None,
    group: str | None = None,
) -> Response:
    periods = dashboard.list_periods(session=session, actor=who.actor)
    _ = gettext(who.lang)
    fmt = Formats(who.lang)
    if not periods:
        return render(request, who, OverviewPage([], None, None, None, "", "", None))
    code = period or periods[0].code
    chosen = next((p for p in periods if p.code == code), None)
    if chosen is None:
        raise HTTPException(404, f"no period {code!r}")
    completeness: dict[str, int] | None = None
    if chosen.state != "published" and allowed(who.actor, "period.view"):
        states = dashboard.submission_states(session=session, actor=who.actor, period_code=code)
        counts: dict[str, int] = {}
        for state in states.values():
            counts[state] = counts.get(state, 0) + 1
        completeness = counts
    try:
        ranking = dashboard.ranking(
            session=session, actor=who.actor, period_code=code, node=node, group=group or None, by_rate=True
        )
    except NotFound:  # the period has no results yet: its progress only
        return render(request, who, OverviewPage(periods, chosen, None, None, "", "", completeness))
    view = map_view(ranking, chosen.era, fmt)
    distribution = pillar_rows(session, who, ranking)
    pillars_svg = (
        svg(specs.distribution(distribution, x_title=_("Tỷ lệ điểm đạt được")), who.lang) if distribution else ""
    )
    points = dashboard.trend(session=session, actor=who.actor, period_code=code, node=ranking.node.code)
    mean_label = _("Trung bình các đơn vị")
    trend_rows = [{"year": str(p.year), "series": mean_label, "value": p.mean} for p in points if p.mean is not None]
    trend_svg = (
        svg(
            specs.trend(
                trend_rows, y_title=fmt.name(ranking.node.name, ranking.node.name_en)[:40], mean_label=mean_label
            ),
            who.lang,
        )
        if len(trend_rows) > 1
        else ""
    )
    return render(request, who, OverviewPage(periods, chosen, ranking, view, pillars_svg, trend_svg, completeness))


@router.get("/ranking.{fmt}")
def ranking_download(
    session: DB,
    who: WhoDep,
    fmt: Literal["csv", "xlsx"],
    period: str | None = None,
    node: str | None = None,
    group: str | None = None,
) -> Response:
    """The overview's ranking as CSV or XLSX: the same rows, ranks and rounding as the page."""
    if period is None:
        periods = dashboard.list_periods(session=session, actor=who.actor)
        if not periods:
            raise NotFound("no period has results yet")
        period = periods[0].code
    found = dashboard.ranking(
        session=session, actor=who.actor, period_code=period, node=node, group=group or None, by_rate=True
    )
    _ = gettext(who.lang)
    tables = [exports.ranking_table(found, who.lang, _), exports.ranking_about(found, who.lang, _)]
    name = f"xep-hang-{found.period.year}-{exports.slug(found.period.framework)}"
    if found.node.code != found.nodes[0].code:  # nodes start with the index
        name += f"-{exports.slug(found.node.number or found.node.code)}"
    if found.group:
        name += f"-{exports.slug(found.group.code)}"
    return exports.download(tables, fmt, name)


@router.get("/map/{era}/{kind}/{province}.svg")
def map_geometry(request: Request, era: str, kind: str, province: str) -> Response:
    """The boundaries of a map (no data in it): cached by the browser, shared by every page."""
    if era not in ("2024", "2025") or kind not in ("province", "commune"):
        raise HTTPException(404, "no such map")
    try:
        geometry = maps.geometry(era, kind, None if province == "all" else province)
    except UnitsError as exc:
        raise HTTPException(404, str(exc)) from exc
    etag = f'"{geometry.etag}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=604800"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(geometry.svg, media_type="image/svg+xml", headers=headers)
