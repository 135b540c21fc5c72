"""The year's published rankings of communes and departments, mapped, with who rose and who fell.

Read as the public reads them (`PUBLIC`): the report tells published results only, and compares each
with the previous year's published run of the same framework, for the units present in both.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chiso.dashboard import service as dashboard
from chiso.dashboard.schemas import PeriodInfo, Ranking, RankingRow
from chiso.permissions import PUBLIC
from chiso.reports.charts import choropleth
from chiso.reports.formats import num
from chiso.reports.schemas import SIMULATED, Column, Figure, Section, Table

MOVERS = 5


def _columns(ranking: Ranking) -> tuple[Column, ...]:
    digits = 2 if ranking.node.max_points else 4  # points (0–1000) or a 0–1 index, as the overview writes them
    return (
        Column("Hạng", "rank"),
        Column("Mã", "text"),
        Column("Đơn vị", "text"),
        Column(ranking.node.name[:60] or "Chỉ số", "num", digits),
        Column("Hạng năm trước", "rank"),
        Column("Thay đổi (bậc)", "signed"),
    )


def published_rankings(*, session: Session, province: str, year: int) -> list[Ranking]:
    """Per framework (communes, departments), the published ranking of `year` — or, while that year's
    collection is still open (as it is on 31/12), the latest published before it, which the report names."""
    latest: dict[str, PeriodInfo] = {}
    for period in dashboard.list_periods(session=session, actor=PUBLIC):  # newest first
        if period.published and period.year <= year and period.framework not in latest:
            latest[period.framework] = period
    found = []
    for period in latest.values():
        ranking = dashboard.ranking(session=session, actor=PUBLIC, period_code=period.code)
        if ranking.province in (province, None):
            found.append(ranking)
    return found


def _kind(ranking: Ranking) -> str:
    return "xã, phường" if ranking.map_kind == "commune" else "sở, ban, ngành"


def section(*, rankings: list[Ranking], year: int) -> Section:
    out = Section("rankings", "Xếp hạng xã, phường và sở, ngành")
    if not rankings:
        out.paragraphs.append(f"Chưa có kết quả xếp hạng nào đến năm {year} được công bố.")
    for ranking in rankings:
        if ranking.period.year < year:
            out.paragraphs.append(
                f"{ranking.period.framework_name}: kết quả năm {year} chưa công bố (kỳ thu thập còn mở); "
                f"báo cáo dùng kết quả đã công bố gần nhất, năm {ranking.period.year}."
            )
    for ranking in rankings:
        label = f"{ranking.period.framework_name} ({ranking.period.code})"
        simulated = ranking.run.simulated
        note = f"Kết quả tính từ {SIMULATED}." if simulated else ""
        rows = [_row(r) for r in ranking.rows]
        short = "xã, phường" if ranking.map_kind == "commune" else "sở, ngành"  # a sheet name: 31 characters
        key = f"Xếp hạng {short} {ranking.period.year}"
        out.tables.append(Table(key, f"Xếp hạng {_kind(ranking)}: {label}", _columns(ranking), rows, note))
        out.tables.extend(_movers(ranking, key, note))
        figure = _map(ranking, simulated, key)
        if figure is not None:
            out.figures.append(figure)
    return out


def _row(r: RankingRow) -> tuple[object, ...]:
    return (r.rank, r.unit_code, r.unit_name, r.value, r.previous_rank, r.change)


def _movers(ranking: Ranking, key: str, simulated_note: str) -> list[Table]:
    if ranking.previous_period is None:
        return []
    moved = [r for r in ranking.rows if r.change is not None]
    up = sorted((r for r in moved if r.change and r.change > 0), key=lambda r: (-(r.change or 0), r.rank or 0))
    down = sorted((r for r in moved if r.change and r.change < 0), key=lambda r: (r.change or 0, r.rank or 0))
    columns = _columns(ranking)
    note = f"So với kết quả đã công bố của kỳ {ranking.previous_period}, với các đơn vị có mặt ở cả hai kỳ."
    note = f"{note} {simulated_note}".strip()
    return [
        Table(
            f"{key[:24]} tăng", f"Tiến bộ nhiều nhất ({_kind(ranking)})", columns, [_row(r) for r in up[:MOVERS]], note
        ),
        Table(
            f"{key[:24]} giảm",
            f"Tụt hạng nhiều nhất ({_kind(ranking)})",
            columns,
            [_row(r) for r in down[:MOVERS]],
            note,
        ),
    ]


def _map(ranking: Ranking, simulated: bool, after: str) -> Figure | None:
    if ranking.map_kind is None:
        return None
    drawn = choropleth(
        ranking.period.era, ranking.map_kind, ranking.province, {r.unit_code: r.value for r in ranking.rows}
    )
    if drawn is None:
        return None
    svg, legend = drawn
    caption = f"Bản đồ chỉ số {_kind(ranking)} năm {ranking.period.year}" + (f" ({SIMULATED})" if simulated else "")
    digits = 2 if ranking.node.max_points else 4
    words = tuple((colour, f"{num(low, digits)} – {num(high, digits)}") for colour, low, high in legend)
    return Figure(f"map-{ranking.period.code}".replace("/", "-"), caption, svg, words, simulated, after)
