"""Scoring rules, vectorised over a (periods, units) array.

Rules that look at other units (minmax, zscore, rank, percentile, distance_to_target) compare the
units of the same period only; NaN cells take no part and stay NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from chiso.engine.panel import Array
from chiso.engine.steplog import StepLog
from chiso.framework.spec import (
    AssessedRule,
    BooleanRule,
    DistanceToTargetRule,
    GoalpostsRule,
    MinMaxRule,
    PercentileRule,
    PointsRule,
    RankRule,
    RatioRule,
    ScoringRule,
    ThresholdsRule,
    TiersRule,
    ZScoreRule,
)


def full_scale(rule: ScoringRule, max_points: float | None) -> tuple[float, float] | None:
    """(floor, full marks) of the rule's output, or None when the scale is open (z-scores, ranks)."""
    if isinstance(rule, RatioRule | TiersRule | ThresholdsRule | BooleanRule | PointsRule | AssessedRule):
        return (0.0, float(max_points)) if max_points is not None else None
    if isinstance(rule, MinMaxRule):
        return (rule.low, rule.high)
    if isinstance(rule, GoalpostsRule | PercentileRule | DistanceToTargetRule):
        return (0.0, rule.scale)
    return None


def apply_rule(
    rule: ScoringRule, x: Array, *, max_points: float | None, direction: int, code: str, log: StepLog
) -> Array:
    """The indicator's score for every cell of `x` (its treated raw value)."""
    scorer = _SCORERS[type(rule)]
    with np.errstate(invalid="ignore", divide="ignore"):
        score = scorer(rule, x, max_points or 0.0, direction, code, log)
    if not isinstance(rule, AssessedRule):  # no score without a person's is what that rule means
        lost = ~np.isnan(x) & np.isnan(score)
        log.add("score", code, "not_scored", lost, before=x, detail=f"rule {rule.rule} gave no score")
    return score


def _ratio(rule: RatioRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    # x is already a / b (see run._raw_values); direction −1 scores (1 − a/b).
    share = (x if direction == 1 else 1.0 - x) / rule.full_at
    # The masks are tested before logging so a clean column costs two comparisons, not copies.
    over = share > 1
    if rule.cap and over.any():
        log.add("score", code, "capped", over, before=share * max_points, detail="ratio above 1 capped")
        share = np.minimum(share, 1.0)
    under = share < 0
    if under.any():
        log.add("score", code, "capped", under, before=share * max_points, detail="negative ratio scored 0")
        share = np.maximum(share, 0.0)
    scored: Array = share * max_points
    return scored


def _tiers(rule: TiersRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    score = np.full_like(x, np.nan)
    for tier in rule.levels:
        score = np.where(x == tier.value, tier.share * max_points, score)
    unknown = ~np.isnan(x) & np.isnan(score)
    declared = ", ".join(f"{t.value:g}={t.code}" for t in rule.levels)
    log.add("score", code, "unknown_level", unknown, before=x, detail=f"levels are {declared}")
    return score


def _thresholds(rule: ThresholdsRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    # Walk the steps from the least demanding to the most, so the best step reached wins.
    order = sorted(rule.steps, key=lambda s: s.at_least, reverse=direction == -1)
    score = np.where(np.isnan(x), np.nan, rule.below)
    for step in order:
        reached = x >= step.at_least if direction == 1 else x <= step.at_least
        score = np.where(reached, step.points, score)
    return score


def _boolean(rule: BooleanRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    yes = x != 0 if direction == 1 else x == 0
    return np.where(np.isnan(x), np.nan, np.where(yes, max_points, 0.0))


def _points(rule: PointsRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    outside = (x < 0) | (x > max_points)
    log.add("score", code, "capped", outside, before=x, detail=f"declared points outside 0–{max_points:g}")
    return np.clip(x, 0.0, max_points)


def _assessed(rule: AssessedRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    # No formula: the points are a person's (self-score, appraisal), given to the engine beside the figures.
    return np.full_like(x, np.nan)


def _goalposts(rule: GoalpostsRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    span = rule.max - rule.min
    share = (x - rule.min) / span if direction == 1 else (rule.max - x) / span
    score = share * rule.scale
    if rule.cap:
        outside = (score < 0) | (score > rule.scale)
        log.add("score", code, "capped", outside, before=score, detail="beyond the goalposts")
        score = np.clip(score, 0.0, rule.scale)
    return score


def _minmax(rule: MinMaxRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    xd = x * direction
    low, high = _nan_extremes(xd)
    span = high - low
    flat = span == 0
    log.add(
        "score",
        code,
        "no_spread",
        flat[:, None] & ~np.isnan(x),
        detail="all units have the same value; min–max is undefined",
    )
    share = (xd - low[:, None]) / np.where(flat, np.nan, span)[:, None]
    return share * (rule.high - rule.low) + rule.low


def _zscore(rule: ZScoreRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    xd = x * direction
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(xd, axis=1)
        sd = np.nanstd(xd, axis=1, ddof=1)
    flat = ~(sd > 0)
    log.add("score", code, "no_spread", flat[:, None] & ~np.isnan(x), detail="standard deviation is 0")
    z = (xd - mean[:, None]) / np.where(flat, np.nan, sd)[:, None]
    scores: Array = z * rule.sd + rule.mean
    return scores


def _rank(rule: RankRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    return average_ranks(x * direction)


def _percentile(rule: PercentileRule, x: Array, max_points: float, direction: int, code: str, log: StepLog) -> Array:
    ranks = average_ranks(x * direction)
    n = np.sum(~np.isnan(x), axis=1, keepdims=True).astype(np.float64)
    percentile: Array = np.where(n > 1, (ranks - 1) / np.where(n > 1, n - 1, 1.0) * rule.scale, rule.scale)
    return percentile


def _distance(
    rule: DistanceToTargetRule, x: Array, max_points: float, direction: int, code: str, log: StepLog
) -> Array:
    low, high = _nan_extremes(x)
    if direction == 1:
        worst = low[:, None]
        share = (x - worst) / (rule.target - worst)
    else:
        worst = high[:, None]
        share = (worst - x) / (worst - rule.target)
    score = share * rule.scale
    if rule.cap:
        over = score > rule.scale
        log.add("score", code, "capped", over, before=score, detail=f"beyond the target {rule.target:g}")
        score = np.minimum(score, rule.scale)
    return score


def _nan_extremes(x: Array) -> tuple[Array, Array]:
    present = ~np.isnan(x)
    any_present = present.any(axis=1)
    low = np.where(any_present, np.min(np.where(present, x, np.inf), axis=1), np.nan)
    high = np.where(any_present, np.max(np.where(present, x, -np.inf), axis=1), np.nan)
    return low, high


def average_ranks(x: Array) -> Array:
    """Rank within each row, 1 = lowest, ties sharing their average rank; NaN stays NaN."""
    rows, cols = x.shape
    key = np.where(np.isnan(x), np.inf, x)
    order = np.argsort(key, axis=1, kind="stable")
    sorted_key = np.take_along_axis(key, order, axis=1)
    positions = np.broadcast_to(np.arange(cols, dtype=np.float64), (rows, cols))
    new_value = np.ones((rows, cols), dtype=bool)
    new_value[:, 1:] = sorted_key[:, 1:] != sorted_key[:, :-1]
    is_end = np.ones((rows, cols), dtype=bool)
    is_end[:, :-1] = new_value[:, 1:]
    # First and last sorted position of each tie block, spread over the block.
    first = np.maximum.accumulate(np.where(new_value, positions, 0.0), axis=1)
    last = np.minimum.accumulate(np.where(is_end, positions, np.inf)[:, ::-1], axis=1)[:, ::-1]
    mean_rank = (first + last) / 2 + 1
    ranks = np.empty((rows, cols))
    np.put_along_axis(ranks, order, mean_rank, axis=1)
    return np.where(np.isnan(x), np.nan, ranks)


_Scorer = Callable[[ScoringRule, Array, float, int, str, StepLog], Array]
_SCORERS: dict[type, _Scorer] = {
    RatioRule: _ratio,  # type: ignore[dict-item]
    TiersRule: _tiers,  # type: ignore[dict-item]
    ThresholdsRule: _thresholds,  # type: ignore[dict-item]
    BooleanRule: _boolean,  # type: ignore[dict-item]
    PointsRule: _points,  # type: ignore[dict-item]
    AssessedRule: _assessed,  # type: ignore[dict-item]
    GoalpostsRule: _goalposts,  # type: ignore[dict-item]
    MinMaxRule: _minmax,  # type: ignore[dict-item]
    ZScoreRule: _zscore,  # type: ignore[dict-item]
    RankRule: _rank,  # type: ignore[dict-item]
    PercentileRule: _percentile,  # type: ignore[dict-item]
    DistanceToTargetRule: _distance,  # type: ignore[dict-item]
}
