"""The one canonical value store. A change is a new version with an audit entry, never an overwrite.

A value belongs to a unit (era, code): every read names the era, and every key carries it. Declarations
write `declared` values through collection.service; automatic measures and imports call `record` with
their source and lineage, e.g.

    values.service.record(session=s, value_in=ValueIn(era="2025", unit_code="01840",
        variable="dossiers_on_time", period="2025", value=812, source="measured",
        lineage={"measure": "on_time", "records": 904}), actor=MEASURE)

`record` and `record_many` are the way in from outside the declaration workflow (API, imports,
measures): only the measuring service records `measured` values (`value.measure`), and nothing is
recorded into a locked period or onto an accepted or approved item (collection.locks).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chiso.audit import service as audit
from chiso.collection import locks
from chiso.errors import ConflictError
from chiso.events import service as events
from chiso.permissions import Actor, check
from chiso.units.ref import UnitRef
from chiso.values.models import Value
from chiso.values.schemas import ValueIn


def key(value: Value | ValueIn) -> str:
    return f"{value.unit}/{value.variable}/{value.period}"


def _of(unit: UnitRef) -> Any:
    return (Value.era == unit.era) & (Value.unit_code == unit.code)


def get_current(*, session: Session, unit: UnitRef, variable: str, period: str) -> Value | None:
    return session.scalar(
        select(Value)
        .where(_of(unit), Value.variable == variable, Value.period == period)
        .order_by(Value.version.desc())
        .limit(1)
    )


def current(
    *,
    session: Session,
    period: str,
    era: str,
    unit_codes: Iterable[str] | None = None,
    variables: Iterable[str] | None = None,
) -> dict[tuple[str, str], Value]:
    """The latest version of every value of `period` for the units of `era` (optionally for some units
    and variables), by (code, variable): within one era a code names one unit."""
    latest = select(Value.unit_code, Value.variable, func.max(Value.version).label("version")).where(
        Value.period == period, Value.era == era
    )
    if unit_codes is not None:
        latest = latest.where(Value.unit_code.in_(list(unit_codes)))
    if variables is not None:
        latest = latest.where(Value.variable.in_(list(variables)))
    sub = latest.group_by(Value.unit_code, Value.variable).subquery()
    rows = session.scalars(
        select(Value).join(
            sub,
            (Value.unit_code == sub.c.unit_code)
            & (Value.variable == sub.c.variable)
            & (Value.version == sub.c.version)
            & (Value.period == period)
            & (Value.era == era),
        )
    )
    return {(v.unit_code, v.variable): v for v in rows}


def as_of(*, session: Session, unit: UnitRef, period: str, at: dt.datetime) -> dict[str, Value]:
    """A unit's values of `period` as they stood at `at` (the latest version recorded then), by variable."""
    found: dict[str, Value] = {}
    rows = session.scalars(select(Value).where(_of(unit), Value.period == period).order_by(Value.version))
    for v in rows:
        if _naive(v.recorded_at) <= _naive(at):
            found[v.variable] = v
    return found


def _naive(moment: dt.datetime) -> dt.datetime:
    # SQLite returns naive UTC datetimes, PostgreSQL aware ones: compare both as naive UTC.
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def history(*, session: Session, unit: UnitRef, variable: str, period: str) -> Sequence[Value]:
    return session.scalars(
        select(Value).where(_of(unit), Value.variable == variable, Value.period == period).order_by(Value.version)
    ).all()


def _action(value_in: ValueIn) -> str:
    # A measured value claims to come from the records: only the measuring service may say so.
    return "value.measure" if value_in.source == "measured" else "value.record"


def record(*, session: Session, value_in: ValueIn, actor: Actor, expected_version: int | None = None) -> Value | None:
    """Record a value from outside the declaration workflow (checks `value.record`, or `value.measure`
    for a measured one; refuses a locked period or a settled item). See `write` for versions, conflicts
    and no-ops."""
    check(actor, _action(value_in), value_in.unit)
    locks.refuse_settled(session=session, values_in=[value_in])
    row = write(session=session, value_in=value_in, actor=actor, expected_version=expected_version)
    events.values_recorded(session=session, rows=[row])
    return row


def write(*, session: Session, value_in: ValueIn, actor: Actor, expected_version: int | None = None) -> Value | None:
    """Insert the next version unless the value is unchanged (then None: no version, no audit entry).

    For services that have checked their own permission. `expected_version` is the version the caller
    read (0 for none); if another one is current now, or a concurrent writer inserts the same next
    version first, raise ConflictError carrying the current value.
    """
    if value_in.value is not None and not math.isfinite(value_in.value):
        raise ValueError(f"{key(value_in)}: a value must be a finite number")
    found = get_current(session=session, unit=value_in.unit, variable=value_in.variable, period=value_in.period)
    version = found.version if found else 0
    if expected_version is not None and expected_version != version:
        raise ConflictError(key(value_in), found.value if found else None)
    if found is not None and _same(found, value_in):
        return None
    row = Value(
        era=value_in.era,
        unit_code=value_in.unit_code,
        variable=value_in.variable,
        period=value_in.period,
        value=value_in.value,
        version=version + 1,
        source=value_in.source,
        recorded_by=actor.user,
        lineage=value_in.lineage,
        note=value_in.note,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        latest = get_current(session=session, unit=value_in.unit, variable=value_in.variable, period=value_in.period)
        raise ConflictError(key(value_in), latest.value if latest else None) from None
    audit.record(
        session=session,
        actor=actor.user,
        action=f"value.{value_in.source}",
        entity="value",
        entity_key=key(value_in),
        before=None if found is None else {"value": found.value, "version": found.version, "source": found.source},
        after={"value": row.value, "version": row.version, "source": row.source},
    )
    return row


def _same(old: Value, value_in: ValueIn) -> bool:
    """Nothing to record: the same figure from the same source, simulated or not as before (a published
    figure that equals the simulated one it replaces is still recorded: its provenance changed)."""
    simulated = bool((old.lineage or {}).get("simulated")), bool((value_in.lineage or {}).get("simulated"))
    return old.value == value_in.value and old.source == value_in.source and simulated[0] == simulated[1]


def record_many(*, session: Session, values_in: Sequence[ValueIn], actor: Actor) -> list[Value]:
    """Record many values at once (checks `value.record` or `value.measure` for each unit, as `record`;
    refuses the whole batch if one value falls in a locked period or on a settled item). See `write_many`."""
    for action, unit in dict.fromkeys((_action(v), v.unit) for v in values_in):
        check(actor, action, unit)
    locks.refuse_settled(session=session, values_in=values_in)
    rows = write_many(session=session, values_in=values_in, actor=actor)
    events.values_recorded(session=session, rows=rows)
    return rows


def record_open(
    *, session: Session, values_in: Sequence[ValueIn], actor: Actor
) -> tuple[list[Value], list[tuple[ValueIn, str]]]:
    """`record_many` of the values that no locked period or settled item holds; those are returned with
    why, not recorded: a measuring run over years of which some are published stores the open ones."""
    for action, unit in dict.fromkeys((_action(v), v.unit) for v in values_in):
        check(actor, action, unit)
    skipped = locks.settled(session=session, values_in=values_in)
    held = {id(v) for v, _ in skipped}
    rows = write_many(session=session, values_in=[v for v in values_in if id(v) not in held], actor=actor)
    events.values_recorded(session=session, rows=rows)
    return rows, skipped


def write_many(*, session: Session, values_in: Sequence[ValueIn], actor: Actor) -> list[Value]:
    """`write` for many values in a few statements: the next version of each changed value, in order.

    Unchanged values are skipped (no version, no audit entry); a key given twice is refused. For
    services that have checked their own permission. If a concurrent writer inserts one of the same
    versions first, ConflictError and nothing of the batch is kept.
    """
    seen: set[str] = set()
    by_period: dict[tuple[str, str], list[ValueIn]] = {}
    for value_in in values_in:
        if value_in.value is not None and not math.isfinite(value_in.value):
            raise ValueError(f"{key(value_in)}: a value must be a finite number")
        if key(value_in) in seen:
            raise ValueError(f"{key(value_in)}: given twice in one batch")
        seen.add(key(value_in))
        by_period.setdefault((value_in.period, value_in.era), []).append(value_in)
    rows: list[Value] = []
    entries: list[dict[str, Any]] = []
    for (period, era), batch in by_period.items():
        found = current(
            session=session,
            period=period,
            era=era,
            unit_codes={v.unit_code for v in batch},
            variables={v.variable for v in batch},
        )
        for value_in in batch:
            old = found.get((value_in.unit_code, value_in.variable))
            if old is not None and _same(old, value_in):
                continue
            row = Value(
                era=value_in.era,
                unit_code=value_in.unit_code,
                variable=value_in.variable,
                period=value_in.period,
                value=value_in.value,
                version=(old.version if old else 0) + 1,
                source=value_in.source,
                recorded_by=actor.user,
                lineage=value_in.lineage,
                note=value_in.note,
            )
            rows.append(row)
            entries.append({
                "entity_key": key(value_in),
                "action": f"value.{value_in.source}",
                "before": None if old is None else {"value": old.value, "version": old.version, "source": old.source},
                "after": {"value": row.value, "version": row.version, "source": row.source},
            })  # fmt: skip
    if not rows:
        return rows
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        raise ConflictError(key(rows[0]), None, "values were changed by someone else meanwhile; retry") from None
    for entry in entries:
        audit.record(session=session, actor=actor.user, entity="value", **entry)
    return rows
