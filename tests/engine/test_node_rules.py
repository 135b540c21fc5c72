"""`applies_to` (a node for some units only) and gates (a value set when conditions hold), by hand."""

from __future__ import annotations

import numpy as np
import pytest
from tests.engine.helpers import aggregate, framework, indicator, score_one_period, values

from chiso.framework import FrameworkError

POINTS = {"rule": "points"}


def smart_city_framework(**smart):
    return framework(
        [
            aggregate("total", {"a": 1, "b": 1, "smart": 2}),
            indicator("a", POINTS, max_points=10),
            indicator("b", POINTS, max_points=10),
            indicator("smart", POINTS, max_points=10, **smart),
        ]
    )


def test_a_node_for_some_units_is_left_out_for_the_others():
    fw = smart_city_framework(applies_to={"group": "type", "values": ["city"]})
    data = {"a": [8, 8, 2], "b": [6, 6, 4], "smart": [9, 3, 10]}
    result = score_one_period(fw, data, groups={"type": ["city", "rural", "rural"]})
    # city: (8 + 6 + 2·9) / 4; rural units: (a + b) / 2, their smart-city values ignored.
    np.testing.assert_allclose(values(result, "total"), [(8 + 6 + 18) / 4, 7.0, 3.0])
    assert np.isnan(values(result, "smart")[1:]).all()
    log = result.log_table
    left_out = log[(log["action"] == "not_applicable") & (log["node"] == "smart")]
    assert sorted(left_out["unit"]) == ["u1", "u2"]


def test_applies_to_works_for_aggregates_and_needs_its_column():
    fw = framework(
        [
            aggregate("total", {"core": 1, "city": 1}),
            aggregate("core", {"a": 1}),
            aggregate("city", {"b": 1}, applies_to={"group": "type", "values": ["city", "town"]}),
            indicator("a", POINTS, max_points=10),
            indicator("b", POINTS, max_points=10),
        ]
    )
    result = score_one_period(fw, {"a": [4, 4, 4], "b": [10, 10, 10]}, groups={"type": ["city", "town", "rural"]})
    np.testing.assert_allclose(values(result, "total"), [7.0, 7.0, 4.0])
    with pytest.raises(ValueError, match="no such column"):
        score_one_period(fw, {"a": [4], "b": [10]})


def gated_framework(then=0.0, **extra):
    gate = {"when": [{"node": "committee", "op": "==", "value": 0}], "then": then, "detail": "no steering committee"}
    return framework(
        [
            aggregate("total", {"pillar": 1, "other": 1}),
            aggregate("pillar", {"a": 1, "b": 1}, gates=[gate], **extra),
            aggregate("extras", {"committee": 1}, kind="view"),
            indicator("a", POINTS, max_points=10),
            indicator("b", POINTS, max_points=10),
            indicator("other", POINTS, max_points=10),
            indicator("committee", {"rule": "boolean"}, max_points=1),
        ]
    )


def test_a_gate_sets_the_value_where_its_conditions_hold_and_logs_it():
    fw = gated_framework()
    result = score_one_period(fw, {"a": [8, 8], "b": [6, 6], "other": [4, 4], "committee": [1, 0]})
    np.testing.assert_allclose(values(result, "pillar"), [7.0, 0.0])
    np.testing.assert_allclose(values(result, "total"), [(7 + 4) / 2, (0 + 4) / 2])
    gated = result.log_table[result.log_table["action"] == "gated"]
    assert list(gated["unit"]) == ["u1"] and list(gated["before"]) == [7.0] and list(gated["after"]) == [0.0]
    assert list(gated["detail"]) == ["no steering committee"]
    # Contributions still add up: in the gated cell the pillar stands as its own leaf.
    table = result.contributions_table
    total = table[table["ancestor"] == "total"].groupby("unit")["contribution"].sum()
    np.testing.assert_allclose(total.loc[["u0", "u1"]], values(result, "total"))


def test_a_gate_that_reads_its_own_node_or_a_descendant_cycle_is_refused():
    gate = {"when": [{"node": "pillar", "op": "<", "value": 1}], "then": 0}
    with pytest.raises(FrameworkError, match="cannot test the node it sets"):
        framework([aggregate("pillar", {"a": 1}, gates=[gate]), indicator("a", POINTS, max_points=1)], index="pillar")
    looping = {"when": [{"node": "total", "op": "<", "value": 1}], "then": 0}
    with pytest.raises(FrameworkError, match="depends on the gated one"):
        framework(
            [
                aggregate("total", {"pillar": 1}),
                aggregate("pillar", {"a": 1}, gates=[looping]),
                indicator("a", POINTS, max_points=1),
            ]
        )
    with pytest.raises(FrameworkError, match="unknown node 'nope'"):
        framework(
            [
                aggregate("total", {"a": 1}, gates=[{"when": [{"node": "nope", "op": "<", "value": 1}], "then": 0}]),
                indicator("a", POINTS, max_points=1),
            ]
        )


def test_a_provisional_weight_scores_as_declared_and_says_so():
    def weighted(provisional):
        return framework(
            [
                {
                    "code": "total",
                    "kind": "aggregate",
                    "name": "total",
                    "children": [{"code": "a", "weight": 3, "provisional": provisional}, {"code": "b", "weight": 1}],
                },
                indicator("a", POINTS, max_points=10),
                indicator("b", POINTS, max_points=10),
            ]
        )

    data = {"a": [8, 2], "b": [4, 6]}
    final, draft = score_one_period(weighted(False), data), score_one_period(weighted(True), data)
    np.testing.assert_allclose(values(draft, "total"), [(3 * 8 + 4) / 4, (3 * 2 + 6) / 4])
    np.testing.assert_array_equal(values(draft, "total"), values(final, "total"))
    notes = draft.log_table[draft.log_table["action"] == "provisional_weight"]
    assert list(notes["node"]) == ["total"] and "weight of a (3) is provisional" in notes["detail"].iloc[0]
    assert (final.log_table["action"] != "provisional_weight").all()


def contributions_add_up(result, ancestor):
    table = result.contributions_table
    total = table[table["ancestor"] == ancestor].groupby("unit")["contribution"].sum()
    units = [f"u{i}" for i in range(len(values(result, ancestor)))]
    np.testing.assert_allclose(total.loc[units], values(result, ancestor), rtol=0, atol=1e-12)


def test_an_aggregate_normalised_across_units():
    fw = framework(
        [
            aggregate("total", {"p1": 1, "c": 1}),
            aggregate("p1", {"a": 1, "b": 3}, normalise={"rule": "minmax", "low": 0, "high": 100}),
            *(indicator(code, {"rule": "goalposts", "min": 0, "max": 10}) for code in "abc"),
        ]
    )
    data = {"a": [2.0, 6.0, 9.0, 4.0], "b": [1.0, 5.0, 3.0, 8.0], "c": [5.0, 5.0, 10.0, 0.0]}
    result = score_one_period(fw, data)
    raw = (10 * np.array(data["a"]) + 3 * 10 * np.array(data["b"])) / 4  # the weighted mean, 0–100
    p1 = (raw - raw.min()) / (raw.max() - raw.min()) * 100
    np.testing.assert_allclose(values(result, "p1"), p1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(values(result, "total"), (p1 + 10 * np.array(data["c"])) / 2, rtol=0, atol=1e-12)
    contributions_add_up(result, "total")  # p1 counts as one leaf of the total


def points(code, max_points):
    return indicator(code, POINTS, max_points=max_points)


def test_bonus_and_penalty_outside_the_maximum_with_a_floor():
    fw = framework(
        [
            {
                "code": "total",
                "kind": "aggregate",
                "name": "total",
                "method": "sum",
                "max_points": 20,
                "floor": 0,
                "children": [
                    {"code": "a"},
                    {"code": "b"},
                    {"code": "extra", "role": "bonus"},
                    {"code": "late", "role": "penalty", "weight": 2},
                ],
            },
            points("a", 10),
            points("b", 10),
            points("extra", 5),
            points("late", 10),
        ]
    )
    data = {
        "a": [8, 2, 10, 5],
        "b": [6, 1, 10, 5],
        "extra": [2, 0, 5, float("nan")],
        "late": [0, 5, 0, 1],
    }
    result = score_one_period(fw, data)
    # 8 + 6 + 2 − 0; 2 + 1 + 0 − 2·5 = −7 → floor 0; 10 + 10 + 5 (bonus beyond the maximum); 5 + 5 − 2.
    np.testing.assert_allclose(values(result, "total"), [16.0, 0.0, 25.0, 8.0])
    log = result.log_table
    assert list(log[log["action"] == "floored"]["unit"]) == ["u1"]
    assert list(log[log["action"] == "floored"]["before"]) == [-7.0]
    contributions_add_up(result, "total")
    table = result.contributions_table
    late = table[(table["ancestor"] == "total") & (table["indicator"] == "late")].set_index("unit")["contribution"]
    assert late["u3"] == -2.0


def test_a_bonus_on_a_mean_is_added_after_the_mean():
    fw = framework(
        [
            {
                "code": "total",
                "kind": "aggregate",
                "name": "total",
                "children": [{"code": "a"}, {"code": "b"}, {"code": "extra", "role": "bonus", "weight": 0.5}],
            },
            points("a", 10),
            points("b", 10),
            points("extra", 4),
        ]
    )
    result = score_one_period(fw, {"a": [8, 4], "b": [6, 4], "extra": [4, 0]})
    np.testing.assert_allclose(values(result, "total"), [(8 + 6) / 2 + 0.5 * 4, 4.0])
    contributions_add_up(result, "total")


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (aggregate("total", {"a": 1}, normalise={"rule": "points"}), "normalised with one of"),
        (aggregate("total", {"a": 1}, normalise={"rule": "minmax", "input": "a"}), "remove `input`"),
        (
            {"code": "total", "kind": "aggregate", "name": "t", "children": [{"code": "a", "role": "bonus"}]},
            "at least one child needs `role: score`",
        ),
    ],
)
def test_adjustments_that_cannot_work_are_refused(node, message):
    with pytest.raises(FrameworkError, match=message):
        framework([node, points("a", 10)])
