"""One scoring run: framework + panel → every node's value, points, ranks, contributions, step log.

Steps, in the order a composite index builds them: raw → denominated → imputed → screened →
treated → normalised (indicator scores) → aggregated. Each stage is kept for inspection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from chiso.engine.aggregate import Scale, aggregate
from chiso.engine.impute import impute
from chiso.engine.node_rules import (
    add_bonus_penalty,
    apply_floor,
    apply_gates,
    core_of,
    leave_out,
    normalise_node,
    outside,
)
from chiso.engine.panel import Array, Panel
from chiso.engine.result import Result, TreatmentRow
from chiso.engine.rules import apply_rule, full_scale
from chiso.engine.steplog import StepLog
from chiso.engine.treat import Treatment, checks, treat
from chiso.framework.spec import Aggregate, Framework, Indicator, RatioRule, View

T = TypeVar("T")
STAGES = ("raw", "denominated", "imputed", "screened", "treated", "normalised", "aggregated")


def run(framework: Framework, panel: Panel) -> Result:
    log = StepLog()
    scored = score_indicators(framework, panel, log)
    values = dict(scored.values)
    scales = dict(scored.scales)
    multipliers, given_cells = aggregate_nodes(
        framework, panel, values, scales, dict(scored.not_applicable), scored.active, log
    )
    stages = dict(scored.stages)
    stages["aggregated"] = dict(values)
    return Result.build(
        framework=framework,
        panel=panel,
        values=values,
        scales=scales,
        active=scored.active,
        stages=stages,
        multipliers=multipliers,
        given_cells=given_cells,
        treatment=scored.treatment,
        log=log,
    )


@dataclass(frozen=True)
class Scored:
    """Every indicator's score (and every given node's value): the run up to the normalised stage."""

    values: dict[str, Array]
    scales: dict[str, Scale]
    active: np.ndarray
    not_applicable: dict[str, np.ndarray]
    stages: dict[str, dict[str, Array]]
    treatment: list[TreatmentRow]


@dataclass(frozen=True)
class Prepared:
    """The run up to the treated stage: what the normalisation (the indicators' rules) starts from."""

    treated: dict[str, Array]
    active: np.ndarray
    not_applicable: dict[str, np.ndarray]
    stages: dict[str, dict[str, Array]]
    treatment: list[TreatmentRow]


def prepare(framework: Framework, panel: Panel, log: StepLog) -> Prepared:
    """Raw → denominated → imputed → screened → treated."""
    pipeline = framework.pipeline
    indicators = [i for i in framework.indicators if i.code not in panel.given]
    stages: dict[str, dict[str, Array]] = {}

    not_applicable: dict[str, np.ndarray] = {}
    x = {i.code: _raw_value(i, panel, log, not_applicable) for i in indicators}
    for ind in indicators:
        mask = outside(ind, panel)
        if mask is not None and ind.applies_to is not None:
            x[ind.code] = leave_out(ind.code, x[ind.code], mask, not_applicable, log, ind.applies_to.group)
    stages["raw"] = x
    if pipeline.denominate:
        x = {i.code: _denominate(i, x[i.code], panel, log) for i in indicators}
    stages["denominated"] = x

    group = pipeline.impute.group
    if group is not None and group not in panel.groups:
        raise ValueError(f"the pipeline imputes within group {group!r}, but the values have no such column")
    positions = _period_positions(panel.periods)
    x = impute(x, pipeline.impute, panel.groups.get(group) if group else None, positions, log, not_applicable)
    stages["imputed"] = x

    active = _screen(framework, stages, x, panel, log)
    if not active.all():
        x = {code: np.where(active, v, np.nan) for code, v in x.items()}
    stages["screened"] = x

    treatment: list[TreatmentRow] = []
    if pipeline.treat is not None:
        x = _treat(framework, indicators, x, panel, treatment, log)
    stages["treated"] = x
    return Prepared(x, active, not_applicable, stages, treatment)


def score_indicators(framework: Framework, panel: Panel, log: StepLog, prepared: Prepared | None = None) -> Scored:
    """Every indicator's score: the prepared (treated) values through each indicator's rule.

    `prepared` may come from another framework with the same nodes and pipeline but its `normalise`
    (scenarios that differ only in the normalisation share it).
    """
    pipeline = framework.pipeline
    indicators = [i for i in framework.indicators if i.code not in panel.given]
    prepared = prepared or prepare(framework, panel, log)
    x, active = prepared.treated, prepared.active
    not_applicable = dict(prepared.not_applicable)
    stages = dict(prepared.stages)

    values: dict[str, Array] = {}
    scales: dict[str, Scale] = {}
    for ind in indicators:
        rule = ind.scoring or pipeline.normalise
        assert rule is not None  # guaranteed by framework validation
        values[ind.code] = apply_rule(
            rule, x[ind.code], max_points=ind.max_points, direction=ind.direction, code=ind.code, log=log
        )
        scales[ind.code] = full_scale(rule, ind.max_points)
        # Cells outside the units the indicator applies to are logged with that reason already.
        mask = outside(ind, panel)
        gaps = x[ind.code] if mask is None else np.where(mask, 0.0, x[ind.code])
        _log_gaps(ind.code, gaps, active, not_applicable.get(ind.code), log)
    for ind in framework.indicators:
        if ind.code in panel.given:
            values[ind.code] = _given(ind.code, panel, active, log)
            rule = ind.scoring or pipeline.normalise
            scales[ind.code] = full_scale(rule, ind.max_points) if rule else None
    stages["normalised"] = dict(values)
    return Scored(values, scales, active, not_applicable, stages, prepared.treatment)


def aggregate_nodes(
    framework: Framework,
    panel: Panel,
    values: dict[str, Array],
    scales: dict[str, Scale],
    not_applicable: dict[str, np.ndarray],
    active: np.ndarray,
    log: StepLog,
    *,
    scenarios: int | None = None,
    weights: Mapping[str, Array] | None = None,
    methods: Mapping[str, NDArray[np.object_]] | None = None,
) -> tuple[dict[str, Callable[[], Array]], dict[str, np.ndarray]]:
    """Aggregate children before parents, adding every node to `values` and `scales`.

    On a scenario axis (`scenarios` = S), values are (S, periods, units) and a node may have its
    children's weights per scenario (`weights[code]`: (children, S)) and its method per scenario
    (`methods[code]`: (S,)); the scales stay those of the declared weights.
    """
    shape = panel.shape if scenarios is None else (scenarios, *panel.shape)
    multipliers: dict[str, Callable[[], Array]] = {}
    given_cells: dict[str, np.ndarray] = {}
    for node in _aggregation_order(framework):
        # A points sum adds the children's points, not their values on their own scales.
        factors = [
            _points_factor(framework, c.code, scales.get(c.code)) if node.method == "sum" else 1.0
            for c in node.children
        ]
        child_scales = [
            (0.0, s[1] * f) if (s := scales.get(c.code)) is not None else None
            for c, f in zip(node.children, factors, strict=True)
        ]
        core, keep = core_of(node)  # bonus and penalty children are added after the method
        scales[node.code] = _aggregate_scale(core, _pick(child_scales, keep))
        for child in node.children:
            if child.provisional:
                detail = f"the weight of {child.code} ({child.weight:g}) is provisional: results may change"
                log.note("aggregate", node.code, "provisional_weight", detail, panel.shape)
        computed = np.full(shape, np.nan)
        # Cells whose value is not made of the children's (floored, normalised, gated): for contributions
        # the node is its own leaf there.
        leaf = np.zeros(shape, dtype=bool)
        if node.children:
            inputs = [values[c.code] * f for c, f in zip(node.children, factors, strict=True)]
            child_na = [not_applicable.get(c.code) for c in node.children]
            node_weights = None if weights is None else weights.get(node.code)
            core_weights = None if node_weights is None else node_weights[keep]
            node_methods = None if methods is None else methods.get(node.code)
            core_multipliers = None
            args = (_pick(inputs, keep), _pick(child_scales, keep), log, _pick(child_na, keep), core_weights)
            if node_methods is None:
                result = aggregate(core, *args)
                computed, core_multipliers = result.value, result.multipliers
            else:
                computed = _by_method(core, node_methods, *args)
            computed, node_multipliers = add_bonus_penalty(
                node, keep, computed, core_multipliers, inputs, node_weights, log
            )
            if node_multipliers is not None:
                multipliers[node.code] = _scaled(node_multipliers, np.array(factors))
            core_na = _pick(child_na, keep)
            if all(m is not None for m in core_na):
                not_applicable[node.code] = np.logical_and.reduce([m for m in core_na if m is not None])
        if node.floor is not None:
            computed, floored = apply_floor(node, computed, log)
            leaf |= floored
        if node.normalise is not None:
            computed = normalise_node(node, computed, log)
            scales[node.code] = full_scale(node.normalise, node.max_points)
            leaf |= ~np.isnan(computed)
        if node.gates:
            computed, gated = apply_gates(node, computed, values, log)
            leaf |= gated
        mask = outside(node, panel)
        if mask is not None and node.applies_to is not None:
            computed = leave_out(node.code, computed, mask, not_applicable, log, node.applies_to.group)
            leaf &= ~mask
        if leaf.any():
            given_cells[node.code] = leaf
        if node.code in panel.given:
            supplied = _given(node.code, panel, active, log)
            given_cells[node.code] = ~np.isnan(supplied) | given_cells.get(node.code, False)
            log.add(
                "given",
                node.code,
                "computed_where_not_given",
                np.isnan(supplied) & ~np.isnan(computed),
                after=computed,
                detail="no value given for this cell; computed from the children",
            )
            computed = np.where(np.isnan(supplied), computed, supplied)
        elif node.given_only:
            log.add(
                "given",
                node.code,
                "missing",
                active,
                detail="components not published and no value given for this node",
            )
        values[node.code] = np.where(active, computed, np.nan)
    return multipliers, given_cells


def _by_method(
    node: Aggregate | View,
    methods: NDArray[np.object_],
    inputs: list[Array],
    scales: list[Scale],
    log: StepLog,
    not_applicable: list[np.ndarray | None],
    weights: Array | None,
) -> Array:
    """A node whose method differs between scenarios: each method over the scenarios that use it."""
    stacked = np.stack(inputs, axis=0)
    out = np.full(stacked.shape[1:], np.nan)
    for method in dict.fromkeys(methods.tolist()):
        chosen = methods == method
        variant = node.model_copy(update={"method": method})
        masks = [None if m is None else m[chosen] if m.ndim == stacked.ndim - 1 else m for m in not_applicable]
        w = None if weights is None else weights[:, chosen] if weights.ndim == 2 else weights
        out[chosen] = aggregate(variant, list(stacked[:, chosen]), scales, log, masks, w).value
    return out


def _log_gaps(code: str, x: Array, active: np.ndarray, not_applicable: np.ndarray | None, log: StepLog) -> None:
    gap = np.isnan(x)
    if not gap.any():  # the common case costs one test
        return
    gap &= active
    if not_applicable is not None:
        log.add(
            "score",
            code,
            "not_applicable",
            gap & not_applicable,
            detail="not applicable to the unit: left out of its parents",
        )
        gap &= ~not_applicable
    log.add(
        "score",
        code,
        "missing",
        gap,
        detail="no value for the indicator (after imputation, if any); its parents treat it as declared",
    )


def _raw_value(ind: Indicator, panel: Panel, log: StepLog, not_applicable: dict[str, np.ndarray]) -> Array:
    missing = [v for v in ind.rule_variables if v not in panel.variables]
    if missing:
        log.note("raw", ind.code, "missing_variable", f"no values supplied for {', '.join(missing)}", panel.shape)
        return np.full(panel.shape, np.nan)
    rule = ind.scoring
    if isinstance(rule, RatioRule):
        a, b = panel.variables[rule.numerator], panel.variables[rule.denominator]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = a / b
        zero = b == 0
        if not zero.any():
            return share
        zero &= ~np.isnan(a)
        fill = {"missing": np.nan, "zero": 0.0, "full": 1.0, "not_applicable": np.nan}[rule.on_zero_denominator]
        detail = f"{rule.denominator} is 0: scored {rule.on_zero_denominator}"
        log.add("raw", ind.code, "zero_denominator", zero, detail=detail)
        if rule.on_zero_denominator == "not_applicable":
            not_applicable[ind.code] = zero
            fill = np.nan
        return np.where(zero, fill, share)
    return panel.variables[ind.rule_variables[0]]


def _denominate(ind: Indicator, x: Array, panel: Panel, log: StepLog) -> Array:
    if ind.denominator is None:
        return x
    if ind.denominator not in panel.variables:
        log.note(
            "denominate", ind.code, "missing_variable", f"no values for denominator {ind.denominator}", panel.shape
        )
        return np.full(panel.shape, np.nan)
    denominator = panel.variables[ind.denominator]
    bad = ~np.isnan(x) & ~(np.abs(denominator) > 0)
    log.add("denominate", ind.code, "missing", bad, before=x, detail=f"{ind.denominator} is 0 or missing")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bad, np.nan, x / denominator)


def _screen(
    framework: Framework, stages: dict[str, dict[str, Array]], imputed: dict[str, Array], panel: Panel, log: StepLog
) -> np.ndarray:
    in_data = np.ones(panel.shape, dtype=bool)
    # A unit absent from a period (every input missing, nothing given) takes no part in it.
    inputs = [v for v in panel.variables.values()] + [v for v in panel.given.values()]
    if inputs:
        in_data = np.zeros(panel.shape, dtype=bool)
        for v in inputs:
            in_data |= ~np.isnan(v)
    threshold = framework.pipeline.screen.min_coverage
    if threshold <= 0 or not imputed:
        return in_data
    source = imputed if framework.pipeline.screen.stage == "imputed" else stages["raw"]
    coverage = np.mean([~np.isnan(v) for v in source.values()], axis=0)
    passed = coverage >= threshold
    log.add(
        "screen", "", "screened_out", in_data & ~passed, after=coverage, detail=f"data coverage below {threshold:.0%}"
    )
    screened: np.ndarray = in_data & passed
    return screened


def _treat(
    framework: Framework,
    indicators: list[Indicator],
    x: dict[str, Array],
    panel: Panel,
    rows: list[TreatmentRow],
    log: StepLog,
) -> dict[str, Array]:
    params = framework.pipeline.treat
    assert params is not None
    out = dict(x)
    treated_codes = [i.code for i in indicators if i.treat]
    if not treated_codes:
        return out
    # Test every indicator and period at once; only the failing ones go through winsorisation.
    tests = checks(np.concatenate([x[c] for c in treated_codes]), params)
    periods = len(panel.periods)
    for k, code in enumerate(treated_codes):
        treated = x[code].copy()
        for p, period in enumerate(panel.periods):
            first = tests[k * periods + p]
            outcome = Treatment(x[code][p], first, None, None, False, None)
            if first is not None and not first.passed:
                outcome = treat(x[code][p], params, first)
            treated[p] = outcome.values
            rows.append(TreatmentRow.of(code, period, outcome))
        changed = ~np.isnan(x[code]) & (treated != x[code])
        logged = any(r.logged for r in rows if r.indicator == code)
        log.add("treat", code, "log_transformed" if logged else "winsorised", changed, before=x[code], after=treated)
        out[code] = treated
    return out


def _given(code: str, panel: Panel, active: np.ndarray, log: StepLog) -> Array:
    supplied: Array = np.where(active, panel.given[code], np.nan)
    log.add(
        "given",
        code,
        "taken_as_given",
        ~np.isnan(supplied),
        after=supplied,
        detail="value supplied for the node; not computed from its children",
    )
    return supplied


def _pick(items: list[T], positions: list[int]) -> list[T]:
    return [items[i] for i in positions]


def _aggregation_order(framework: Framework) -> list[Aggregate | View]:
    # A gate reads other nodes: they come first, like children.
    graph = {
        n.code: [c.code for c in n.children] + [c.node for g in n.gates for c in g.when] for n in framework.aggregates
    }
    by_code = {n.code: n for n in framework.aggregates}
    return [by_code[c] for c in TopologicalSorter(graph).static_order() if c in by_code]


def _scaled(multipliers: Callable[[], Array], factors: Array) -> Callable[[], Array]:
    return lambda: multipliers() * factors[:, None, None]


def _points_factor(framework: Framework, code: str, scale: Scale) -> float:
    """Factor from a child's value to its points, when its scale starts at 0 and it has max_points."""
    max_points = framework.node(code).max_points
    if max_points is None or scale is None or scale[0] != 0 or scale[1] == 0:
        return 1.0
    return max_points / scale[1]


def _aggregate_scale(node: Aggregate | View, child_scales: list[Scale]) -> Scale:
    if node.scale is not None:
        return (0.0, node.scale)
    if node.method == "sum":
        if node.output == "share":
            return (0.0, 1.0)
        if node.children and all(s is not None for s in child_scales):
            return (0.0, float(sum(c.weight * s[1] for c, s in zip(node.children, child_scales, strict=True) if s)))
        return (0.0, node.max_points) if node.max_points is not None else None
    distinct = {s for s in child_scales}
    return distinct.pop() if len(distinct) == 1 else None


def _period_positions(periods: tuple[str, ...]) -> Array:
    """Numeric period positions for interpolation: the years themselves when periods are years."""
    try:
        return np.array([float(p) for p in periods])
    except ValueError:
        return np.arange(len(periods), dtype=np.float64)
