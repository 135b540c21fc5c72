"""Unit profile: scores and ranks over the years, pillars, strengths and weaknesses, items, improve first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select

from chiso.charts import specs
from chiso.charts.render import svg
from chiso.collection.models import Declaration, Evidence, Submission
from chiso.dashboard import service as dashboard
from chiso.dashboard import whatif
from chiso.dashboard.schemas import Improvement, PeriodInfo, UnitProfile
from chiso.errors import NotFound
from chiso.permissions import check
from chiso.web import exports
from chiso.web.deps import DB, WhoDep
from chiso.web.files import download
from chiso.web.i18n import Formats, gettext
from chiso.web.limits import Id
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class UnitPage(Page):
    profile: UnitProfile
    improvements: list[Improvement]
    pillars_svg: str
    trend_svg: str
    periods: list[PeriodInfo]


def _profile(
    session: DB, who: WhoDep, code: str, period: str | None
) -> tuple[list[PeriodInfo], UnitProfile, list[Improvement]]:
    periods = dashboard.list_periods(session=session, actor=who.actor)
    if period is None:
        period = next((p.code for p in periods if _in_period(session, who, p.code, code)), None)
        if period is None:
            raise NotFound(f"no results for unit {code} yet")
    profile = dashboard.unit_profile(session=session, actor=who.actor, period_code=period, unit_code=code)
    improvements = whatif.improve_first(session=session, actor=who.actor, period_code=period, unit_code=code)
    return periods, profile, improvements


@router.get("/units/{code}")
def unit_page(request: Request, session: DB, who: WhoDep, code: str, period: str | None = None) -> Response:
    periods, profile, improvements = _profile(session, who, code, period)
    _ = gettext(who.lang)
    fmt = Formats(who.lang)
    rows: list[dict[str, object]] = []
    for p in profile.pillars:
        if p.node.max_points and p.value is not None:
            label = fmt.name(p.node.name, p.node.name_en)
            rows.append({"pillar": label, "series": "unit", "share": p.value / p.node.max_points})
            if p.mean is not None:
                rows.append({"pillar": label, "series": "mean", "share": p.mean / p.node.max_points})
    pillars_svg = svg(specs.pillars(rows, x_title=_("Tỷ lệ điểm đạt được")), who.lang) if rows else ""
    unit_label, mean_label = profile.unit_name, _("Trung bình các đơn vị")
    trend_rows = []
    for _code, year, scores in profile.history:
        index = scores[0]
        if index.value is not None:
            trend_rows.append({"year": str(year), "series": unit_label, "value": index.value})
        if index.mean is not None:
            trend_rows.append({"year": str(year), "series": mean_label, "value": index.mean})
    trend_svg = (
        svg(specs.trend(trend_rows, y_title=_("Chỉ số"), unit_label=unit_label, mean_label=mean_label), who.lang)
        if len(profile.history) > 1
        else ""
    )
    same = [p for p in periods if p.framework == profile.period.framework]
    return render(request, who, UnitPage(profile, improvements, pillars_svg, trend_svg, same))


@router.get("/units/{code}/profile.{fmt}")
def unit_download(
    session: DB, who: WhoDep, code: str, fmt: Literal["csv", "xlsx"], period: str | None = None
) -> Response:
    """The profile's tables as CSV (the indicators) or XLSX (every table), rounded as the page shows them."""
    _periods, profile, improvements = _profile(session, who, code, period)
    tables = exports.profile_tables(profile, improvements, who.lang, gettext(who.lang))
    name = f"ho-so-{exports.slug(code)}-{exports.slug(profile.unit_name)}-{profile.period.year}"
    return exports.download(tables, fmt, name)


def _in_period(session: DB, who: WhoDep, period: str, unit: str) -> bool:
    try:
        dashboard.unit_profile(session=session, actor=who.actor, period_code=period, unit_code=unit)
    except NotFound:
        return False
    return True


@router.get("/evidence/{evidence_id}")
def evidence_file(request: Request, session: DB, who: WhoDep, evidence_id: Id) -> Response:
    """An evidence file, as a download (never rendered inline), for who may read the unit's declarations."""
    row = session.execute(
        select(Evidence, Submission.unit_code)
        .join(Declaration, Evidence.declaration_id == Declaration.id)
        .join(Submission, Declaration.submission_id == Submission.id)
        .where(Evidence.id == evidence_id)
    ).first()
    if row is None:
        raise NotFound(f"no evidence {evidence_id}")
    evidence, unit_code = row
    check(who.actor, "declaration.view", unit_code)
    if not evidence.file_sha256:
        raise HTTPException(404, "this evidence has no file")
    return download(request, evidence.file_sha256, evidence.media_type, evidence.file_name)
