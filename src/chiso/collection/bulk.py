"""Declare many items of one unit at once: what a whole declaration form (or a generator) saves.

The same rules as `collection.service.declare`, item by item — permission, editable state, the
indicator's variables, figures written as `declared` versions, evidence replaced, one audit entry per
changed item — in a few statements instead of a dozen per item. Every item is checked before anything
is written: one refused item refuses the batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from chiso import clock
from chiso.audit import service as audit
from chiso.collection.evidence import FileStore
from chiso.collection.models import Declaration
from chiso.collection.schemas import DeclarationIn
from chiso.collection.service import (
    changes,
    editable,
    evidence_rows,
    framework_of,
    get_period,
    get_submission,
    snapshot,
)
from chiso.collection.workflow import next_state
from chiso.errors import ChisoError, ConflictError
from chiso.permissions import Actor, check
from chiso.values import service as values
from chiso.values.schemas import ValueIn


def declare_many(
    *,
    session: Session,
    period_code: str,
    unit_code: str,
    items_in: Sequence[DeclarationIn],
    actor: Actor,
    files: FileStore | None = None,
    lineage: Mapping[str, Any] | None = None,
) -> list[str]:
    """Change several items of a unit; the indicators that changed, in order.

    `lineage` is added to the lineage of every figure written (e.g. who or what produced the figures).
    A variable read by two indicators must be given the same figure in both.
    """
    check(actor, "declaration.edit", unit_code)
    period = get_period(session=session, code=period_code)
    submission = get_submission(session=session, period=period, unit_code=unit_code)
    framework = framework_of(period)
    stored = {
        item.indicator_code: item
        for item in session.scalars(
            select(Declaration)
            .where(Declaration.submission_id == submission.id)
            .options(selectinload(Declaration.evidence))
        )
    }
    figures: dict[str, tuple[float | None, str]] = {}
    for item_in in items_in:
        if item_in.indicator not in stored:
            raise ChisoError(f"framework {framework.code} has no indicator {item_in.indicator!r}")
        variables = framework.node(item_in.indicator).variables  # type: ignore[union-attr]
        wrong = sorted(set(item_in.values) - set(variables))
        if wrong:
            raise ChisoError(f"{item_in.indicator} reads {', '.join(variables)}, not {', '.join(wrong)}")
        for var, value in item_in.values.items():
            earlier = figures.setdefault(var, (value, item_in.indicator))
            if earlier[0] != value:
                raise ChisoError(f"{var}: {value} for {item_in.indicator} but {earlier[0]} for {earlier[1]}")
    if len({i.indicator for i in items_in}) != len(items_in):
        raise ChisoError("an indicator is given twice in one batch")
    current = values.current(session=session, period=period.value_period, era=period.era, unit_codes=[unit_code])
    plans = []
    for item_in in items_in:
        item = stored[item_in.indicator]
        diff = changes(session=session, period=period, item=item, item_in=item_in, files=files, current=current)
        if diff.any:
            editable(period, item)
            next_state(f"item {unit_code}/{item.indicator_code}", item.state, "edit")
            plans.append((item, item_in, diff))
    written: set[str] = set()
    batch = []
    for item, _, diff in plans:
        for var, value in diff.values.items():
            if var in written:
                continue
            written.add(var)
            batch.append(
                ValueIn(
                    era=period.era,
                    unit_code=unit_code,
                    variable=var,
                    period=period.value_period,
                    value=value,
                    source="declared",
                    lineage={"period": period.code, "indicator": item.indicator_code, **(lineage or {})},
                )
            )
    befores = [snapshot(item, {v: diff.stored_figures.get(v) for v in diff.values}) for item, _, diff in plans]
    try:
        with session.begin_nested():
            values.write_many(session=session, values_in=batch, actor=actor)
            for item, item_in, diff in plans:
                for field_name, new in diff.fields.items():
                    setattr(item, field_name, new)
                if diff.evidence and item_in.evidence is not None:
                    item.evidence[:] = evidence_rows(item, item_in, files, actor)
                item.updated_at, item.updated_by = clock.of(session).now(), actor.user
            session.flush()
    except StaleDataError:
        raise ConflictError(f"declarations of {unit_code} in {period.code}", None) from None
    for (item, _, diff), before in zip(plans, befores, strict=True):
        audit.record(
            session=session,
            actor=actor.user,
            action="declaration.edit",
            entity="declaration",
            entity_key=f"{period.code}/{unit_code}/{item.indicator_code}",
            before=before,
            after=snapshot(item, diff.values),
        )
    return [item.indicator_code for item, _, _ in plans]
