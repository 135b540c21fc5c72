"""The annual report for Digital Transformation Day (Ngày Chuyển đổi số, 31/12): one province, one year.

Who may read it: leaders (`viewer`) and the programme office (`report.view`). It gathers, on the
session's clock: the province's national position, the resolution's targets, the year's published
rankings of communes and departments, the plan's tasks, and where the figures come from. Every
simulated figure says so. The service reads only; it never commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chiso import clock, units
from chiso.errors import NotFound
from chiso.permissions import Actor, check
from chiso.reports import plan, position, provenance, rankings, targets
from chiso.reports.schemas import SIMULATED, AnnualReport, Section
from chiso.units.errors import UnitsError

ERA = "2025"  # the report speaks of the province as it is now: the 34 provinces since 1/7/2025


def annual(*, session: Session, actor: Actor, province: str, year: int) -> AnnualReport:
    check(actor, "report.view")
    try:
        unit = units.get(province, era=ERA)
    except UnitsError as exc:
        raise NotFound(f"không có tỉnh {province!r} — no province {province!r}: {exc}") from None
    if unit.kind != "province":
        raise NotFound(f"{province} ({unit.name}) không phải tỉnh, thành phố — is not a province")
    today = clock.of(session).today()
    published = rankings.published_rankings(session=session, province=province, year=year)
    sections: list[Section] = [
        position.section(session=session, province=province),
        targets.section(session=session, actor=actor, province=province, era=ERA),
        rankings.section(rankings=published, year=year),
        plan.section(session=session, actor=actor, province=province, era=ERA, today=today),
        provenance.section(session=session, rankings=published),
    ]
    simulated = (
        any(f.simulated for s in sections for f in s.figures)
        or any(
            SIMULATED in str(cell) for t in (t for s in sections for t in s.tables) for row in t.rows for cell in row
        )
        or any(r.run.simulated for r in published)
    )
    return AnnualReport(province, unit.name, ERA, year, today, simulated, sections)
