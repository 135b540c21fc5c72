"""Stored Decision 766 results: record a computation, read a ranking and a unit's month-by-month profile.

Services do not commit; `record` replaces the rows of the units and periods it brings (a period
computed again is the newer figure) and emits `vn.chiso.service766.computed` for the IOC. A row's
lineage names the versions of the declarations its inputs took (`declarations`), when the computation
knew them; a declaration saved later re-scores the stored rows of its period (`rescore.py`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from chiso import clock, units
from chiso.errors import NotFound
from chiso.events import service as events
from chiso.permissions import Actor, check
from chiso.service766.compute import KINDS, Index766
from chiso.service766.models import Service766Declaration, Service766Score
from chiso.units.ref import UnitRef

CHUNK = 500  # rows deleted per statement (SQLite's bound-parameter limit)


@dataclass(frozen=True)
class Recorded:
    rows: int
    periods: list[str]


def record(*, session: Session, index: Index766, province: str, actor: Actor) -> Recorded:
    """Store every row of the computation (replacing the same units and periods) and emit the event."""
    check(actor, "results.compute", province)
    rows = index.rows
    now = clock.of(session).now()
    keys = list(dict.fromkeys(zip(rows["era"], rows["unit"], rows["period"], strict=True)))
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        session.execute(
            delete(Service766Score).where(
                tuple_(Service766Score.era, Service766Score.unit_code, Service766Score.period).in_(chunk)
            )
        )
    session.add_all(
        Service766Score(
            era=str(r["era"]),
            unit_code=str(r["unit"]),
            unit_kind=str(r["kind"]),
            grain=str(r["grain"]),
            period=str(r["period"]),
            **figures(r),
            computed_at=now,
            lineage=_lineage(index, str(r["unit"]), str(r["period"])),
        )
        for r in rows.to_dict(orient="records")
    )
    session.flush()
    periods = sorted(set(rows["period"]), key=lambda p: (len(p) == 4, p))
    emit_computed(session, rows, province, periods)
    return Recorded(len(rows), periods)


def figures(row: Mapping[Hashable, Any]) -> dict[str, Any]:
    """A computed row's figures as stored: total, rank, ranked, points, inputs, records (a missing total or
    rank, NaN in the frame, is None)."""
    total, rank = row["total"], row["rank"]
    return {
        "total": None if total is None or math.isnan(total) else float(total),
        "rank": None if rank is None or math.isnan(rank) else int(rank),
        "ranked": int(row["ranked"]),
        "points": dict(row["points"]),
        "inputs": dict(row["inputs"]),
        "records": int(row["records"]),
    }


def _lineage(index: Index766, unit: str, period: str) -> dict[str, Any]:
    if index.declared is None:
        return index.lineage
    return {**index.lineage, "declarations": index.declared.get((unit, period), {})}


def emit_computed(session: Session, rows, province: str, periods: list[str]) -> None:  # type: ignore[no-untyped-def]
    """`vn.chiso.service766.computed` for `rows` (era, unit, kind, period, rank, total) of the province:
    the periods stored, how many units, and the leaders of each kind in the latest period."""
    months = [p for p in periods if len(p) > 4]
    latest = (months or periods)[-1] if periods else None
    leaders = []
    for kind in KINDS:
        best = rows[(rows["period"] == latest) & (rows["kind"] == kind) & (rows["rank"] == 1)]
        for r in best.to_dict(orient="records"):
            leaders.append(
                {
                    "kind": kind,
                    "period": latest,
                    "unit_code": r["unit"],
                    "unit_name": events.unit_name(str(r["unit"]), str(r["era"])),
                    "total": round(float(r["total"]), 4),
                }
            )
    events.emit(
        session=session,
        type="vn.chiso.service766.computed",
        subject=f"service-766/{province}",
        data={
            "framework": "service-766",
            "province": province,
            "periods": periods,
            "unit_count": int(rows["unit"].nunique()),
            "leaders": leaders,
        },
    )


def periods(*, session: Session, actor: Actor) -> list[str]:
    """Periods with stored results, newest first (months, then years)."""
    check(actor, "results.view")
    found = session.scalars(select(Service766Score.period).distinct()).all()
    return sorted(found, key=lambda p: (p[:4], len(p) > 4, p), reverse=True)


def ranking(*, session: Session, period: str, kind: str, actor: Actor) -> Sequence[Service766Score]:
    """The units of one kind in one period, best first (unranked last)."""
    check(actor, "results.view")
    rows = session.scalars(
        select(Service766Score).where(Service766Score.period == period, Service766Score.unit_kind == kind)
    ).all()
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.unit_code))


def profile(*, session: Session, unit: UnitRef, year: int, actor: Actor) -> list[Service766Score]:
    """A unit's months of one year and the year itself, in order."""
    check(actor, "results.view", unit)
    rows = session.scalars(
        select(Service766Score).where(
            Service766Score.era == unit.era,
            Service766Score.unit_code == unit.code,
            Service766Score.period.like(f"{year}%"),
        )
    ).all()
    return sorted(rows, key=lambda r: (len(r.period) == 4, r.period))


def years(*, session: Session, unit: UnitRef, actor: Actor) -> list[int]:
    check(actor, "results.view", unit)
    found = session.scalars(
        select(Service766Score.period).where(
            Service766Score.era == unit.era, Service766Score.unit_code == unit.code, Service766Score.grain == "year"
        )
    ).all()
    return sorted({int(p[:4]) for p in found}, reverse=True)


def counted(score: Service766Score, declaration: Service766Declaration) -> bool:
    """Whether the stored result was scored from this declared figure (a declaration is applied at once,
    but results computed without reading the declarations did not take it)."""
    return score.inputs.get(declaration.variable) == declaration.value


def known_unit(era: str, code: str) -> UnitRef:
    """The unit (era, code), or NotFound saying how to find the right code."""
    try:
        units.get(code, era=era)
    except units.UnitsError:
        raise NotFound(
            f"Không có đơn vị {code} (thời kỳ {era}) — no unit {code} in era {era}; see `chiso units search`"
        ) from None
    return UnitRef(era, code)


def unit_name(unit: UnitRef) -> str:
    try:
        return units.get(unit.code, era=unit.era).name
    except units.UnitsError:
        return unit.code
