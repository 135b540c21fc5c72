"""One year of collection in the demo, through the collection services as the people would do it.

Published years: every unit declares and submits; the appraiser returns some over-claimed items
("Cần bổ sung minh chứng …"), the unit adds a document and resubmits; the appraiser accepts, lowering
over-claimed and raising under-claimed scores; every unit is approved; the three result runs are
computed and the final one is published. The open year stops part-way, unit by unit, as a real
collection does: some approved, some being appraised, some returned, some drafts, some not started.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from chiso.collection import bulk, review
from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod
from chiso.collection.schemas import DeclarationIn, PeriodOpen
from chiso.demo.figures import Profile, Simulator, rng_for, supplement
from chiso.demo.measured import Measured
from chiso.permissions import Actor
from chiso.results import service as results
from chiso.units import Unit

LINEAGE = {"simulated": True, "generator": "chiso.demo"}
RETURN_COMMENTS = (
    "Cần bổ sung minh chứng: văn bản xác nhận số liệu của cơ quan cung cấp",
    "Cần bổ sung minh chứng: trích xuất số liệu từ hệ thống thông tin",
    "Cần bổ sung minh chứng: kế hoạch và báo cáo kết quả thực hiện",
    "Cần bổ sung minh chứng: quyết định, biên bản kèm theo",
)
LOWER = "Điểm thẩm định thấp hơn tự chấm: minh chứng chưa chứng minh đủ số liệu kê khai"
HIGHER = "Điểm thẩm định theo số liệu kê khai, cao hơn điểm tự chấm"
# How far each unit got in the open year: (share of units, stage); the rest have not started.
OPEN_STAGES = ((0.25, "approved"), (0.2, "appraising"), (0.1, "returned"), (0.25, "draft"))


@dataclass(frozen=True)
class People:
    admin: Actor
    appraiser: Actor
    officers: dict[str, Actor]


def open_year(
    session: Session, *, framework: str, year: int, scope: Sequence[Unit], admin: Actor, closes: dt.date
) -> CollectionPeriod:
    return collection.open_period(
        session=session,
        period_in=PeriodOpen(
            framework=framework,
            year=year,
            units=tuple(u.code for u in scope),
            opens_on=dt.date(year, 9, 1),
            closes_on=closes,
        ),
        actor=admin,
    )


def run_year(
    session: Session,
    *,
    framework: str,
    year: int,
    scope: Sequence[Unit],
    people: People,
    seed: int,
    publish: bool,
    keep_drafts: Sequence[str] = (),
    totals: dict[str, dict[str, int]] | None = None,
    measured: Measured | None = None,
) -> CollectionPeriod:
    """Open the period and take every unit as far as the year goes; publish it if `publish`."""
    closes = dt.date(year, 11, 30) if publish else dt.date(year, 12, 15)
    period = open_year(session, framework=framework, year=year, scope=scope, admin=people.admin, closes=closes)
    simulator = Simulator(collection.framework_of(period), seed)
    for unit in scope:
        stage = "approved" if publish else _stage(seed, unit.code, year)
        if unit.code in keep_drafts and not publish:
            stage = "draft"
        if stage != "not_started":
            from_records = measured.for_unit(year, unit.code) if measured else {}
            unit_totals = (totals or {}).get(unit.code)
            _unit(session, period, simulator, unit, year, stage, people, seed, unit_totals, from_records)
    if publish:
        runs = results.compute(session=session, period_code=period.code, actor=people.appraiser)
        final = next(run for run, _ in runs if run.variant == "final")
        results.publish(session=session, run_id=final.id, actor=people.admin)
    return period


def _stage(seed: int, code: str, year: int) -> str:
    draw = rng_for(seed, "stage", code, year).random()
    for share, stage in OPEN_STAGES:
        if draw < share:
            return stage
        draw -= share
    return "not_started"


def _without(item: DeclarationIn, measured: dict[str, float], from_records: set[str]) -> DeclarationIn:
    """The item as the officer declares it: measured figures are not typed in again."""
    if item.indicator in from_records:
        return DeclarationIn(indicator=item.indicator, evidence=())
    if measured.keys() & item.values.keys():
        return item.model_copy(update={"values": {k: v for k, v in item.values.items() if k not in measured}})
    return item


def _unit(
    session: Session,
    period: CollectionPeriod,
    simulator: Simulator,
    unit: Unit,
    year: int,
    stage: str,
    people: People,
    seed: int,
    totals: dict[str, int] | None,
    measured: dict[str, float],
) -> None:
    profile = Profile.draw(seed, unit.code, unit.subtype)
    officer = people.officers[unit.code]
    figures = simulator.figures(profile, year, totals=totals, fixed=measured)
    declared = simulator.declare(profile, year, figures)
    # Indicators whose inputs were all measured: nothing to declare, no self-score (points come from
    # the records), so nothing to over-claim or return either.
    from_records = {
        ind.code for ind in simulator.framework.indicators if ind.variables and set(ind.variables) <= measured.keys()
    }
    items = [_without(i, measured, from_records) for i in declared.items]
    declared.overclaimed = [c for c in declared.overclaimed if c not in from_records]
    declared.underclaimed = [c for c in declared.underclaimed if c not in from_records]
    rng = rng_for(seed, "appraisal", unit.code, year)
    if stage == "draft":  # part of the form filled in, the rest left for the officer
        items = [i for n, i in enumerate(items) if n % 5 != 4]
    common: dict[str, Any] = {"session": session, "period_code": period.code, "unit_code": unit.code}
    bulk.declare_many(**common, items_in=items, actor=officer, lineage=LINEAGE)
    if stage == "draft":
        return
    collection.submit(**common, actor=officer)
    by_code = {i.indicator: i for i in items}
    returned = declared.overclaimed[:2] if declared.overclaimed else []
    if stage == "returned" and not returned:
        declarable = [i for i in items if i.indicator not in from_records]
        returned = [declarable[int(rng.integers(0, len(declarable)))].indicator]
    for n, code in enumerate(returned):
        comment = RETURN_COMMENTS[(n + int(rng.integers(0, 4))) % len(RETURN_COMMENTS)]
        review.return_item(**common, indicator=code, comment=comment, actor=people.appraiser)
    if stage == "returned":
        return
    if returned:
        fixed = [supplement(profile, simulator.framework.node(c), year, by_code[c]) for c in returned]  # type: ignore[arg-type]
        bulk.declare_many(**common, items_in=fixed, actor=officer, lineage=LINEAGE)
        collection.submit(**common, actor=officer)
    if stage == "appraising":  # the appraiser has gone through half of the form
        half = [i.indicator for n, i in enumerate(items) if n % 2 == 0]
        review.accept(**common, indicators=half, actor=people.appraiser)
        return
    for code in declared.overclaimed:  # returned or not, the appraiser lowers some, accepts others
        earned = declared.points.get(code)
        if earned is not None and (code not in returned or rng.random() < 0.5):
            review.accept(
                **common, indicators=[code], appraised_score=round(earned, 2), comment=LOWER, actor=people.appraiser
            )
    for code in declared.underclaimed:
        earned = declared.points.get(code)
        if earned is not None:
            review.accept(
                **common, indicators=[code], appraised_score=round(earned, 2), comment=HIGHER, actor=people.appraiser
            )
    review.accept(**common, actor=people.appraiser)
    review.approve(**common, actor=people.appraiser)
