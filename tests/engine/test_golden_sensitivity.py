"""COINr's uncertainty and sensitivity analyses of the ASEM index, replayed replication by replication.

../shared/fixtures/asem/coinr_ua_*.csv (100 weight sets) and coinr_sa_*.csv (300 runs of Saltelli's
design: winsorisation limit, normalisation, weights, aggregation): given the same choices, every
unit's score in every run matches to 1e-9, the rank statistics exactly, and Si/STi to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import EXAMPLES, FIXTURES

import chiso

ASEM = FIXTURES / "asem"
SPECS = EXAMPLES / "sensitivity"
STATS = {"Nominal": "nominal_rank", "Mean": "mean", "Median": "median", "Q5": "q5", "Q95": "q95"}


def replayed(kind: str, spec: str):
    data = pd.read_csv(ASEM / "ASEM_iData.csv")
    weights = pd.read_csv(ASEM / f"coinr_{kind}_weights.csv")[["rep", "iCode", "Weight"]]
    if kind == "sa":
        table = pd.read_csv(ASEM / "coinr_sa_parameters.csv").rename(
            columns={"winmax": "Winsorisation", "normalisation": "Normalisation", "aggregation": "Aggregation"}
        )
    else:
        table = pd.DataFrame({"rep": sorted(weights["rep"].unique())})
    return chiso.sensitivity(
        EXAMPLES / "frameworks" / "asem.yaml",
        data,
        SPECS / spec,
        unit_column="uCode",
        group_columns=["EurAsia_group"],
        scenarios=table,
        weight_sets=weights,
    )


@pytest.fixture(scope="module")
def ua():
    return replayed("ua", "asem-ua.yaml")


@pytest.fixture(scope="module")
def sa():
    return replayed("sa", "asem-sa.yaml")


@pytest.mark.parametrize("kind", ["ua", "sa"])
def test_every_score_of_every_replication_matches_coinr(kind, ua, sa):
    analysis = ua if kind == "ua" else sa
    expected = pd.read_csv(ASEM / f"coinr_{kind}_scores.csv").set_index("uCode")
    runs = len(expected.columns) - 1
    assert analysis.scenarios.values.shape == (runs, 1, 51)
    got = analysis.per_scenario("values").set_index("unit").loc[expected.index]
    mine = got[[f"s{k}" for k in range(1, runs + 1)]].to_numpy()
    theirs = expected[[f"r_{k}" for k in range(1, runs + 1)]].to_numpy()
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["nominal"], expected["Nominal"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("kind", ["ua", "sa"])
def test_rank_statistics_match_coinr_exactly(kind, ua, sa):
    analysis = ua if kind == "ua" else sa
    expected = pd.read_csv(ASEM / f"coinr_{kind}_rankstats.csv").set_index("uCode")
    got = analysis.rank_stats.set_index("unit").loc[expected.index]
    for theirs, mine in STATS.items():
        # Ranks are integers and their statistics short decimals: equal up to the CSV's own rounding.
        np.testing.assert_allclose(got[mine], expected[theirs], rtol=0, atol=1e-12, err_msg=theirs)


def test_sobol_indices_match_coinr(sa):
    expected = pd.read_csv(ASEM / "coinr_sa_sensitivity.csv").set_index("Variable")
    got = sa.sensitivity_table.set_index("input").loc[expected.index]
    np.testing.assert_allclose(got["si"], expected["Si"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["sti"], expected["STi"], rtol=0, atol=1e-9)
    # The bootstrap's draws are not R's: its intervals are checked for shape, not values.
    assert (got["si_q5"] < got["si_q95"]).all() and (got["sti_q5"] < got["sti_q95"]).all()
    assert np.isfinite(got[["si_q5", "si_q95", "sti_q5", "sti_q95"]].to_numpy()).all()


def test_the_nominal_result_is_the_plain_score(sa):
    data = pd.read_csv(ASEM / "ASEM_iData.csv")
    plain = chiso.score(sa.framework, data, unit_column="uCode", group_columns=["EurAsia_group"])
    np.testing.assert_array_equal(sa.nominal, plain.values["Index"])
    np.testing.assert_array_equal(sa.nominal_ranks, plain.rank("Index"))
