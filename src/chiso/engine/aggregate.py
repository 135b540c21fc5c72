"""Aggregation of children into a node, and the multipliers that explain it.

For every method the node value equals Σ_c m_c · v_c, with m_c the multiplier of child c in that
cell: the re-spread weight for an arithmetic mean, the weight for a sum, and for geometric and
harmonic means the share of the child in the weighted sum, scaled to the node value. Contributions of
indicators to ancestors are built from these multipliers, so they always add up to the node value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiso.engine.panel import Array
from chiso.engine.steplog import StepLog
from chiso.framework.spec import Aggregate, View

Scale = tuple[float, float] | None


@dataclass(frozen=True)
class Aggregation:
    value: Array
    multipliers: list[Array]  # one per child, shape (periods, units)


def aggregate(node: Aggregate | View, children: list[Array], scales: list[Scale], log: StepLog) -> Aggregation:
    values = np.stack(children)  # (children, periods, units)
    weights = np.array([c.weight for c in node.children], dtype=np.float64)[:, None, None]
    present = ~np.isnan(values)
    none_present = np.asarray(~present.any(axis=0), dtype=bool)
    log.add("aggregate", node.code, "missing", none_present, detail="no child has a value")
    filled = np.where(present, values, 0.0)
    # A missing child with weight 0 changes nothing (DTI's smart city): not worth a log entry.
    relevant_gap: np.ndarray = ((~present) & (weights > 0)).any(axis=0) & ~none_present

    if node.method == "sum":
        return _sum(node, filled, present, weights, scales, none_present, relevant_gap, log)

    if node.missing == "zero":
        w = np.broadcast_to(weights, values.shape)
        log.add("aggregate", node.code, "missing_as_zero", relevant_gap, detail="missing children counted as zero")
    else:
        w = np.where(present, weights, 0.0)
        log.add(
            "aggregate",
            node.code,
            "weights_respread",
            relevant_gap,
            detail="weights re-spread over the children present",
        )
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = w / total
    if node.method == "mean":
        value = np.sum(w * filled, axis=0)
        multipliers = w
    elif node.method == "geometric":
        value, multipliers = _geometric(node.code, filled, w, log)
    else:
        value, multipliers = _harmonic(filled, w)
    value = np.where(none_present | ~(total > 0), np.nan, value)
    return Aggregation(value, list(np.nan_to_num(multipliers, nan=0.0)))


def _sum(
    node: Aggregate | View,
    filled: Array,
    present: np.ndarray,
    weights: Array,
    scales: list[Scale],
    none_present: np.ndarray,
    relevant_gap: np.ndarray,
    log: StepLog,
) -> Aggregation:
    full = np.array([s[1] if s else np.nan for s in scales])[:, None, None]
    multipliers = np.broadcast_to(weights, filled.shape).astype(np.float64)
    if node.missing == "respread" and not np.isnan(full).any():
        # Points of the children present, scaled up to the full maximum of all children.
        offered = np.sum(weights * full)
        available = np.sum(np.where(present, weights * full, 0.0), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            multipliers = multipliers * (offered / available)
        log.add(
            "aggregate",
            node.code,
            "points_respread",
            relevant_gap,
            detail="points of missing children re-spread over those present",
        )
    else:
        log.add("aggregate", node.code, "missing_as_zero", relevant_gap, detail="missing children earn no points")
    if node.output == "share":
        maximum = node.max_points if node.max_points else float(np.nansum(weights * full))
        multipliers = multipliers / maximum
    value = np.sum(multipliers * filled, axis=0)
    value = np.where(none_present, np.nan, value)
    return Aggregation(value, list(np.nan_to_num(multipliers, nan=0.0)))


def _geometric(code: str, filled: Array, w: Array, log: StepLog) -> tuple[Array, Array]:
    negative = (filled < 0) & (w > 0)
    log.add(
        "aggregate", code, "negative_in_geometric", negative.any(axis=0), detail="a geometric mean needs values ≥ 0"
    )
    with np.errstate(all="ignore"):
        logs = np.where(w > 0, np.log(filled), 0.0)
        value = np.exp(np.sum(w * logs, axis=0))
    value = np.where(negative.any(axis=0), np.nan, value)
    return value, _proportional(value, filled, w)


def _harmonic(filled: Array, w: Array) -> tuple[Array, Array]:
    with np.errstate(all="ignore"):
        inverse = np.sum(np.where(w > 0, w / filled, 0.0), axis=0)
        value = np.where(np.isinf(inverse), 0.0, 1.0 / inverse)
    return value, _proportional(value, filled, w)


def _proportional(value: Array, filled: Array, w: Array) -> Array:
    """Multipliers that split a non-linear mean in proportion to each child's weighted value."""
    weighted = np.sum(w * filled, axis=0)
    with np.errstate(all="ignore"):
        return np.where(weighted > 0, w * value / weighted, 0.0)
