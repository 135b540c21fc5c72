"""COINr's ASEM example (../shared/fixtures/asem): every stage of the default build to 1e-9."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import EXAMPLES, FIXTURES

import chiso

ASEM = FIXTURES / "asem"
STAGES = {
    "denominated": "Denominated",
    "imputed": "Imputed",
    "screened": "Screened",
    "treated": "Treated",
    "normalised": "Normalised",
    "aggregated": "Aggregated",
}


@pytest.fixture(scope="module")
def result():
    framework = chiso.load_framework(EXAMPLES / "frameworks" / "asem.yaml")
    data = pd.read_csv(ASEM / "ASEM_iData.csv")
    return chiso.score(framework, data, unit_column="uCode", group_columns=["EurAsia_group"])


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_stage_matches_coinr(result, stage):
    expected = pd.read_csv(ASEM / f"example_coin_dset_{STAGES[stage]}.csv").set_index("uCode")
    got = result.stage(stage).set_index("unit")
    columns = [c for c in got.columns if c in expected.columns]
    assert len(columns) == (60 if stage == "aggregated" else 49)
    assert sorted(got.index) == sorted(expected.index)
    exp = expected.loc[got.index, columns].astype(float)
    np.testing.assert_array_equal(got[columns].isna().to_numpy(), exp.isna().to_numpy())
    np.testing.assert_allclose(got[columns].to_numpy(float), exp.to_numpy(), rtol=0, atol=1e-9)


def test_final_scores_and_ranks(result):
    expected = pd.read_csv(ASEM / "example_coin_results_full.csv").set_index("uCode")
    scores = result.scores.set_index("unit")
    ranks = result.rank_table().set_index("unit")
    nodes = [c for c in expected.columns if c in scores.columns]
    assert len(nodes) == 60
    np.testing.assert_allclose(scores.loc[expected.index, nodes], expected[nodes], rtol=0, atol=1e-9)
    assert (ranks.loc[expected.index, "Index"].astype(int) == expected["Rank"]).all()
    assert expected.index[0] == "CHE" and ranks.at["CHE", "Index"] == 1


def test_treatment_details(result):
    expected = pd.read_csv(ASEM / "example_coin_treat_details.csv").set_index("iCode")
    got = result.treatment_table.set_index("indicator")
    assert set(got.index) == set(expected.index)
    for code, row in expected.iterrows():
        mine = got.loc[code]
        assert bool(mine.passed_before) == bool(row["check_SkewKurt0.Pass"]), code
        assert mine.skew_before == pytest.approx(row["check_SkewKurt0.Skew"], abs=1e-9)
        assert mine.kurtosis_before == pytest.approx(row["check_SkewKurt0.Kurt"], abs=1e-9)
        if pd.isna(row["winsorise.nwin"]):
            assert mine.winsorised is None or pd.isna(mine.winsorised)
        else:
            assert int(mine.winsorised) == int(row["winsorise.nwin"]), code
            assert bool(mine.passed_after_winsorising) == bool(row["check_SkewKurt1.Pass"]), code
            assert mine.skew_after_winsorising == pytest.approx(row["check_SkewKurt1.Skew"], abs=1e-9)
            assert mine.kurtosis_after_winsorising == pytest.approx(row["check_SkewKurt1.Kurt"], abs=1e-9)


def test_log_names_every_imputed_and_winsorised_cell(result):
    log = result.log_table
    raw = pd.read_csv(ASEM / "example_coin_dset_Denominated.csv").set_index("uCode")
    indicators = [i.code for i in result.framework.indicators]
    missing = int(raw[indicators].isna().sum().sum())
    assert missing > 0
    assert (log["action"] == "imputed_mean").sum() == missing
    winsorised = log[log["action"] == "winsorised"]
    assert set(winsorised["node"]) == set(
        pd.read_csv(ASEM / "example_coin_treat_details.csv").dropna(subset=["winsorise.nwin"])["iCode"]
    )


def test_contributions_add_up_to_the_index(result):
    table = result.contributions_table
    index = table[table["ancestor"] == "Index"].groupby("unit")["contribution"].sum()
    scores = result.scores.set_index("unit")["Index"]
    np.testing.assert_allclose(index.loc[scores.index], scores, rtol=0, atol=1e-9)
    assert set(table[table["ancestor"] == "Index"]["indicator"]) == {i.code for i in result.framework.indicators}
