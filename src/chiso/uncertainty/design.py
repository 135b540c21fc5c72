"""From a sensitivity specification to scenarios: draws, Saltelli's design, and replays of a table.

Every input is first a number per scenario in [0, 1) (a draw), then a *choice*: the index of an
alternative (discrete), a value (continuous), or a weight set. Choices become the arrays of
`Scenarios`: one framework per distinct combination of pipeline choices, weights and methods per
scenario, exclusions. A table of choices (e.g. a COINr run's parameters and weight sets) can be
replayed instead of drawn, which is how Chiso is checked against COINr replication by replication.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from chiso.engine.panel import Array
from chiso.engine.scenarios import Scenarios
from chiso.framework.io import parse_framework
from chiso.framework.sensitivity import METHODS, Input, SensitivityError, SensitivitySpec
from chiso.framework.spec import Framework, Indicator
from chiso.framework.validate import FrameworkError, Problem

SA_WEIGHT_SETS = 100  # COINr's vignette draws 100 noisy weight sets for an SA


@dataclass(frozen=True)
class Design:
    scenarios: Scenarios
    table: pd.DataFrame  # one row per scenario: scenario, block, then each input's choice as text
    n: int  # UA: the draws; SA: the base sample N


def levels(framework: Framework) -> dict[str, int]:
    """COINr's levels: indicators are 1, an aggregate is one above its highest child."""
    out: dict[str, int] = {i.code: 1 for i in framework.indicators}
    pending = list(framework.aggregates)
    while pending:
        ready = [n for n in pending if all(c.code in out for c in n.children)]
        if not ready:  # a cycle: validation forbids it
            raise ValueError("the framework's nodes form a cycle")
        for node in ready:
            out[node.code] = 1 + max((out[c.code] for c in node.children), default=0)
        pending = [n for n in pending if n.code not in out]
    return out


def check(framework: Framework, spec: SensitivitySpec) -> list[Problem]:
    """Problems of a specification against the framework it is applied to."""
    problems: list[Problem] = []
    codes = {n.code for n in framework.nodes}
    if spec.target and spec.target not in codes:
        problems.append(Problem("target", f"no node {spec.target!r} in the framework"))
    node_levels = set(levels(framework).values())
    for k, item in enumerate(spec.inputs):
        path = f"inputs[{k}] {item.name!r}"
        address = item.address
        if address == "weights":
            problems += [
                Problem(path, f"no nodes at level {n.level} (levels: {sorted(node_levels)})")
                for n in item.noise
                if n.level not in node_levels
            ]
        elif address.startswith("pipeline."):
            if item.type != "discrete":
                problems.append(Problem(path, "pipeline inputs are discrete: each alternative is scored once"))
                continue
            for alt, value in enumerate(item.distribution):
                try:
                    _variant(framework, {address: value})
                except (FrameworkError, ValueError) as exc:
                    problems.append(Problem(f"{path} → distribution[{alt}]", str(exc).replace("\n", " ")))
        elif address in {"aggregates.method"} or (address.startswith("nodes.") and address.endswith(".method")):
            problems += _node_problems(framework, path, address)
            bad = [m for m in item.distribution if m not in METHODS]
            if bad or item.type != "discrete":
                problems.append(Problem(path, f"methods are discrete, among {sorted(METHODS)} (got {bad})"))
        elif address.startswith("nodes.") and address.endswith(".weight"):
            problems += _node_problems(framework, path, address)
            if any(not isinstance(w, int | float) or w < 0 for w in item.distribution):
                problems.append(Problem(path, "weights are numbers ≥ 0"))
        elif address == "exclude":
            indicators = {i.code for i in framework.indicators}
            unknown = [c for c in item.distribution if c is not None and c not in indicators]
            problems += [Problem(path, f"{c!r} is not an indicator") for c in unknown]
        else:
            problems.append(Problem(path, f"unknown address {address!r}"))
    return problems


def draw(framework: Framework, spec: SensitivitySpec) -> Design:
    """Random scenarios (UA) or Saltelli's design (SA), reproducible from `spec.seed`."""
    _raise(check(framework, spec))
    rng = np.random.default_rng(spec.seed)
    d = len(spec.inputs)
    if spec.type == "UA":
        unit = rng.random((spec.n, d))
        blocks = np.full(spec.n, "draw", dtype=object)
    else:
        a, b = rng.random((spec.n, d)), rng.random((spec.n, d))
        mixed = []
        for i in range(d):
            ab = a.copy()
            ab[:, i] = b[:, i]
            mixed.append(ab)
        unit = np.vstack([a, b, *mixed])
        blocks = np.repeat(np.array(["A", "B", *(i.name for i in spec.inputs)], dtype=object), spec.n)
    size = len(unit)
    choices: dict[str, Array] = {}
    node_weights: dict[str, Array] = {}
    for k, item in enumerate(spec.inputs):
        u = unit[:, k]
        if item.address == "weights":
            sets = item.sets or (size if spec.type == "UA" else SA_WEIGHT_SETS)
            chosen = np.arange(size) if item.sets is None and spec.type == "UA" else _index(u, sets)
            noise = _noisy_factors(framework, item, sets, rng)
            for code, factors in noise.items():
                node_weights[code] = node_weights.get(code, 1.0) * factors[chosen]
            choices[item.name] = chosen.astype(np.float64)
        elif item.type == "continuous":
            low, high = item.distribution
            choices[item.name] = low + u * (high - low)
        else:
            choices[item.name] = _index(u, len(item.distribution)).astype(np.float64)
    return _design(framework, spec, choices, node_weights, {}, blocks)


def replay(
    framework: Framework, spec: SensitivitySpec, table: pd.DataFrame, weight_sets: pd.DataFrame | None = None
) -> Design:
    """Scenarios from a table of choices: one row per scenario, a column per input (label or value).

    `weight_sets` (scenario, node, weight — COINr's `rep, iCode, Weight`) gives each scenario's
    weights outright; it stands for the `weights` input. An optional `block` column keeps Saltelli's
    blocks (A, B, then one per input), in which case the table must be in that order.
    """
    _raise(check(framework, spec))
    choices: dict[str, Array] = {}
    problems: list[Problem] = []
    for item in spec.inputs:
        if item.address == "weights":
            if weight_sets is None:
                problems.append(Problem(item.name, "a `weights` input needs the weight sets"))
            choices[item.name] = np.arange(len(table), dtype=np.float64)
            continue
        if item.name not in table.columns:
            problems.append(Problem(item.name, "no column for this input in the table"))
            continue
        column = table[item.name]
        if item.type == "continuous":
            choices[item.name] = column.to_numpy(dtype=np.float64)
            continue
        names = {item.label(k): k for k in range(len(item.distribution))}
        found = pd.Series([names.get("none" if pd.isna(v) else str(v)) for v in column], dtype="Float64")
        for row in np.flatnonzero(found.isna().to_numpy()):
            problems.append(Problem(f"row {row + 1}, {item.name}", f"{column.iloc[row]!r} is none of {list(names)}"))
        choices[item.name] = np.asarray(found.fillna(0).to_numpy(dtype=np.float64), dtype=np.float64)
    absolute: dict[str, Array] = {}
    if weight_sets is not None:
        scenario, node = weight_sets.columns[0], weight_sets.columns[1]
        wide = weight_sets.pivot(index=scenario, columns=node, values="Weight")
        wide = wide.loc[list(dict.fromkeys(weight_sets[scenario]))]  # scenarios in the order the file lists them
        absolute = {str(c): wide[c].to_numpy(dtype=np.float64) for c in wide.columns}
        if len(wide) != len(table):
            problems.append(Problem("weight sets", f"{len(wide)} sets for {len(table)} scenarios"))
    _raise(problems)
    blocks = table["block"].to_numpy(dtype=object) if "block" in table else np.full(len(table), "replay", dtype=object)
    return _design(framework, spec, choices, {}, absolute, blocks)


def _design(
    framework: Framework,
    spec: SensitivitySpec,
    choices: Mapping[str, Array],
    factors: Mapping[str, Array],
    absolute: Mapping[str, Array],
    blocks: NDArray[np.object_],
) -> Design:
    size = len(blocks)
    pipeline = [i for i in spec.inputs if i.address.startswith("pipeline.")]
    keys = np.stack([choices[i.name] for i in pipeline], axis=1) if pipeline else np.zeros((size, 0))
    distinct, variant = np.unique(keys, axis=0, return_inverse=True)
    variants = tuple(
        _variant(framework, {i.address: i.distribution[int(k)] for i, k in zip(pipeline, row, strict=True)})
        for row in distinct
    )
    weights = _link_weights(framework, spec, choices, factors, absolute, size)
    methods: dict[str, NDArray[np.object_]] = {}
    excluded: dict[str, NDArray[np.bool_]] = {}
    for item in spec.inputs:
        chosen = choices[item.name]
        if item.address == "aggregates.method" or (
            item.address.startswith("nodes.") and item.address.endswith(".method")
        ):
            targets = (
                [n.code for n in framework.aggregates if n.children]
                if item.address == "aggregates.method"
                else [item.address.split(".")[1]]
            )
            values = np.array(item.distribution, dtype=object)[chosen.astype(np.intp)]
            methods.update({code: values for code in targets})
        elif item.address == "exclude":
            for k, code in enumerate(item.distribution):
                if code is not None:
                    excluded[code] = excluded.get(code, np.zeros(size, dtype=bool)) | (chosen == k)
    scenarios = Scenarios(variants, variant.reshape(-1).astype(np.intp), weights, methods, excluded)
    table = pd.DataFrame({"scenario": np.arange(1, size + 1), "block": blocks})
    for item in spec.inputs:
        chosen = choices[item.name]
        if item.type == "continuous" or item.address == "weights":
            table[item.name] = chosen + (1 if item.address == "weights" else 0)  # weight sets count from 1
        else:
            table[item.name] = [item.label(int(k)) for k in chosen]
    n = size if spec.type == "UA" else size // (len(spec.inputs) + 2)
    return Design(scenarios, table, n)


def _link_weights(
    framework: Framework,
    spec: SensitivitySpec,
    choices: Mapping[str, Array],
    factors: Mapping[str, Array],
    absolute: Mapping[str, Array],
    size: int,
) -> dict[str, Array]:
    """(children, scenarios) weights of every aggregate whose weights move."""
    set_weights = dict(absolute)
    for item in spec.inputs:
        if item.address.startswith("nodes.") and item.address.endswith(".weight"):
            value = choices[item.name]
            if item.type == "discrete":
                value = np.array(item.distribution, dtype=np.float64)[value.astype(np.intp)]
            set_weights[item.address.split(".")[1]] = value
    moving = set(set_weights) | set(factors)
    out: dict[str, Array] = {}
    for node in framework.aggregates:
        if not any(c.code in moving for c in node.children):
            continue
        rows = []
        for child in node.children:
            w = set_weights.get(child.code, np.full(size, child.weight))
            rows.append(w * factors.get(child.code, 1.0))
        out[node.code] = np.stack(rows)
    return out


def _noisy_factors(framework: Framework, item: Input, sets: int, rng: np.random.Generator) -> dict[str, Array]:
    node_level = levels(framework)
    has_parent = {c.code for n in framework.aggregates for c in n.children}
    out: dict[str, Array] = {}
    for noise in item.noise:
        codes = [c for c, lv in node_level.items() if lv == noise.level and c in has_parent]
        draws = rng.uniform(-1.0, 1.0, (sets, len(codes)))
        out.update({c: 1.0 + noise.factor * draws[:, j] for j, c in enumerate(codes)})
    return out


def _variant(framework: Framework, changes: Mapping[str, Any]) -> Framework:
    """The framework with pipeline settings changed, validated as a new framework."""
    if not changes:
        return framework
    document = framework.model_dump(mode="json", by_alias=True)
    for address, value in changes.items():
        *path, last = address.split(".")
        target = document
        for part in path:
            if target.get(part) is None:
                target[part] = {}
            target = target[part]
        target[last] = value
    return parse_framework(document, f"{framework.code} with {dict(changes)}")


def _index(u: Array, n: int) -> NDArray[np.intp]:
    return np.minimum((u * n).astype(np.intp), n - 1)


def _node_problems(framework: Framework, path: str, address: str) -> list[Problem]:
    if address == "aggregates.method":
        return []
    code = address.split(".")[1]
    try:
        node = framework.node(code)
    except KeyError:
        return [Problem(path, f"no node {code!r} in the framework")]
    if address.endswith(".method") and isinstance(node, Indicator):
        return [Problem(path, f"{code!r} is an indicator: it has no aggregation method")]
    return []


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise SensitivityError(problems)
