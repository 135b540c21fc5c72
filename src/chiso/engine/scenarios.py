"""Scenarios as an axis: many variants of one framework scored on the same panel in one run.

A scenario changes what a composite-index builder may doubt: the pipeline (treatment, normalisation,
imputation…), the weights, the aggregation method, whether an indicator is in. What is computed per
indicator is computed once per distinct pipeline *variant* (a handful), never per scenario; the
aggregation then runs once over all the scenarios of a variant, along a leading scenario axis, with
each scenario's weights and methods as arrays. No Python loop runs per scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from chiso.engine.panel import Array, Panel
from chiso.engine.ranks import competition_ranks
from chiso.engine.run import Prepared, aggregate_nodes, prepare, score_indicators
from chiso.engine.steplog import NullLog
from chiso.framework.spec import Framework


@dataclass(frozen=True)
class Scenarios:
    """S variants of a framework, as arrays along the scenario axis.

    `variants` are frameworks that differ in what is computed per indicator (pipeline, rules); each
    scenario names its variant. `weights[code]` (children, S) replace an aggregate's declared weights,
    `methods[code]` (S,) its method; `excluded[code]` (S,) leaves an indicator out of its parents, the
    others carrying its weight.
    """

    variants: tuple[Framework, ...]
    variant: NDArray[np.intp]
    weights: Mapping[str, Array] = field(default_factory=dict)
    methods: Mapping[str, NDArray[np.object_]] = field(default_factory=dict)
    excluded: Mapping[str, NDArray[np.bool_]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.variant)

    def __post_init__(self) -> None:
        s = self.size
        if self.variant.shape != (s,) or (s and (self.variant.min() < 0 or self.variant.max() >= len(self.variants))):
            raise ValueError("`variant` needs one index into `variants` per scenario")
        for code, w in self.weights.items():
            if w.ndim != 2 or w.shape[1] != s:
                raise ValueError(f"weights of {code!r} must be (children, {s}), not {w.shape}")
        for name, arrays in (("methods", self.methods), ("excluded", self.excluded)):
            for code, a in arrays.items():
                if a.shape != (s,):
                    raise ValueError(f"{name} of {code!r} must have one entry per scenario ({s}), not {a.shape}")


def with_nominal(framework: Framework, scenarios: Scenarios) -> Scenarios:
    """The scenarios with the framework as declared in front (scenario 0), sharing their variants' work."""
    variants = scenarios.variants if framework in scenarios.variants else (*scenarios.variants, framework)
    declared = {n.code: n for n in framework.aggregates}
    return Scenarios(
        variants,
        np.concatenate([[variants.index(framework)], scenarios.variant]).astype(np.intp),
        {
            code: np.concatenate([[[c.weight] for c in declared[code].children], w], axis=1)
            for code, w in scenarios.weights.items()
        },
        {code: np.concatenate([[declared[code].method], m]).astype(object) for code, m in scenarios.methods.items()},
        {code: np.concatenate([[False], x]) for code, x in scenarios.excluded.items()},
    )


@dataclass(frozen=True)
class ScenarioScores:
    """One node's value and competition rank in every scenario: arrays (scenarios, periods, units)."""

    node: str
    values: Array
    ranks: Array


def evaluate(framework: Framework, panel: Panel, scenarios: Scenarios, node: str | None = None) -> ScenarioScores:
    """Score `node` (the index by default) in every scenario."""
    code = node or framework.index
    framework.node(code)  # a clear KeyError for an unknown node
    shape = (scenarios.size, *panel.shape)
    values = np.full(shape, np.nan)
    ranked = np.zeros(shape, dtype=bool)
    prepared: dict[object, Prepared] = {}
    for v, variant in enumerate(scenarios.variants):
        chosen = np.flatnonzero(scenarios.variant == v)
        if not chosen.size:
            continue
        # Variants that differ only in their normalisation share everything up to the treated stage.
        key = (variant.pipeline.model_copy(update={"normalise": None}), variant.nodes)
        if key not in prepared:
            prepared[key] = prepare(variant, panel, NullLog())
        values[chosen], ranked[chosen] = _evaluate_variant(variant, panel, scenarios, chosen, code, prepared[key])
    flat = (shape[0] * shape[1], shape[2])
    ranks = competition_ranks(values.reshape(flat), ranked.reshape(flat), None, framework.rank_decimals)
    return ScenarioScores(code, values, ranks.reshape(shape))


def _evaluate_variant(
    framework: Framework,
    panel: Panel,
    scenarios: Scenarios,
    chosen: NDArray[np.intp],
    code: str,
    prepared: Prepared,
) -> tuple[Array, NDArray[np.bool_]]:
    log = NullLog()
    scored = score_indicators(framework, panel, log, prepared)
    n = len(chosen)
    values = {c: np.broadcast_to(x, (n, *x.shape)) for c, x in scored.values.items()}
    not_applicable = {c: np.broadcast_to(m, (n, *m.shape)) for c, m in scored.not_applicable.items()}
    for c, out in scenarios.excluded.items():
        left_out = np.broadcast_to(out[chosen][:, None, None], (n, *panel.shape))
        before = not_applicable.get(c)
        not_applicable[c] = left_out if before is None else left_out | before
        values[c] = np.where(left_out, np.nan, values[c])  # as a not-applicable value is: absent
    aggregate_nodes(
        framework,
        panel,
        values,
        dict(scored.scales),
        not_applicable,
        scored.active,
        log,
        scenarios=n,
        weights={c: w[:, chosen] for c, w in scenarios.weights.items()},
        methods={c: m[chosen] for c, m in scenarios.methods.items()},
    )
    ranked = scored.active if panel.ranked is None else scored.active & panel.ranked[None, :]
    return values[code], np.broadcast_to(ranked, (n, *panel.shape))
