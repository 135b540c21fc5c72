"""Scenarios against independent runs, reproducible draws, Saltelli's design, the Sobol estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from tests.conftest import EXAMPLES
from tests.engine.helpers import aggregate, framework, indicator

from chiso.engine import Panel, run
from chiso.engine.scenarios import Scenarios, evaluate
from chiso.engine.sobol import sobol
from chiso.framework import load_framework
from chiso.framework.sensitivity import SensitivityError, parse_sensitivity
from chiso.uncertainty import analyse, draw
from chiso.uncertainty.design import check

UNITS = [f"u{i}" for i in range(9)]


def small_framework():
    return framework(
        [
            aggregate("total", {"p1": 1, "p2": 2}),
            aggregate("p1", {"a": 1, "b": 1}),
            aggregate("p2", {"c": 1, "d": 3}),
            *(indicator(code) for code in "abcd"),
        ],
        pipeline={"normalise": {"rule": "minmax", "low": 1, "high": 100}},
    )


def small_panel():
    rng = np.random.default_rng(7)
    return Panel.from_arrays(UNITS, ["2025"], {k: rng.random((1, len(UNITS))) * 50 for k in "abcd"})


def spec(kind="UA", n=12, seed=3, **extra):
    return parse_sensitivity(
        {
            "schema": "chiso/sensitivity",
            "version": 1,
            "type": kind,
            "n": n,
            "seed": seed,
            "inputs": [
                {
                    "name": "Normalisation",
                    "address": "pipeline.normalise",
                    "distribution": [
                        {"rule": "minmax", "low": 1, "high": 100},
                        {"rule": "zscore", "mean": 10, "sd": 2},
                    ],
                },
                {"name": "Aggregation", "address": "aggregates.method", "distribution": ["mean", "geometric"]},
                {"name": "Drop", "address": "exclude", "distribution": [None, "a", "d"]},
                {"name": "P1", "address": "nodes.p1.weight", "type": "continuous", "distribution": [0.5, 2.0]},
                {"name": "Weights", "address": "weights", "noise": [{"level": 1, "factor": 0.5}]},
            ],
            **extra,
        }
    )


def independent_framework(row: pd.Series, factors: dict[str, float]):
    """The scenario's framework written out by hand, to be scored by the plain engine."""
    rule = {"rule": "minmax", "low": 1, "high": 100}
    if row["Normalisation"] != "{'rule': 'minmax', 'low': 1, 'high': 100}":
        rule = {"rule": "zscore", "mean": 10, "sd": 2}
    method = row["Aggregation"]
    keep = [c for c in "abcd" if c != row["Drop"]]
    weights = {"a": 1, "b": 1, "c": 1, "d": 3}
    return framework(
        [
            aggregate("total", {"p1": float(row["P1"]), "p2": 2}, method=method),
            aggregate("p1", {c: weights[c] * factors[c] for c in "ab" if c in keep}, method=method),
            aggregate("p2", {c: weights[c] * factors[c] for c in "cd" if c in keep}, method=method),
            *(indicator(code) for code in keep),
        ],
        pipeline={"normalise": rule},
    )


def test_every_scenario_equals_its_own_plain_run():
    fw, panel, parsed = small_framework(), small_panel(), spec()
    design = draw(fw, parsed)
    analysis = analyse(fw, panel, parsed, design)
    weights = design.scenarios.weights
    for s, row in design.table.iterrows():
        # Per-link weights carry the noise: recover each indicator's factor from them.
        factors = {
            "a": weights["p1"][0, s] / 1,
            "b": weights["p1"][1, s] / 1,
            "c": weights["p2"][0, s] / 1,
            "d": weights["p2"][1, s] / 3,
        }
        assert all(0.5 <= f <= 1.5 for f in factors.values())
        alone = run(independent_framework(row, factors), panel)
        np.testing.assert_allclose(analysis.scenarios.values[s], alone.values["total"], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(analysis.scenarios.ranks[s], alone.rank("total"))
    assert set(design.table["Drop"]) == {"none", "a", "d"}


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    fw, panel = small_framework(), small_panel()
    first = analyse(fw, panel, spec(seed=11), draw(fw, spec(seed=11)))
    again = analyse(fw, panel, spec(seed=11), draw(fw, spec(seed=11)))
    other = analyse(fw, panel, spec(seed=12), draw(fw, spec(seed=12)))
    pd.testing.assert_frame_equal(first.design.table, again.design.table)
    np.testing.assert_array_equal(first.scenarios.values, again.scenarios.values)
    assert not np.array_equal(first.scenarios.values, other.scenarios.values)


def test_saltelli_design_takes_one_input_from_b_per_block():
    fw, parsed = small_framework(), spec("SA", n=8)
    table = draw(fw, parsed).table
    names = [i.name for i in parsed.inputs]
    assert len(table) == 8 * (len(names) + 2)
    a, b = table.iloc[:8][names].reset_index(drop=True), table.iloc[8:16][names].reset_index(drop=True)
    for k, name in enumerate(names):
        block = table.iloc[16 + 8 * k : 24 + 8 * k].reset_index(drop=True)
        assert (block["block"] == name).all()
        pd.testing.assert_series_equal(block[name], b[name])
        others = [m for m in names if m != name]
        pd.testing.assert_frame_equal(block[others], a[others])


def test_sensitivity_of_an_additive_function_is_its_variance_share():
    """y = 3·x1 + x2 (+ 0·x3), inputs uniform: S1 = 0.9, S2 = 0.1, S3 = 0; additive so ST = S."""
    rng = np.random.default_rng(5)
    n, d = 20000, 3
    a, b = rng.random((n, d)), rng.random((n, d))
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    x = np.vstack(blocks)
    result = sobol(3 * x[:, 0] + x[:, 1], n, d, nboot=50, rng=rng)
    np.testing.assert_allclose(result.first, [0.9, 0.1, 0.0], atol=0.03)
    np.testing.assert_allclose(result.total, [0.9, 0.1, 0.0], atol=0.03)
    assert (result.first_interval[:, 0] <= result.first_interval[:, 1]).all()


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"name": "x", "address": "nodes.zz.method", "distribution": ["mean"]}, "no node 'zz'"),
        ({"name": "x", "address": "aggregates.method", "distribution": ["median"]}, "methods are discrete"),
        ({"name": "x", "address": "exclude", "distribution": ["p1"]}, "'p1' is not an indicator"),
        ({"name": "x", "address": "colour", "distribution": [1]}, "unknown address"),
        (
            {"name": "x", "address": "pipeline.treat.skew", "type": "continuous", "distribution": [1, 3]},
            "pipeline inputs are discrete",
        ),
        ({"name": "x", "address": "pipeline.normalise", "distribution": [{"rule": "nope"}]}, "distribution[0]"),
        ({"name": "x", "address": "weights", "noise": [{"level": 9, "factor": 0.1}]}, "no nodes at level 9"),
    ],
)
def test_a_bad_input_is_named_with_what_to_change(item, message):
    parsed = parse_sensitivity({"schema": "chiso/sensitivity", "version": 1, "type": "UA", "n": 5, "inputs": [item]})
    with pytest.raises(SensitivityError, match=message.replace("[", r"\[")):
        draw(small_framework(), parsed)


def test_a_malformed_spec_is_refused_before_any_run():
    with pytest.raises(SensitivityError, match="needs `noise"):
        parse_sensitivity(
            {"schema": "chiso/sensitivity", "type": "UA", "n": 5, "inputs": [{"name": "w", "address": "weights"}]}
        )
    with pytest.raises(SensitivityError, match="low < high"):
        parse_sensitivity(
            {
                "schema": "chiso/sensitivity",
                "type": "SA",
                "n": 5,
                "inputs": [{"name": "w", "address": "nodes.a.weight", "type": "continuous", "distribution": [2, 1]}],
            }
        )


def test_the_documented_example_spec_is_valid_for_asem():
    docs = (EXAMPLES.parent / "docs" / "engine.md").read_text(encoding="utf-8")
    block = docs.split("```yaml\nschema: chiso/sensitivity", 1)[1].split("```", 1)[0]
    parsed = parse_sensitivity(yaml.safe_load("schema: chiso/sensitivity" + block))
    assert check(load_framework(EXAMPLES / "frameworks" / "asem.yaml"), parsed) == []
    assert [i.address for i in parsed.inputs][-2:] == ["nodes.Physical.weight", "exclude"]


def test_scenarios_run_every_node_rule_as_the_plain_engine_does():
    """Gates, bonus and penalty, floors, normalised aggregates and applies_to on the scenario axis."""
    gate = {"when": [{"node": "c", "op": "<", "value": 30}], "then": 5, "detail": "c too low"}
    fw = framework(
        [
            aggregate("total", {"p1": 1, "p2": 2}, floor=20, gates=[gate]),
            aggregate("p1", {"a": 1, "b": 1}, normalise={"rule": "zscore", "mean": 50, "sd": 10}),
            {
                "code": "p2",
                "kind": "aggregate",
                "name": "p2",
                "children": [{"code": "c"}, {"code": "d", "role": "penalty", "weight": 0.2}],
                "applies_to": {"group": "kind", "values": ["x"]},
            },
            *(indicator(code) for code in "abcd"),
        ],
        pipeline={"normalise": {"rule": "minmax", "low": 1, "high": 100}},
    )
    rng = np.random.default_rng(3)
    panel = Panel.from_arrays(
        UNITS,
        ["2025"],
        {k: rng.random((1, len(UNITS))) * 50 for k in "abcd"},
        groups={"kind": [["x", "y", "x", "x", "y", "x", "x", "y", "x"]]},
    )
    scenarios = Scenarios((fw,), np.zeros(3, dtype=np.intp), {"total": np.array([[1.0, 2.0, 0.5], [2.0, 1.0, 1.0]])})
    got = evaluate(fw, panel, scenarios)
    for s, w in enumerate([(1.0, 2.0), (2.0, 1.0), (0.5, 1.0)]):
        nodes = [n for n in fw.nodes if n.code != "total"]
        declared = fw.node("total")
        children = tuple(c.model_copy(update={"weight": x}) for c, x in zip(declared.children, w, strict=True))
        total = declared.model_copy(update={"children": children})
        alone = run(fw.model_copy(update={"nodes": (total, *nodes)}), panel)
        np.testing.assert_allclose(got.values[s], alone.values["total"], rtol=0, atol=1e-12)
    assert (run(fw, panel).log_table["action"] == "gated").any()


def test_pipeline_alternatives_imputation_and_no_treatment_equal_their_plain_runs():
    fw = framework(
        [aggregate("total", {"a": 1, "b": 1, "c": 1}), *(indicator(code) for code in "abc")],
        pipeline={
            "impute": {"method": "mean", "group": "g"},
            "treat": {"skew": 0.5, "kurtosis": 1, "winsorise_max": 2},
            "normalise": {"rule": "minmax"},
        },
    )
    rng = np.random.default_rng(9)
    data = rng.lognormal(size=(3, 1, len(UNITS)))
    data[0, 0, [1, 4]] = np.nan
    data[2, 0, 7] = np.nan
    panel = Panel.from_arrays(
        UNITS, ["2025"], {k: data[i] for i, k in enumerate("abc")}, groups={"g": [list("xxxyyyzzz")]}
    )
    parsed = parse_sensitivity(
        {
            "schema": "chiso/sensitivity",
            "type": "UA",
            "n": 8,
            "seed": 2,
            "inputs": [
                {"name": "Imputation", "address": "pipeline.impute.method", "distribution": ["mean", "median"]},
                {"name": "Treatment", "address": "pipeline.treat", "distribution": [None, {"winsorise_max": 1}]},
            ],
        }
    )
    design = draw(fw, parsed)
    analysis = analyse(fw, panel, parsed, design)
    assert len(design.scenarios.variants) == len(design.table.drop_duplicates(["Imputation", "Treatment"])) == 4
    for s, row in design.table.iterrows():
        treat = None if row["Treatment"] == "none" else {"winsorise_max": 1}
        pipeline = {
            "impute": {"method": row["Imputation"], "group": "g"},
            "treat": treat,
            "normalise": {"rule": "minmax"},
        }
        alone = run(
            framework(
                [aggregate("total", {"a": 1, "b": 1, "c": 1}), *(indicator(c) for c in "abc")], pipeline=pipeline
            ),
            panel,
        )
        np.testing.assert_allclose(analysis.scenarios.values[s], alone.values["total"], rtol=0, atol=1e-12)
