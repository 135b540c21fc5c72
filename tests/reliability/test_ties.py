"""Ties are ties: a unit's rank never depends on the order in which its children are added up."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.engine.helpers import aggregate, framework, indicator

from chiso.engine import Panel, run

# Three values whose mean, summed in two orders, is 0.72647361035 or 0.7264736103499999: the two
# sides of the 10th-decimal rounding boundary, which split the tie before sums were order-free.
BOUNDARY = (0.9425451286863328, 0.47969541226713136, 0.7571802900965359)


def mean_of_three(method: str = "mean", weights: tuple[float, float, float] = (1, 1, 1), **extra):
    rule = {"rule": "goalposts", "min": 0, "max": 1, "scale": 1, "cap": False}
    return framework(
        [
            aggregate("total", dict(zip("abc", weights, strict=True)), method=method),
            *(indicator(code, rule) for code in "abc"),
        ],
        **extra,
    )


def run_units(fw, rows):
    """One unit per row of (a, b, c) values."""
    data = np.array(rows, dtype=float).T
    units = [f"u{i}" for i in range(len(rows))]
    return run(fw, Panel.from_arrays(units, ["2025"], {k: data[i][None, :] for i, k in enumerate("abc")}))


def test_same_values_in_another_order_tie_at_a_rounding_boundary():
    a, b, c = BOUNDARY
    result = run_units(mean_of_three(), [(a, b, c), (a, c, b)])
    assert result.rank("total")[0].tolist() == [1.0, 1.0]
    values = result.values["total"][0]
    assert values[0] == values[1]


def test_declared_rank_decimals_tie_at_the_publishers_precision():
    fw = mean_of_three(rank_decimals=4)
    result = run_units(fw, [(0.5, 0.5, 0.5), (0.50004, 0.5, 0.5), (0.5003, 0.5, 0.5)])
    assert result.rank("total")[0].tolist() == [2.0, 2.0, 1.0]


unit_values = st.tuples(*[st.floats(min_value=0, max_value=1, allow_nan=False)] * 3)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(unit_values, min_size=1, max_size=4),
    st.sampled_from(["mean", "geometric", "harmonic", "sum"]),
    st.sampled_from([1.0, 2.0, 0.3]),
)
def test_permuting_a_units_children_never_changes_ties(rows, method, weight):
    """Every permutation of each unit's values becomes another unit: each unit ties with its permutations."""
    units = [perm for row in rows for perm in itertools.permutations(row)]
    result = run_units(mean_of_three(method, (weight,) * 3), units)
    values = result.values["total"][0]
    ranks = result.rank("total")[0]
    for k in range(len(rows)):
        block = slice(6 * k, 6 * k + 6)
        assert len(set(values[block].tolist())) == 1
        assert len(set(ranks[block].tolist())) == 1
