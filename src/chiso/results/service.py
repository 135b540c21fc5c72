"""Result runs: the engine over a period's stored values, in three variants, stored immutably.

- `self_assessed`: each item's self-score where the unit gave one, else the rule applied to its figures;
- `appraised`: the appraiser's score where given, else the rule applied to the current figures;
- `final`: as appraised, counting only approved (or published) items; others earn nothing.

The same inputs give the same run (computing again returns it); a published run never changes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from chiso import clock
from chiso.audit import service as audit
from chiso.collection import review
from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod, Declaration, Submission
from chiso.engine import Panel, Result, run
from chiso.errors import ChisoError, ImmutableError, NotFound
from chiso.events import service as events
from chiso.permissions import Actor, check
from chiso.results import intervals
from chiso.results.models import VARIANTS, ResultRow, ResultRun
from chiso.values import service as values


def _panel_inputs(session: Session, period: CollectionPeriod, variant: str) -> tuple[Panel, dict[str, Any]]:
    framework = collection.framework_of(period)
    units = [s.unit_code for s in collection.submissions(session=session, period=period)]
    current = values.current(session=session, period=period.value_period, era=period.era, unit_codes=units)
    variables = {}
    for var in framework.variables:
        row = [current[(u, var)].value if (u, var) in current else None for u in units]
        variables[var] = np.array([[np.nan if v is None else v for v in row]], dtype=float)
    base = run(framework, Panel.from_arrays(units, [period.value_period], variables))
    given: dict[str, np.ndarray] = {}
    for ind in framework.indicators:
        given[ind.code] = base.values[ind.code].copy()
    position = {u: i for i, u in enumerate(units)}
    # Columns, not Declaration objects (with their eager-loaded evidence): the worker recomputes after
    # every approval, and loading thousands of objects was most of a run's time.
    declared = session.execute(
        select(
            Submission.unit_code,
            Declaration.indicator_code,
            Declaration.self_score,
            Declaration.appraised_score,
            Declaration.state,
        )
        .join(Declaration, Declaration.submission_id == Submission.id)
        .where(Submission.period_id == period.id)
    )
    for item in declared:
        unit_code = item.unit_code
        cell = given[item.indicator_code]
        column = position[unit_code]
        if variant == "self_assessed" and item.self_score is not None:
            cell[0, column] = item.self_score
        elif variant in ("appraised", "final") and item.appraised_score is not None:
            cell[0, column] = item.appraised_score
        if variant == "final" and item.state not in ("approved", "published"):
            cell[0, column] = np.nan
    panel = Panel.from_arrays(units, [period.value_period], variables, given=given)
    fingerprint = {
        "framework": period.framework_version.sha256,
        "variant": variant,
        "units": units,
        "given": {k: [None if math.isnan(x) else x for x in v[0].tolist()] for k, v in sorted(given.items())},
        "values": {k: [None if math.isnan(x) else x for x in v[0].tolist()] for k, v in sorted(variables.items())},
    }
    return panel, fingerprint


def _clean(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _rows(result: Result, run_id: int, era: str) -> list[dict[str, Any]]:
    points = result.points
    ranks = result.ranks[None]
    rows = []
    for u, unit in enumerate(result.units):
        for code, array in result.values.items():
            rows.append(
                {
                    "run_id": run_id,
                    "era": era,  # a run covers the units of its period's era
                    "unit_code": unit,
                    "node": code,
                    "value": _clean(array[0, u]),
                    "points": _clean(points[code][0, u]) if code in points else None,
                    "rank": _clean(ranks[code][0, u]) if code in ranks else None,
                }
            )
    return rows


def compute(
    *, session: Session, period_code: str, actor: Actor, variants: Sequence[str] = VARIANTS
) -> list[tuple[ResultRun, bool]]:
    """One run per variant; (run, created) — an existing run with the same inputs is returned as is."""
    check(actor, "results.compute")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise ChisoError(f"unknown variant(s) {sorted(unknown)}; variants: {', '.join(VARIANTS)}")
    period = collection.get_period(session=session, code=period_code)
    framework = collection.framework_of(period)
    out = []
    for variant in variants:
        panel, fingerprint = _panel_inputs(session, period, variant)
        digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()
        found = session.scalar(
            select(ResultRun).where(
                ResultRun.period_id == period.id, ResultRun.variant == variant, ResultRun.inputs_sha256 == digest
            )
        )
        if found is not None:
            if variant == "final" and found.published:  # published before rank intervals existed: added, once
                intervals.store(session=session, run=found, framework=framework, panel=panel, era=period.era)
            out.append((found, False))
            continue
        result = run(framework, panel)
        log = result.log_table
        contributions = result.contributions_to(framework.index)
        run_row = ResultRun(
            period_id=period.id,
            framework_version_id=period.framework_version_id,
            variant=variant,
            inputs_sha256=digest,
            computed_by=actor.user,
            outputs={
                "contributions": json.loads(contributions.to_json(orient="records", force_ascii=False)),
                "log": json.loads(log.to_json(orient="records", force_ascii=False)),
            },
        )
        session.add(run_row)
        session.flush()
        # One multi-row INSERT rather than thousands of ORM objects: rows are written once, never updated.
        session.execute(insert(ResultRow), _rows(result, run_row.id, period.era))
        session.expire(run_row, ["rows"])
        audit.record(
            session=session,
            actor=actor.user,
            action="results.compute",
            entity="result_run",
            entity_key=str(run_row.id),
            after={"period": period.code, "variant": variant, "inputs_sha256": digest},
        )
        out.append((run_row, True))
    return out


def get_run(*, session: Session, run_id: int) -> ResultRun:
    found = session.get(ResultRun, run_id)
    if found is None:
        raise NotFound.of("results.unknown", run=run_id)
    return found


def list_runs(*, session: Session, period_code: str, actor: Actor) -> Sequence[ResultRun]:
    check(actor, "results.view")
    period = collection.get_period(session=session, code=period_code)
    return session.scalars(select(ResultRun).where(ResultRun.period_id == period.id).order_by(ResultRun.id)).all()


def latest(*, session: Session, period_code: str, variant: str, actor: Actor) -> ResultRun:
    runs = [r for r in list_runs(session=session, period_code=period_code, actor=actor) if r.variant == variant]
    if not runs:
        raise NotFound(f"no {variant} run for {period_code}; run chiso results compute first")
    return runs[-1]


def _up_to_date(session: Session, period: CollectionPeriod, run_row: ResultRun) -> Panel:
    """The inputs a final run was computed from, read again; refused when they changed since."""
    panel, fingerprint = _panel_inputs(session, period, "final")
    digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()
    if digest != run_row.inputs_sha256:
        raise ChisoError.of("results.out-of-date", run=run_row.id)
    return panel


def publish_blocker(*, session: Session, run_id: int, actor: Actor) -> ChisoError | None:
    """Why `publish` would refuse this run now (None: it can be published), so that a page can say so
    beside a disabled button instead of offering it."""
    check(actor, "results.publish")
    run_row = get_run(session=session, run_id=run_id)
    if run_row.published:
        return ImmutableError.of("results.published", run=run_id)
    if run_row.variant != "final":
        return None
    period = session.get(CollectionPeriod, run_row.period_id)
    assert period is not None
    if period.state == "published":
        return ChisoError.of("results.period-published")
    refused = review.not_approved(session=session, period=period)
    if refused is not None:
        return refused
    try:
        _up_to_date(session, period, run_row)
    except ChisoError as exc:
        return exc
    return None


def publish(*, session: Session, run_id: int, actor: Actor) -> ResultRun:
    """Publish a run. Publishing a final run also publishes the period: every unit approved, then locked."""
    check(actor, "results.publish")
    run_row = get_run(session=session, run_id=run_id)
    if run_row.published:
        raise ImmutableError.of("results.published", run=run_id)
    period = session.get(CollectionPeriod, run_row.period_id)
    assert period is not None
    if run_row.variant == "final":
        panel = _up_to_date(session, period, run_row)
        # How far its ranks move when the weights vary: computed once, now, from the inputs it was computed
        # from (the hash says so). Not for provisional runs: the worker recomputes them after every
        # approval, and the intervals cost 100–200 runs' work (benchmarks/bench_rank_intervals.py).
        framework = collection.framework_of(period)
        intervals.store(session=session, run=run_row, framework=framework, panel=panel, era=period.era)
        review.lock(session=session, period=period, actor=actor)
    run_row.published, run_row.published_at, run_row.published_by = True, clock.of(session).now(), actor.user
    audit.record(
        session=session,
        actor=actor.user,
        action="results.publish",
        entity="result_run",
        entity_key=str(run_id),
        after={"period": period.code, "variant": run_row.variant},
    )
    session.flush()
    events.result_changed(session=session, run=run_row, period=period, type="vn.chiso.result.published")
    return run_row
