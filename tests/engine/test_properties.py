"""Invariants of the engine over generated data (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from tests.engine.helpers import aggregate, framework, indicator

from chiso.engine import Panel, run
from chiso.engine.ranks import competition_ranks

finite = st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False)
weights = st.lists(st.floats(min_value=0.1, max_value=10), min_size=3, max_size=3)


def three_indicators(w, method="mean", missing="respread", rule=None):
    rule = rule or {"rule": "goalposts", "min": 0, "max": 1000}
    return framework(
        [
            aggregate("total", {"a": w[0], "b": w[1], "c": w[2]}, method=method, missing=missing),
            *(indicator(code, rule, max_points=10) for code in "abc"),
        ]
    )


def run_values(fw, data):
    units = [f"u{i}" for i in range(data.shape[1])]
    return run(fw, Panel.from_arrays(units, ["1"], {k: data[i][None, :] for i, k in enumerate("abc")}))


@settings(max_examples=60, deadline=None)
@given(arrays(float, (3, 6), elements=finite), weights, st.floats(min_value=0.1, max_value=100))
def test_scaling_all_weights_changes_nothing(data, w, factor):
    a = run_values(three_indicators(w), data).values["total"]
    b = run_values(three_indicators([x * factor for x in w]), data).values["total"]
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    arrays(float, (3, 6), elements=finite),
    weights,
    st.integers(0, 2),
    st.integers(0, 5),
    st.floats(min_value=0.001, max_value=100),
    st.sampled_from(["mean", "geometric", "harmonic"]),
)
def test_raising_an_input_never_lowers_its_ancestors(data, w, row, unit, bump, method):
    fw = three_indicators(w, method=method)
    before = run_values(fw, data).values["total"][0, unit]
    raised = data.copy()
    raised[row, unit] += bump
    after = run_values(fw, raised).values["total"][0, unit]
    assert after >= before - 1e-9


@settings(max_examples=60, deadline=None)
@given(
    arrays(float, (3, 6), elements=st.one_of(finite, st.just(np.nan))),
    weights,
    st.sampled_from(["mean", "geometric", "harmonic"]),
    st.sampled_from(["respread", "zero"]),
)
def test_contributions_add_up_and_points_stay_in_range(data, w, method, missing):
    r = run_values(three_indicators(w, method=method, missing=missing), data)
    total = r.values["total"][0]
    parts = sum(r.contributions["total"].values())[0]
    present = ~np.isnan(total)
    np.testing.assert_allclose(parts[present], total[present], rtol=1e-9, atol=1e-9)
    for code in "abc":
        points = r.points[code][0]
        assert np.all((points[~np.isnan(points)] >= 0) & (points[~np.isnan(points)] <= 10 + 1e-9))


@settings(max_examples=40, deadline=None)
@given(arrays(float, (3, 5), elements=finite), weights)
def test_missing_policies(data, w):
    data = data.copy()
    data[0, 0] = np.nan
    respread = run_values(three_indicators(w, missing="respread"), data).values["total"][0, 0]
    zero = run_values(three_indicators(w, missing="zero"), data).values["total"][0, 0]
    b, c = data[1, 0] / 10, data[2, 0] / 10  # goalposts 0–1000 → 0–100
    np.testing.assert_allclose(respread, (w[1] * b + w[2] * c) / (w[1] + w[2]), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(zero, (w[1] * b + w[2] * c) / sum(w), rtol=1e-9, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(arrays(float, (2, 12), elements=st.sampled_from([0.0, 0.5, 1.0, 2.0, np.nan])))
def test_competition_ranks_are_one_plus_the_number_strictly_better(values):
    ranks = competition_ranks(values, np.ones(values.shape, bool))
    for p in range(values.shape[0]):
        row = values[p]
        for u in range(values.shape[1]):
            if np.isnan(row[u]):
                assert np.isnan(ranks[p, u])
            else:
                assert ranks[p, u] == 1 + np.sum(row[~np.isnan(row)] > row[u])


@settings(max_examples=40, deadline=None)
@given(arrays(float, (3, 4), elements=st.integers(0, 20).map(float)))
def test_points_sum_never_exceeds_declared_maximum(data):
    fw = framework(
        [
            aggregate("total", {"a": 1, "b": 1, "c": 1}, method="sum", max_points=30),
            *(indicator(code, {"rule": "points"}, max_points=10) for code in "abc"),
        ]
    )
    total = run_values(fw, data).values["total"]
    assert np.all(total <= 30) and np.all(total >= 0)
