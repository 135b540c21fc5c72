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

from chiso.engine.aggregate import ordered_sum
from chiso.engine.panel import Array, Panel
from chiso.engine.rules import apply_rule
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


def core_of(node: Aggregate | View) -> tuple[Aggregate | View, list[int]]:
    """The node with its `score` children only, and their positions; bonus and penalty come after."""
    keep = [i for i, c in enumerate(node.children) if c.role == "score"]
    if len(keep) == len(node.children):
        return node, keep
    return node.model_copy(update={"children": tuple(node.children[i] for i in keep)}), keep


def add_bonus_penalty(
    node: Aggregate | View,
    keep: list[int],
    value: Array,
    core_multipliers: Callable[[], Array] | None,
    inputs: list[Array],
    weights: Array | None,
    log: StepLog,
) -> tuple[Array, Callable[[], Array] | None]:
    """value + Σ w·bonus − Σ w·penalty (a missing bonus or penalty counts 0), with the multipliers of
    every child in the node's order (± the weight for bonus and penalty children)."""
    extra = [i for i in range(len(node.children)) if i not in keep]
    if not extra:
        return value, core_multipliers
    declared = np.array([c.weight for c in node.children], dtype=np.float64)
    given = declared if weights is None else np.asarray(weights, dtype=np.float64)
    lead = value.ndim - 2  # the scenario axis, if any
    signs = np.array([1.0 if node.children[i].role == "bonus" else -1.0 for i in extra])
    signed = given[extra] * signs.reshape((-1,) + (1,) * (given.ndim - 1))
    signed = signed.reshape(signed.shape + (1,) * (value.ndim - lead))
    added = ordered_sum(signed * np.nan_to_num(np.stack([inputs[i] for i in extra])))
    log.add("aggregate", node.code, "bonus_penalty", (added != 0) & ~np.isnan(value), before=value, after=value + added)
    total: Array = value + added
    if core_multipliers is None:
        return total, None
    core = core_multipliers

    def multipliers() -> Array:
        rows = np.broadcast_arrays(*core(), *signed)
        ordered = [np.zeros_like(rows[0])] * len(node.children)
        for position, row in zip([*keep, *extra], rows, strict=True):
            ordered[position] = row
        return np.stack(ordered)

    return total, multipliers


def apply_floor(node: Aggregate | View, value: Array, log: StepLog) -> tuple[Array, np.ndarray]:
    """The value raised to the node's `floor` where below it (after penalties), logged."""
    assert node.floor is not None
    with np.errstate(invalid="ignore"):
        below: np.ndarray = value < node.floor
    log.add("aggregate", node.code, "floored", below, before=value, detail=f"raised to the floor {node.floor:g}")
    return np.where(below, node.floor, value), below


def normalise_node(node: Aggregate | View, value: Array, log: StepLog) -> Array:
    """The aggregated value through the node's `normalise` rule, across the units of each period."""
    assert node.normalise is not None
    rows = value.reshape(-1, value.shape[-1])  # (scenarios ×) periods, units: rules compare along units
    scored = apply_rule(node.normalise, rows, max_points=node.max_points, direction=1, code=node.code, log=log)
    return scored.reshape(value.shape)
