"""How the report's figures were obtained: declared, appraised, measured, imported — and which are simulated.

Counted over the current version of each value the report reads (a value's `source`, and `simulated`
in its lineage), and over the declarations of each published period (appraised: the appraiser scored).
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from chiso import units
from chiso.collection import service as collection
from chiso.collection.models import Declaration, Submission
from chiso.dashboard.schemas import Ranking
from chiso.national import service as national
from chiso.reports.formats import num
from chiso.reports.schemas import SIMULATED, Column, Section, Table
from chiso.values.models import Value

SOURCES = {
    "declared": "Đơn vị kê khai",
    "measured": "Đo tự động từ dữ liệu nghiệp vụ",
    "imported": "Nhập từ số liệu công bố",
}
COLUMNS = (
    Column("Phạm vi", "text"),
    Column("Cách có số liệu", "text"),
    Column("Số giá trị", "int"),
    Column(f"Trong đó {SIMULATED}", "int"),
)


def _counted(
    session: Session,
    scope: str,
    period: str,
    era: str,
    unit_codes: list[str],
    variables: list[str] | None = None,
) -> list[tuple[object, ...]]:
    """(scope, source, values, of which simulated) over the current version of each value of `period` for
    these units (of `era`): the communes' and the departments' periods of a year share the year's values,
    and the national figures share the year with the province's own."""
    wanted = (Value.period == period) & (Value.era == era) & Value.unit_code.in_(unit_codes)
    if variables is not None:
        wanted = wanted & Value.variable.in_(variables)
    latest = (
        select(Value.unit_code, Value.variable, func.max(Value.version).label("version"))
        .where(wanted)
        .group_by(Value.unit_code, Value.variable)
        .subquery()
    )
    simulated = case((Value.lineage["simulated"].as_boolean().is_(True), 1), else_=0)
    found = session.execute(
        select(Value.source, func.count(), func.sum(simulated))
        .join(
            latest,
            (Value.unit_code == latest.c.unit_code)
            & (Value.variable == latest.c.variable)
            & (Value.version == latest.c.version),
        )
        .where(wanted)
        .group_by(Value.source)
        .order_by(Value.source)
    ).all()
    return [(scope, SOURCES.get(source, source), int(n), int(sims or 0)) for source, n, sims in found]


def section(*, session: Session, rankings: list[Ranking]) -> Section:
    rows: list[tuple[object, ...]] = []
    for era in ("2024", "2025"):
        for year in national.years(session=session, era=era):
            scope = f"DTI {year} ({'63' if era == '2024' else '34'} tỉnh)"
            provinces = [u.code for u in units.list_units(era=era, kind="province")]
            rows += _counted(session, scope, str(year), era, provinces, sorted(national.variables()))
    for ranking in rankings:
        period = collection.get_period(session=session, code=ranking.period.code)
        members = [r.unit_code for r in ranking.rows]
        rows += _counted(session, f"Kỳ {period.code}", period.value_period, period.era, members)
        appraised = session.scalar(
            select(func.count())
            .select_from(Declaration)
            .join(Submission, Declaration.submission_id == Submission.id)
            .where(Submission.period_id == period.id, Declaration.appraised_score.is_not(None))
        )
        rows.append((f"Kỳ {period.code}", "Mục kê khai đã thẩm định (có điểm thẩm định)", appraised or 0, None))
    simulated = sum(r[3] for r in rows if isinstance(r[3], int))
    paragraphs = [
        "Số liệu của báo cáo đến từ bốn nguồn: đơn vị kê khai rồi được thẩm định; đo tự động từ dữ liệu nghiệp vụ "
        "(hồ sơ thủ tục hành chính, văn bản); nhập từ số liệu Bộ công bố (DTI cấp tỉnh); và, nơi chưa có số liệu "
        f"thật, {SIMULATED} — được ghi rõ ở mọi bảng và biểu đồ dùng đến.",
    ]
    if simulated:
        paragraphs.append(
            f"Báo cáo này có {num(float(simulated), 0)} giá trị là {SIMULATED}: không dùng để đánh giá chính thức."
        )
    table = Table("Nguồn số liệu", "Số liệu được thu thập như thế nào", COLUMNS, rows)
    return Section("provenance", "Nguồn và cách thu thập số liệu", paragraphs, [table])
