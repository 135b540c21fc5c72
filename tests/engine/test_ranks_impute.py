from __future__ import annotations

import numpy as np
import pytest
from tests.engine.helpers import aggregate, framework, indicator, score_one_period

from chiso.engine.impute import carry_forward, group_fill, interpolate
from chiso.engine.ranks import competition_ranks

NAN = np.nan


def test_competition_ranks_share_and_skip():
    values = np.array([[0.9, 0.8, 0.8, 0.7, NAN]])
    ranks = competition_ranks(values, np.ones_like(values, dtype=bool))
    np.testing.assert_array_equal(ranks, [[1, 2, 2, 4, NAN]])


def test_ranks_within_groups_and_periods():
    values = np.array([[5, 4, 3, 2], [1, 2, 3, 4]], dtype=float)
    groups = np.array([["a", "b", "a", "b"]] * 2, dtype=object)
    ranks = competition_ranks(values, np.ones_like(values, dtype=bool), groups)
    np.testing.assert_array_equal(ranks, [[1, 1, 2, 2], [2, 2, 1, 1]])


def test_float_noise_does_not_split_a_tie():
    values = np.array([[0.1 + 0.2, 0.3, 0.2]])
    np.testing.assert_array_equal(competition_ranks(values, np.ones((1, 3), bool)), [[1, 1, 3]])


def test_assessed_but_not_ranked_units_keep_values():
    fw = framework([aggregate("total", {"x": 1}), indicator("x", {"rule": "points"}, max_points=10)])
    r = score_one_period(fw, {"x": [9, 8, 7]}, ranked=[True, False, True])
    assert list(r.rank_table()["total"]) == [1, None, 2] or r.rank_table()["total"].isna().tolist() == [
        False,
        True,
        False,
    ]
    assert r.values["total"][0, 1] == 8


def test_carry_forward_and_linear():
    x = np.array([[1.0, NAN], [NAN, 2.0], [3.0, NAN], [NAN, NAN]])
    np.testing.assert_array_equal(carry_forward(x), [[1, NAN], [1, 2], [3, 2], [3, 2]])
    np.testing.assert_array_equal(
        interpolate(x, np.array([2020.0, 2021, 2022, 2023])), [[1, NAN], [2, 2], [3, NAN], [NAN, NAN]]
    )


def test_interpolation_follows_uneven_years():
    x = np.array([[0.0], [NAN], [30.0]])
    np.testing.assert_allclose(interpolate(x, np.array([2020.0, 2021, 2023])), [[0], [10], [30]])


@pytest.mark.parametrize(("method", "expected"), [("mean", 3.0), ("median", 2.0)])
def test_group_fill(method, expected):
    x = np.array([[1.0, 2.0, 6.0, NAN, 100.0]])
    labels = np.array([["a", "a", "a", "a", "b"]], dtype=object)
    assert group_fill(x, method, labels)[0, 3] == expected


def test_missing_group_stays_missing_and_is_logged():
    fw = framework(
        [aggregate("total", {"x": 1}), indicator("x", {"rule": "minmax"})],
        pipeline={"impute": {"method": "mean", "group": "g"}},
    )
    r = score_one_period(fw, {"x": [1, 2, NAN, NAN]}, groups={"g": ["a", "a", "b", "b"]})
    log = r.log_table
    assert (log["action"] == "still_missing").sum() == 2
    assert (log["action"] == "imputed_mean").sum() == 0
