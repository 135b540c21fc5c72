"""Aggregation of children into a node, and the multipliers that explain it.

For every method the node value equals Σ_c m_c · v_c, with m_c the multiplier of child c in that
cell: the re-spread weight for an arithmetic mean, the weight for a sum, and for geometric and
harmonic means the share of the child in the weighted sum, scaled to the node value. Contributions of
indicators to ancestors are built from these multipliers, so they always add up to the node value.
Multipliers are only computed when contributions are read: scoring does not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from chiso.engine.panel import Array
from chiso.engine.steplog import StepLog
from chiso.framework.spec import Aggregate, View

Scale = tuple[float, float] | None


@dataclass(frozen=True)
class Aggregation:
    value: Array
    multipliers: Callable[[], Array]  # (children, periods, units), or broadcastable to it


def _weighted_sum(weights: Array, stacked: Array) -> Array:
    """Σ_k weights[k] · stacked[k] over the children axis (weights broadcastable), order-free."""
    return ordered_sum(weights * stacked)


def ordered_sum(terms: Array, axis: int = 0) -> Array:
    """The sum of `terms` along `axis`, added smallest first.

    Float addition is not associative: the same three values added in two orders can land on two
    sides of a rounding boundary and split a tie. Sorting first makes the result a function of the
    set of terms, not of the order the framework lists the children in.
    """
    summed: Array = np.sort(terms, axis=axis).sum(axis=axis)
    return summed


def aggregate(
    node: Aggregate | View,
    children: list[Array],
    scales: list[Scale],
    log: StepLog,
    not_applicable: list[np.ndarray | None] | None = None,
    weights: Array | None = None,
) -> Aggregation:
    """Aggregate the children's values; children not applicable to a unit are left out of its cell.

    Children are (periods, units), or (scenarios, periods, units) on a scenario axis; `weights`, when
    given, replace the declared ones and are (children,) or (children, scenarios).
    """
    values = np.stack(children)  # (children, [scenarios,] periods, units)
    declared = np.array([c.weight for c in node.children], dtype=np.float64)
    given = declared if weights is None else np.asarray(weights, dtype=np.float64)
    # Weights shaped to broadcast against the stack: (children, [scenarios,] 1, 1).
    w_all = given.reshape(given.shape + (1,) * (values.ndim - given.ndim))
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    present_f = present.astype(np.float64)
    # Counts of 0/1 flags are exact in any order: only sums of values need `ordered_sum`.
    none_present = present_f.sum(axis=0) == 0
    # A missing child with weight 0 changes nothing (DTI's smart city): not worth a log entry.
    positive = (w_all > 0).astype(np.float64)
    positive_total = positive.sum(axis=0)
    masks = [(k, m) for k, m in enumerate(not_applicable or []) if m is not None and m.any()]
    if masks:
        applicable_f = np.ones_like(values)
        for k, mask in masks:
            applicable_f[k] = ~mask
        all_left_out = applicable_f.sum(axis=0) == 0
        missing_f = np.minimum(present_f + 1 - applicable_f, 1.0)  # present, or not applicable
        left_out = ((positive * applicable_f).sum(axis=0) < positive_total) & ~none_present
        log.add("aggregate", node.code, "not_applicable", all_left_out, detail="no child applies to the unit")
        log.add(
            "aggregate",
            node.code,
            "not_applicable_left_out",
            left_out,
            detail="children not applicable to the unit are left out; the others carry the weight",
        )
    else:
        applicable_f = np.ones((len(declared),) + (1,) * (values.ndim - 1))
        all_left_out = np.zeros(none_present.shape, dtype=bool)
        missing_f = present_f
    log.add("aggregate", node.code, "missing", none_present & ~all_left_out, detail="no child has a value")
    relevant_gap = ((positive * missing_f).sum(axis=0) < positive_total) & ~none_present  # an applicable child missing

    if node.method == "sum":
        return _sum(node, w_all, filled, present_f, applicable_f, scales, none_present, relevant_gap, log)

    if node.missing == "zero":
        log.add("aggregate", node.code, "missing_as_zero", relevant_gap, detail="missing children counted as zero")
        total = _weighted_sum(w_all, applicable_f)
    else:
        log.add(
            "aggregate",
            node.code,
            "weights_respread",
            relevant_gap,
            detail="weights re-spread over the children present",
        )
        # Every child present (the usual case): the total is the weights' own, a far smaller sort.
        total = ordered_sum(w_all) if present.all() else _weighted_sum(w_all, present_f)
    usable = ~none_present & (total > 0)
    with np.errstate(all="ignore"):
        inverse_total = np.where(usable, 1.0 / total, np.nan)

    def normalised_weights() -> Array:
        w = w_all * (present_f if node.missing == "respread" else applicable_f)
        return w * inverse_total

    if node.method == "mean":
        value = _weighted_sum(w_all, filled) * inverse_total
        return Aggregation(value, normalised_weights)
    w = normalised_weights()
    value = _geometric(node.code, filled, w, log) if node.method == "geometric" else _harmonic(filled, w)
    value = np.where(usable, value, np.nan)
    return Aggregation(value, lambda: _proportional(value, filled, w))


def _sum(
    node: Aggregate | View,
    weights: Array,
    filled: Array,
    present_f: Array,
    applicable_f: Array,
    scales: list[Scale],
    none_present: np.ndarray,
    relevant_gap: np.ndarray,
    log: StepLog,
) -> Aggregation:
    full = np.array([s[1] if s else np.nan for s in scales]).reshape((-1,) + (1,) * (weights.ndim - 1))
    factor: Array | float = 1.0
    all_applicable = all(n == 1 for n in applicable_f.shape[1:])  # no child is not applicable anywhere
    if (node.missing == "respread" or not all_applicable) and not np.isnan(full).any():
        # Points of the children present (respread) or applicable (zero), scaled up to the full maximum
        # of all children: a unit is scored on what applies to it.
        offered = ordered_sum(weights * full)
        basis = present_f if node.missing == "respread" else applicable_f
        available = _weighted_sum(weights * full, basis)
        with np.errstate(all="ignore"):
            factor = offered / available
    if node.missing == "respread":
        detail = "points of missing children re-spread over those present"
        log.add("aggregate", node.code, "points_respread", relevant_gap, detail=detail)
    else:
        log.add("aggregate", node.code, "missing_as_zero", relevant_gap, detail="missing children earn no points")
    if node.output == "share":
        maximum = node.max_points if node.max_points else np.nansum(weights * full, axis=0)
        factor = factor / maximum
    value = np.where(none_present, np.nan, _weighted_sum(weights, filled) * factor)
    cell_factor = np.where(none_present, 0.0, factor)
    return Aggregation(value, lambda: weights * cell_factor)


def _geometric(code: str, filled: Array, w: Array, log: StepLog) -> Array:
    negative = (filled < 0) & (w > 0)
    log.add(
        "aggregate", code, "negative_in_geometric", negative.any(axis=0), detail="a geometric mean needs values ≥ 0"
    )
    with np.errstate(all="ignore"):
        logs = np.where(w > 0, np.log(filled), 0.0)
        value = np.exp(ordered_sum(w * logs))
    result: Array = np.where(negative.any(axis=0), np.nan, value)
    return result


def _harmonic(filled: Array, w: Array) -> Array:
    with np.errstate(all="ignore"):
        inverse = ordered_sum(np.where(w > 0, w / filled, 0.0))
        value: Array = np.where(np.isinf(inverse), 0.0, 1.0 / inverse)
    return value


def _proportional(value: Array, filled: Array, w: Array) -> Array:
    """Multipliers that split a non-linear mean in proportion to each child's weighted value."""
    weighted = np.nansum(w * filled, axis=0)
    with np.errstate(all="ignore"):
        split: Array = np.where(weighted > 0, w * value / weighted, 0.0)
    return split
