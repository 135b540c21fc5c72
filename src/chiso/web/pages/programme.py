"""Programmes: the shipped resolutions, and each target's value, progress, forecast and status, charted.

Public: the figures behind the targets are imported or measured ones only (see programme/service.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chiso.charts import specs
from chiso.charts.render import svg
from chiso.programme import service as programmes
from chiso.programme.service import TargetView
from chiso.programme.spec import Programme
from chiso.programme.status import Status, describe
from chiso.web.deps import DB, WhoDep
from chiso.web.i18n import Formats, gettext
from chiso.web.render import Page, render
from chiso.web.targets import in_words

router = APIRouter()
COMPARISON = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}


@dataclass(frozen=True)
class TargetRow:
    view: TargetView
    chart_svg: str
    era: str  # of the target's unit: "2025" ranks among the 34 provinces as merged on 1/7/2025
    reason: str  # the status's reason, in the page's language and number format

    @property
    def ranks_merged_provinces(self) -> bool:
        """A rank series on the 34 provinces, whose earlier years are recomputed, not the published ranks."""
        return self.is_rank and self.era == "2025" and bool(self.view.series)

    @property
    def share_of_units(self) -> float | None:
        """A rank target's "top N" as the leading share of the units it was set among (top 15 of 63: 23,8 %)."""
        if not self.is_rank or self.view.units is None:
            return None
        return self.view.target.value / self.view.units

    @property
    def is_share(self) -> bool:
        return self.view.target.measure_unit == "tỷ lệ"

    @property
    def is_rank(self) -> bool:
        return self.view.target.comparison == "top"

    @property
    def comparison(self) -> str:
        return COMPARISON.get(self.view.target.comparison, "")


@dataclass(frozen=True)
class ProgrammesPage(Page):
    programmes: list[Programme]


@dataclass(frozen=True)
class ProgrammePage(Page):
    programme: Programme
    rows: list[TargetRow]
    expectations: list[TargetRow]
    summary: dict[Status, int]
    simulated: bool


@router.get("/programmes")
def programmes_page(request: Request, who: WhoDep) -> Response:
    province = request.app.state.settings.province
    return render(request, who, ProgrammesPage(programmes.list_programmes(actor=who.actor, province=province)))


@router.get("/programmes/{code}")
def programme_page(request: Request, session: DB, who: WhoDep, code: str) -> Response:
    found = programmes.status(session=session, actor=who.actor, code=code)
    _ = gettext(who.lang)
    fmt = Formats(who.lang)

    def row(view: TargetView) -> TargetRow:
        era = found.programme.unit_of(view.target).era
        reason = describe(view.status.reason, who.lang, functools.partial(in_words, fmt, view.target))
        return TargetRow(view, _chart(view, who.lang, _), era, reason)

    page = ProgrammePage(
        found.programme,
        [row(v) for v in found.targets],
        [row(v) for v in found.expectations],
        found.summary,
        found.simulated,
    )
    return render(request, who, page)


def _chart(view: TargetView, lang: str, _: Any) -> str:
    """Observed points, forecast with its interval, and the target line; nothing when nothing is observed."""
    if not view.series:
        return ""
    target, status = view.target, view.status
    observed = [{"year": year, "value": value} for year, value in view.series]
    outlook = None
    if status.forecast is not None:
        f = status.forecast
        outlook = {"year": f.year, "value": f.value, "low": f.low, "high": f.high}
    elif status.rank_forecast is not None:
        r = status.rank_forecast
        outlook = {"year": r.year, "value": r.rank, "low": r.best, "high": r.worst}
    rank = target.comparison == "top"
    labels = {"observed": _("Thực tế"), "forecast": _("Dự báo"), "target": _("Mục tiêu")}
    title = _("Hạng") if rank else (target.measure_unit if target.measure_unit != "tỷ lệ" else _("Tỷ lệ"))
    spec = specs.forecast(
        observed,
        outlook,
        target=target.value,
        y_title=title,
        labels=labels,
        rank=rank,
        percent=target.measure_unit == "tỷ lệ",
    )
    return svg(spec, lang)
