"""The province's national position: DTI and rank per year (published rank where known), its pillars."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from chiso import units
from chiso.charts import specs
from chiso.national import service as national
from chiso.reports.charts import chart
from chiso.reports.schemas import SIMULATED, Column, Figure, Section, Table

ERAS = {"2024": "63 tỉnh (trước sáp nhập)", "2025": "34 tỉnh (sau 1/7/2025)"}


def section(*, session: Session, province: str) -> Section:
    rows: list[tuple[object, ...]] = []
    trend: list[dict[str, object]] = []
    simulated = False
    latest: int | None = None  # the latest year among the 34 provinces, whose pillars the report shows
    for era in ("2024", "2025"):
        if not units.find(province, era=era):
            continue
        frame = national.series(session=session, era=era)
        if frame.empty:
            continue
        counts = frame.groupby("year")["unit"].nunique().to_dict()
        means = frame.groupby("year")["dti"].mean().to_dict()
        mine = frame[frame["unit"].astype(str) == province].sort_values("year")
        for r in mine.to_dict("records"):
            year, published = int(r["year"]), r[national.PUBLISHED_RANK]
            known = published == published  # not NaN
            rank = int(published) if known else int(r["rank"])
            simulated = simulated or bool(r["simulated"])
            source = SIMULATED if r["simulated"] else "công bố"
            rows.append((year, ERAS[era], float(r["dti"]), rank, int(counts[year]), _rank_note(known), source))
            if era == "2025":
                latest = year
                trend += [
                    {"year": str(year), "series": "Tỉnh", "value": float(r["dti"])},
                    {"year": str(year), "series": "Trung bình cả nước", "value": float(means[year])},
                ]
    columns = (
        Column("Năm", "year"),
        Column("Phạm vi xếp hạng", "text"),
        Column("Chỉ số DTI", "num", 4),
        Column("Hạng", "rank"),
        Column("Trên số tỉnh", "int"),
        Column("Hạng công bố / tính lại", "text"),
        Column("Số liệu", "text"),
    )
    position = Table(
        "Vị thế quốc gia",
        "Chỉ số DTI và thứ hạng của tỉnh qua các năm",
        columns,
        rows,
        note="“tính lại”: Bộ chưa công bố hạng này; hạng được tính lại từ các chỉ số thành phần đã công bố.",
    )
    method = (
        "Chỉ số DTI cấp tỉnh do Bộ công bố hằng năm, theo phương pháp của Quyết định 1726/QĐ-BTTTT (năm 2020), "
        "Quyết định 922/QĐ-BTTTT (2021–2023) và Quyết định 405/QĐ-BKHCN (từ năm 2024). Từ 1/7/2025 cả nước có "
        "34 tỉnh, thành phố: các năm trước được xếp hạng lại trên 34 tỉnh sau sáp nhập."
    )
    out = Section("national", "Vị thế của tỉnh trên cả nước", [method], [position])
    if not rows:
        out.paragraphs.append("Chưa có số liệu DTI quốc gia cho tỉnh.")
        return out
    pillars = _pillars(session, province, latest)
    if pillars is not None:
        out.tables.append(pillars)
    if len(trend) > 2:
        spec = specs.trend(trend, y_title="Chỉ số DTI", unit_label="Tỉnh", mean_label="Trung bình cả nước")
        caption = "Chỉ số DTI của tỉnh và trung bình cả nước (34 tỉnh, thành phố)"
        out.figures.append(
            Figure("dti-trend", caption + (f" — {SIMULATED}" if simulated else ""), chart(spec), (), simulated)
        )
    return out


def _rank_note(published: bool) -> str:
    return "công bố" if published else "tính lại"


def _pillars(session: Session, province: str, year: int | None) -> Table | None:
    """The main indicators (pillars) of the latest year: the province's value, the mean, its rank on each."""
    if year is None:
        return None
    ranked = national.ranking(session=session, year=year, era="2025")
    if ranked.empty or province not in set(ranked["unit"].astype(str)):
        return None
    fw = national.framework(year)
    rows = []
    for code in national.main_indicators(year):
        column = pd.to_numeric(ranked[code], errors="coerce")
        ranks = column.rank(ascending=False, method="min")
        mine = ranked["unit"].astype(str) == province
        rows.append((fw.node(code).name, float(column[mine].iloc[0]), float(column.mean()), int(ranks[mine].iloc[0])))
    columns = (
        Column("Trụ cột", "text"),
        Column("Giá trị của tỉnh", "num", 4),
        Column("Trung bình cả nước", "num", 4),
        Column("Hạng trên trụ cột", "rank"),
    )
    return Table("Trụ cột", f"Các trụ cột của Chỉ số DTI năm {year}", columns, rows)
