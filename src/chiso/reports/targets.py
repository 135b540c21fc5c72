"""The resolution's targets: each with its status, the reason in Vietnamese, and the page's chart."""

from __future__ import annotations

import functools

from sqlalchemy.orm import Session

from chiso.charts import specs
from chiso.permissions import Actor
from chiso.programme import service as programmes
from chiso.programme.service import TargetView
from chiso.programme.spec import Programme
from chiso.programme.status import LABELS, ORDER, describe
from chiso.reports.charts import chart
from chiso.reports.formats import amount
from chiso.reports.schemas import SIMULATED, Column, Figure, Section, Table

COMPARISON = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "=", "top": "nhóm"}
COLUMNS = (
    Column("Mã", "text"),
    Column("Chỉ tiêu", "text"),
    Column("Mục tiêu", "text"),
    Column("Số liệu mới nhất", "text"),
    Column("Trạng thái", "text"),
    Column("Đánh giá", "text"),
    Column("Số liệu", "text"),
)


def programme_of(*, actor: Actor, province: str, era: str) -> Programme | None:
    """The province's own programme: the shipped one whose unit is the province (Thái Nguyên: 01/NQ-TU)."""
    for programme in programmes.list_programmes(actor=actor, province=province):
        if programme.unit.code == province and programme.unit.era == era:
            return programme
    return None


def section(*, session: Session, actor: Actor, province: str, era: str) -> Section:
    programme = programme_of(actor=actor, province=province, era=era)
    if programme is None:
        return Section("targets", "Chỉ tiêu của chương trình", ["Tỉnh chưa có chương trình chuyển đổi số trong Chiso."])
    found = programmes.status(session=session, actor=actor, code=programme.slug)
    intro = f"{programme.name} ({programme.document.number}, {programme.document.issuer})."
    summary = Table(
        "Tổng hợp chỉ tiêu",
        "Số chỉ tiêu theo trạng thái",
        (Column("Trạng thái", "text"), Column("Số chỉ tiêu", "int")),
        [(LABELS[status], found.summary.get(status, 0)) for status in ORDER],
    )
    tables = [
        summary,
        Table("Chỉ tiêu", "Các chỉ tiêu của nghị quyết", COLUMNS, [_row(v) for v in found.targets], heading=1),
    ]
    if found.expectations:
        note = "Mục tiêu nêu ngoài văn bản nghị quyết (phát biểu, phỏng vấn): theo dõi để tham khảo."
        tables.append(
            Table("Kỳ vọng khác", "Kỳ vọng ngoài nghị quyết", COLUMNS, [_row(v) for v in found.expectations], note, 1)
        )
    figures = [f for v in found.targets if (f := _figure(v)) is not None]
    return Section("targets", f"Chỉ tiêu của Nghị quyết {programme.document.number}", [intro], tables, figures)


def _row(view: TargetView) -> tuple[object, ...]:
    target, status = view.target, view.status
    goal = f"{COMPARISON[target.comparison]} {amount(target, target.value)} ({target.year})"
    latest = "–"
    if status.latest is not None:
        latest = f"{amount(target, status.latest)} ({status.latest_year})"
        if status.latest_year in view.recomputed:
            latest += " tính lại"
    reason = describe(status.reason, "vi", functools.partial(amount, target))
    return (target.code, target.name, goal, latest, LABELS[status.status], reason, SIMULATED if view.simulated else "")


def _figure(view: TargetView) -> Figure | None:
    """Observed points, forecast with its interval and the target line, as on the programme page."""
    if not view.series:
        return None
    target, status = view.target, view.status
    outlook = None
    if status.forecast is not None:
        f = status.forecast
        outlook = {"year": f.year, "value": f.value, "low": f.low, "high": f.high}
    elif status.rank_forecast is not None:
        r = status.rank_forecast
        outlook = {"year": r.year, "value": r.rank, "low": r.best, "high": r.worst}
    rank = target.comparison == "top"
    spec = specs.forecast(
        [{"year": year, "value": value} for year, value in view.series],
        outlook,
        target=target.value,
        y_title="Hạng" if rank else ("Tỷ lệ" if target.measure_unit == "tỷ lệ" else target.measure_unit),
        labels={"observed": "Thực tế", "forecast": "Dự báo", "target": "Mục tiêu"},
        rank=rank,
        percent=target.measure_unit == "tỷ lệ",
    )
    caption = f"{target.name} — {LABELS[status.status]}" + (f" ({SIMULATED})" if view.simulated else "")
    return Figure(f"target-{target.code}", caption, chart(spec), (), view.simulated)
