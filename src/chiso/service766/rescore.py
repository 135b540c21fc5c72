"""Declarations applied at once: the stored 766 results of the periods a declaration changed, scored again.

A stored row holds every input its unit and period was scored from (`inputs`: the measured counts,
zero-filled, and the declared figures read then) and its records, so a period is scored again without
reading the lake: every stored unit of the province in that period, its measured inputs as stored and
its declared inputs as declared now, through the computation's own scoring (`compute.score`), ranked
again within each kind. A full `rank766 --store` run afterwards gives the same totals and ranks
(tests/sources/test_service766_rescore.py); such a run (`store`) applies, after storing, the declarations
committed while it computed.

Periods are independent: a month's declaration scores that month again, not the year (a year is
declared on its own). A declared unit and period without a stored result is left alone: a declaration
alone does not put a unit in the ranking; the next computation counts it.

Two re-scores of one period at once (two people declaring for two communes of September): each locks
the period's stored rows (SELECT … FOR UPDATE on PostgreSQL) before it reads the declarations, so the
second waits for the first to commit, then reads the first one's figures too, and neither writes rows
scored from figures read before the other's commit. SQLite lets one writer at a time in already: the
declaration's insert holds the database's write lock until the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso import clock, units
from chiso.permissions import Actor
from chiso.service766 import service
from chiso.service766.compute import Index766, declared_variables, framework, score
from chiso.service766.models import Service766Declaration, Service766Score
from chiso.sources.compiler import NEW_ERA
from chiso.sources.measures import Grain

Place = tuple[str, str]  # unit code, period
Current = dict[Place, dict[str, tuple[float, int]]]  # variable → (value, version) of the latest declarations
LOCK_ATTEMPTS = 5


@dataclass(frozen=True)
class Rescored:
    """What a batch of declarations did to the stored results."""

    periods: list[str] = field(default_factory=list)  # periods scored again (their figures changed or not)
    changed: int = 0  # stored rows whose figures changed (total, points, inputs, rank)
    unscored: list[Place] = field(default_factory=list)  # declared without a stored result: the next computation


def apply(*, session: Session, places: Collection[Place]) -> Rescored:
    """Score again each province's periods in which one of these (unit, period) has a stored result,
    with the current declarations; update the rows that change and emit `vn.chiso.service766.computed`.

    Called by `declarations.declare`, whose permission check covers it: a declaration's consequence on
    the other units of the period (their ranks) is not a separate action. Does not commit."""
    wanted = set(places)
    if not wanted:
        return Rescored()
    stored = _locked(session, sorted({period for _, period in wanted}))
    held = {(r.unit_code, r.period) for r in stored}
    province = _provinces({r.unit_code for r in stored} | {unit for unit, _ in wanted})
    groups: dict[str, set[str]] = {}
    for unit, period in wanted & held:
        groups.setdefault(province[unit], set()).add(period)
    unscored = sorted(wanted - held)
    if not groups:
        return Rescored([], 0, unscored)
    current = _current(session, sorted(set().union(*groups.values())))
    now = clock.of(session).now()
    changed = 0
    for code, periods in sorted(groups.items()):
        rows = [r for r in stored if r.period in periods and province[r.unit_code] == code]
        fresh = _score(rows, current)
        touched = _update(rows, fresh, current, now)
        if touched:
            changed += len(touched)
            shown = sorted({r.period for r in touched}, key=lambda p: (len(p) == 4, p))
            service.emit_computed(session, fresh[fresh["period"].isin(shown)], code, shown)
    session.flush()
    return Rescored(sorted(set().union(*groups.values()), key=lambda p: (len(p) == 4, p)), changed, unscored)


def store(*, session: Session, index: Index766, province: str, actor: Actor) -> service.Recorded:
    """Store a computation (`service.record`) and, when it read the declarations, apply those committed
    since it read them: a declaration that came between the read and the store (its own re-score found
    the rows this store then replaced) counts in the stored rows as if it had come after them. Does not
    commit."""
    recorded = service.record(session=session, index=index, province=province, actor=actor)
    if index.declared is not None:
        rows = index.rows
        apply(session=session, places=set(zip(rows["unit"].astype(str), rows["period"].astype(str), strict=True)))
    return recorded


def _locked(session: Session, periods: Sequence[str]) -> list[Service766Score]:
    """The stored rows of these periods, locked until the commit (in the id order, so two re-scores of
    overlapping periods lock in the same order and do not deadlock). Read again until two reads agree:
    under READ COMMITTED each statement sees what committed before it, so rows a computation stored
    while this one waited are locked and scored too."""
    query = (
        select(Service766Score)
        .where(Service766Score.era == NEW_ERA, Service766Score.period.in_(periods))
        .order_by(Service766Score.id)
        .with_for_update()
        .execution_options(populate_existing=True)  # the figures as committed, not as this session read them
    )
    rows = list(session.scalars(query))
    for _ in range(LOCK_ATTEMPTS):
        again = list(session.scalars(query))
        if [r.id for r in again] == [r.id for r in rows]:
            break
        rows = again
    return rows


def _provinces(codes: set[str]) -> dict[str, str]:
    """Each unit's province (a province is its own): ranks are within a province's computation."""
    found = {}
    for code in codes:
        try:
            unit = units.get(code, era=NEW_ERA)
        except units.UnitsError:
            found[code] = ""
            continue
        found[code] = unit.province_code or unit.code
    return found


def _current(session: Session, periods: Sequence[str]) -> Current:
    """The latest declaration of every unit and input of these periods (read after the lock)."""
    rows = session.execute(
        select(
            Service766Declaration.unit_code,
            Service766Declaration.period,
            Service766Declaration.variable,
            Service766Declaration.value,
            Service766Declaration.version,
        )
        .where(Service766Declaration.era == NEW_ERA, Service766Declaration.period.in_(periods))
        .order_by(Service766Declaration.version)
    )
    found: Current = {}
    for unit, period, variable, value, version in rows:  # later versions overwrite earlier ones
        found.setdefault((unit, period), {})[variable] = (float(value), int(version))
    return found


def _score(rows: Sequence[Service766Score], current: Current) -> pd.DataFrame:
    """The rows scored again: their measured inputs as stored, the declared ones as declared now."""
    replaced = declared_variables()
    values: list[tuple[str, str, str, float, int]] = []
    for r in rows:
        values += [
            (r.unit_code, r.period, variable, float(value), r.records)
            for variable, value in r.inputs.items()
            if variable not in replaced and value is not None
        ]
        given = current.get((r.unit_code, r.period), {})
        values += [(r.unit_code, r.period, variable, value, 0) for variable, (value, _) in given.items()]
    frame = pd.DataFrame(values, columns=["unit", "period", "variable", "value", "records"])
    grains = sorted({Grain(r.grain) for r in rows}, key=lambda g: g.value)
    return score(framework(), frame, {r.unit_code: r.unit_kind for r in rows}, grains)


def _update(
    rows: Sequence[Service766Score], fresh: pd.DataFrame, current: Current, now: dt.datetime
) -> list[Service766Score]:
    """Write the new figures into the rows that change, and list them."""
    scored = {(str(r["unit"]), str(r["period"])): r for r in fresh.to_dict(orient="records")}
    touched = []
    for row in rows:
        key = (row.unit_code, row.period)
        figures = service.figures(scored[key])
        versions = {variable: version for variable, (_, version) in current.get(key, {}).items()}
        lineage: dict[str, Any] = {**row.lineage, "declarations": versions}
        if all(getattr(row, name) == value for name, value in figures.items()):
            if row.lineage.get("declarations") != versions:  # computed without the versions: name them
                row.lineage = lineage
            continue
        for name, value in figures.items():
            setattr(row, name, value)
        row.computed_at = now
        row.lineage = {**lineage, "rescored_at": now.isoformat()}  # the lake snapshot stays the computation's
        touched.append(row)
    return touched
