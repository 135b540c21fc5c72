""" "Improve first": the points and rank a unit gains by raising each indicator to its next tier.

The engine runs once on a stored run's indicator scores, with one extra period per indicator in which
only that unit's score is raised. Periods are scored independently, so each holds one what-if.
Frameworks whose pipeline reads across periods (panel imputation) get one run per indicator instead.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from sqlalchemy.orm import Session

from chiso.collection import service as collection
from chiso.dashboard import rundata
from chiso.dashboard.schemas import Improvement
from chiso.dashboard.service import _visible_run, get_period
from chiso.engine import Panel, run
from chiso.errors import NotFound
from chiso.framework import Framework, Indicator
from chiso.framework.describe import number
from chiso.framework.spec import BooleanRule, PointsRule, RatioRule, ThresholdsRule, TiersRule
from chiso.permissions import Actor, check

_CACHE: OrderedDict[tuple[int, str, str], list[Improvement]] = OrderedDict()
_LOCK = threading.Lock()


def next_tier(indicator: Indicator, points: float) -> tuple[float, str] | None:
    """(points at the next tier, its description), or None when the indicator is at its top already."""
    top = indicator.max_points
    rule = indicator.scoring
    if top is None or rule is None:
        return None
    steps: list[tuple[float, str]]
    if isinstance(rule, TiersRule):
        steps = [(t.share * top, t.label or t.code) for t in rule.levels]
    elif isinstance(rule, ThresholdsRule):
        sign = "≤" if indicator.direction == -1 else "≥"
        steps = [(s.points, f"{sign} {number(s.at_least)}") for s in rule.steps]
    elif isinstance(rule, BooleanRule | PointsRule | RatioRule):
        steps = [(top, "tối đa / full")]
    else:
        return None
    higher = sorted((p, label) for p, label in steps if p > points + 1e-9)
    return higher[0] if higher else None


def improve_first(
    *, session: Session, actor: Actor, period_code: str, unit_code: str, limit: int = 10
) -> list[Improvement]:
    """Indicators of `unit_code` by the index points their next tier would add (largest first)."""
    check(actor, "results.view_published")
    period = get_period(session, actor, period_code)
    stored = _visible_run(session, actor, period, "final")
    if stored is None:
        raise NotFound(f"no final results for period {period_code} yet")
    key = (stored.id, stored.inputs_sha256, unit_code)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key][:limit]
    data = rundata.load(session, stored)
    if unit_code not in data.position:
        raise NotFound(f"unit {unit_code} is not in period {period_code}")
    found = compute(collection.framework_of(period), data, unit_code)
    with _LOCK:
        _CACHE[key] = found
        while len(_CACHE) > 256:
            _CACHE.popitem(last=False)
    return found[:limit]


def compute(framework: Framework, data: rundata.RunData, unit_code: str) -> list[Improvement]:
    column = data.position[unit_code]
    candidates = []
    for ind in framework.indicators:
        current = data.value(ind.code, unit_code)
        step = next_tier(ind, current or 0.0)
        if step is not None and ind.code in data.values:
            candidates.append((ind, current or 0.0, step))
    if not candidates:
        return []
    base = {ind.code: data.values[ind.code] for ind in framework.indicators if ind.code in data.values}
    if framework.pipeline.impute.panel != "none":
        outcomes = [_run(framework, data.units, base, [(ind.code, column, step[0])]) for ind, _, step in candidates]
        values = np.vstack([o[0][1:] for o in outcomes])
        ranks = np.vstack([o[1][1:] for o in outcomes])
        base_value, base_rank = outcomes[0][0][0], outcomes[0][1][0]
    else:
        changes = [(ind.code, column, step[0]) for ind, _, step in candidates]
        all_values, all_ranks = _run(framework, data.units, base, changes)
        base_value, base_rank = all_values[0], all_ranks[0]
        values, ranks = all_values[1:], all_ranks[1:]
    out = []
    for k, (ind, current, (next_points, label)) in enumerate(candidates):
        rank_before = None if np.isnan(base_rank[column]) else int(base_rank[column])
        rank_after = None if np.isnan(ranks[k][column]) else int(ranks[k][column])
        gain = float(values[k][column] - base_value[column])
        out.append(
            Improvement(
                ind.code,
                ind.name,
                current,
                next_points,
                ind.max_points or 0.0,
                label,
                0.0 if np.isnan(gain) else gain,
                rank_before,
                rank_after,
                ind.number,
            )
        )
    out.sort(key=lambda i: (-i.index_gain, -(i.rank_gain or 0), i.code))
    return out


def _run(
    framework: Framework,
    unit_codes: tuple[str, ...],
    base: dict[str, np.ndarray],
    changes: list[tuple[str, int, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """Index values and ranks, (1 + len(changes), units): row 0 as stored, row k with change k."""
    periods = [f"p{k}" for k in range(len(changes) + 1)]
    given = {code: np.tile(vector, (len(periods), 1)) for code, vector in base.items()}
    for k, (code, column, points) in enumerate(changes, start=1):
        given[code][k, column] = points
    nan = np.full((len(periods), len(unit_codes)), np.nan)
    variables = {var: nan for var in framework.variables}
    result = run(framework, Panel.from_arrays(unit_codes, periods, variables, given=given))
    return result.values[framework.index], result.rank(framework.index)
