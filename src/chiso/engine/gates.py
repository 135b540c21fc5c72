"""Node rules beyond aggregation: where a node applies (`applies_to`) and gates that set its value.

A node that applies only to some units (the smart-city pillar for cities) is *not applicable* to the
others: its cells are empty and its parents leave it out, the other children carrying the weight,
exactly as for an indicator whose denominator is zero. A gate sets a node's value to a constant in
the cells where conditions on other nodes hold ("no steering committee: the pillar scores 0"); gated
cells are logged and, for contributions, the node stands as its own leaf there.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping

import numpy as np

from chiso.engine.panel import Array, Panel
from chiso.engine.steplog import StepLog
from chiso.framework.spec import Aggregate, Condition, Indicator, View

OPERATORS: dict[str, Callable[[Array, float], np.ndarray]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def outside(node: Indicator | Aggregate | View, panel: Panel) -> np.ndarray | None:
    """Cells (periods, units) of units the node does not apply to; None when it applies to all."""
    rule = node.applies_to
    if rule is None:
        return None
    if rule.group not in panel.groups:
        raise ValueError(
            f"node {node.code!r} applies to units by group column {rule.group!r}, but the values have no such column"
        )
    labels = panel.groups[rule.group].astype(str)
    members: np.ndarray = np.isin(labels, list(rule.values))
    return ~members


def leave_out(
    code: str, value: Array, mask: np.ndarray, not_applicable: dict[str, np.ndarray], log: StepLog, group: str
) -> Array:
    """Empty the cells outside the node's units and mark them not applicable (for its parents)."""
    before = not_applicable.get(code)
    full = np.broadcast_to(mask, value.shape)
    not_applicable[code] = full if before is None else full | before
    log.add(
        "applies_to",
        code,
        "not_applicable",
        mask & ~np.isnan(value),
        detail=f"the node applies only to some values of {group!r}",
    )
    emptied: Array = np.where(full, np.nan, value)
    return emptied


def apply_gates(
    node: Aggregate | View, value: Array, values: Mapping[str, Array], log: StepLog
) -> tuple[Array, np.ndarray]:
    """The node's value after its gates (the first that holds wins), and the cells they set."""
    gated = np.zeros(value.shape, dtype=bool)
    out = value
    for gate in node.gates:
        holds = np.ones(value.shape, dtype=bool)
        for condition in gate.when:
            holds &= _holds(condition, values[condition.node])
        holds &= ~gated
        if holds.any():
            detail = gate.detail or " and ".join(f"{c.node} {c.op} {c.value:g}" for c in gate.when)
            log.add("gate", node.code, "gated", holds, before=out, after=np.full(value.shape, gate.then), detail=detail)
            out = np.where(holds, gate.then, out)
            gated |= holds
    return out, gated


def _holds(condition: Condition, value: Array) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        result: np.ndarray = OPERATORS[condition.op](value, condition.value) & ~np.isnan(value)
    return result
