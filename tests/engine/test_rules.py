"""Each scoring rule on hand-computed cases, including the edges a province meets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.engine.helpers import aggregate, framework, indicator, score_one_period, values

NAN = float("nan")


def one(rule, columns, max_points=20, direction=1, code="x", **extra):
    fw = framework(
        [aggregate("total", {code: 1}), indicator(code, rule, max_points=max_points, direction=direction, **extra)]
    )
    return score_one_period(fw, columns)


def assert_values(got, expected):
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, equal_nan=True)


def test_ratio_earns_fractional_points_and_caps():
    rule = {"rule": "ratio", "numerator": "a", "denominator": "b"}
    r = one(rule, {"a": [549, 1200, 5, NAN], "b": [1000, 1000, 0, 10]})
    # 549/1000 × 20 = 10.98 (the published commune case); 1.2 capped at 20; b = 0 → missing, logged.
    assert_values(values(r, "x"), [10.98, 20.0, NAN, NAN])
    log = r.log_table
    assert set(log[log["action"] == "capped"]["unit"]) == {"u1"}
    assert set(log[log["action"] == "zero_denominator"]["unit"]) == {"u2"}


@pytest.mark.parametrize(("policy", "expected"), [("zero", 0.0), ("full", 20.0)])
def test_ratio_zero_denominator_as_declared(policy, expected):
    rule = {"rule": "ratio", "numerator": "a", "denominator": "b", "on_zero_denominator": policy}
    assert values(one(rule, {"a": [0], "b": [0]}), "x") == [expected]


def test_ratio_uncapped():
    rule = {"rule": "ratio", "numerator": "a", "denominator": "b", "cap": False}
    assert values(one(rule, {"a": [15], "b": [10]}), "x") == [30.0]


def test_tiers_full_half_none_and_unknown_level():
    rule = {
        "rule": "tiers",
        "levels": [
            {"code": "full", "label": "Bí thư/Chủ tịch", "value": 2, "share": 1},
            {"code": "half", "label": "Phó", "value": 1, "share": 0.5},
            {"code": "none", "value": 0, "share": 0},
        ],
    }
    r = one(rule, {"x": [2, 1, 0, 7]})
    assert_values(values(r, "x"), [20, 10, 0, NAN])
    assert (r.log_table["action"] == "unknown_level").sum() == 1


def test_thresholds_stepwise():
    rule = {
        "rule": "thresholds",
        "steps": [
            {"at_least": 4, "points": 20},
            {"at_least": 3, "points": 15},
            {"at_least": 2, "points": 10},
            {"at_least": 1, "points": 5},
        ],
    }
    assert_values(values(one(rule, {"x": [6, 4, 3, 2, 1, 0, NAN]}), "x"), [20, 20, 15, 10, 5, 0, NAN])


def test_thresholds_lower_is_better():
    rule = {"rule": "thresholds", "steps": [{"at_least": 0, "points": 10}, {"at_least": 2, "points": 5}]}
    assert values(one(rule, {"x": [0, 1, 2, 3]}, max_points=10, direction=-1), "x") == [10, 5, 5, 0]


def test_boolean_and_points():
    assert values(one({"rule": "boolean"}, {"x": [1, 0, 3]}, max_points=10), "x") == [10, 0, 10]
    r = one({"rule": "points"}, {"x": [4, 25, -1]}, max_points=10)
    assert values(r, "x") == [4, 10, 0]
    assert (r.log_table["action"] == "capped").sum() == 2


def test_goalposts_capped_and_uncapped():
    capped = {"rule": "goalposts", "min": 0.25, "max": 1.0}
    assert_values(values(one(capped, {"x": [0.25, 0.625, 1.2, 0.1]}), "x"), [0, 50, 100, 0])
    uncapped = {"rule": "goalposts", "min": 0.25, "max": 1.0, "cap": False}
    assert_values(values(one(uncapped, {"x": [1.0, 0.1]}), "x"), [100, -20])
    reverse = {"rule": "goalposts", "min": 0, "max": 10, "scale": 1}
    assert_values(values(one(reverse, {"x": [2]}, direction=-1), "x"), [0.8])


def test_minmax_over_units_with_direction_and_range():
    rule = {"rule": "minmax", "low": 1, "high": 10}
    assert_values(values(one(rule, {"x": [2, 4, 6, NAN]}), "x"), [1, 5.5, 10, NAN])
    assert_values(values(one(rule, {"x": [2, 4, 6]}, direction=-1), "x"), [10, 5.5, 1])


def test_minmax_without_spread_is_logged():
    r = one({"rule": "minmax"}, {"x": [3, 3]})
    assert all(math.isnan(v) for v in values(r, "x"))
    assert (r.log_table["action"] == "no_spread").sum() == 2


def test_zscore_rescaled():
    r = one({"rule": "zscore", "mean": 100, "sd": 10}, {"x": [1, 2, 3]})
    assert_values(values(r, "x"), [90, 100, 110])


def test_rank_and_percentile_share_ties():
    assert values(one({"rule": "rank"}, {"x": [10, 20, 20, 5]}), "x") == [2, 3.5, 3.5, 1]
    assert_values(values(one({"rule": "percentile"}, {"x": [10, 20, 30]}), "x"), [0, 50, 100])


def test_distance_to_target_capped():
    rule = {"rule": "distance_to_target", "target": 80}
    assert_values(values(one(rule, {"x": [20, 50, 80, 95]}), "x"), [0, 50, 100, 100])
    lower = {"rule": "distance_to_target", "target": 10, "cap": False}
    assert_values(values(one(lower, {"x": [50, 30, 5]}, direction=-1), "x"), [0, 50, 112.5])


def test_points_of_normalised_indicator():
    fw = framework(
        [
            aggregate("total", {"x": 1}, method="sum", max_points=20),
            indicator("x", {"rule": "goalposts", "min": 0, "max": 1}, max_points=20),
        ]
    )
    r = score_one_period(fw, {"x": [0.5]})
    assert r.points["x"][0, 0] == pytest.approx(10)
    assert r.values["total"][0, 0] == pytest.approx(10)  # a points sum adds points, not 0–100 values


def test_ratio_full_marks_before_one_hundred_percent():
    rule = {"rule": "ratio", "numerator": "a", "denominator": "b", "full_at": 0.6}
    assert_values(values(one(rule, {"a": [30, 60, 90], "b": [100, 100, 100]}), "x"), [10, 20, 20])


def test_not_applicable_is_left_out_whatever_the_missing_policy():
    # Two ratio items worth 10 each in a points sum that counts missing items as zero. Unit 0 has no
    # dossiers at all (item b not applicable): it is scored on a alone, scaled to the full 20 points.
    # Unit 1 did not declare b: it is imputed (mean of the others, 1.0), as the pipeline says.
    ratio = {"rule": "ratio", "numerator": "a_num", "denominator": "a_den"}
    na = {"rule": "ratio", "numerator": "b_num", "denominator": "b_den", "on_zero_denominator": "not_applicable"}
    fw = framework(
        [
            aggregate("total", {"a": 1, "b": 1}, method="sum", max_points=20, missing="zero"),
            indicator("a", ratio, max_points=10),
            indicator("b", na, max_points=10),
        ],
        pipeline={"impute": {"method": "mean"}},
    )
    r = score_one_period(fw, {"a_num": [5, 5, 5], "a_den": [10, 10, 10], "b_num": [0, NAN, 10], "b_den": [0, NAN, 10]})
    assert_values(values(r, "total"), [10.0, 15.0, 15.0])
    log = r.log_table
    assert set(log[log["action"] == "not_applicable"]["unit"]) == {"u0"}
    # Not applicable cells are not imputed; the genuinely missing one is (mean of the others: 1.0).
    assert set(log[log["action"] == "imputed_mean"]["unit"]) == {"u1"}
    contributions = r.contributions["total"]
    assert_values(contributions["a"][0] + contributions["b"][0], values(r, "total"))
