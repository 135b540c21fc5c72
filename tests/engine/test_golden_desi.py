"""DESI 2022 (../shared/fixtures/desi2022): six editions, every sub-dimension, dimension and DESI to 1e-9.

The Commission's gap-filled cells are in a file of their own (desi2022_imputed_cells.csv); the raw file
holds the observed cells. The two are combined cell by cell, as `chiso score --values A --values B` does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.conftest import EXAMPLES, FIXTURES

import chiso
from chiso.engine import run
from chiso.engine.frames import FrameSpec, merge_panels, panel_from_frame

DESI = FIXTURES / "desi2022"


@pytest.fixture(scope="module")
def result():
    framework = chiso.load_framework(EXAMPLES / "frameworks" / "desi2022.yaml")
    spec = FrameSpec(unit_column="Country", period_column="Year")
    parts = [
        (name, panel_from_frame(framework, pd.read_csv(DESI / name), spec, name, require_all=False).panel)
        for name in ("desi2022_raw_indicators.csv", "desi2022_imputed_cells.csv")
    ]
    return run(framework, merge_panels(parts))


def test_all_editions_all_levels(result):
    published = pd.read_csv(DESI / "desi2022_published_scores.csv")
    got = result.scores.rename(columns={"unit": "Country", "period": "Year"})
    merged = published.merge(got, on=["Country", "Year"], suffixes=("", "_chiso"))
    assert len(merged) == len(published) == 168
    assert sorted(merged["Year"].unique()) == ["y1", "y2", "y3", "y4", "y5", "y6"]
    checked = 0
    for column in published.columns[3:]:
        if column == "NA":
            continue
        code = "DESI" if column == "DESI" else column.split(" ")[0]
        mine = merged[f"{code}_chiso"] if code == "DESI" else merged[code]
        np.testing.assert_allclose(mine, merged[column], rtol=0, atol=1e-9, err_msg=column)
        checked += 1
    assert checked == 15  # DESI, 4 dimensions, 10 sub-dimensions


def test_published_2022_order(result):
    y6 = result.scores[result.scores["period"] == "y6"].set_index("unit")["DESI"]
    assert y6["FI"] == pytest.approx(69.5976, abs=5e-5)
    assert y6["DK"] == pytest.approx(69.3338, abs=5e-5)
    assert y6["RO"] == pytest.approx(30.5849, abs=5e-5)
    ranks = result.rank_table().set_index(["unit", "period"])["DESI"]
    assert ranks[("FI", "y6")] == 1 and ranks[("DK", "y6")] == 2


def test_uncapped_goalposts_go_below_zero(result):
    # Bulgaria's digital intensity in 2017 scores below the goalpost: DESI does not cap.
    row = result.scores.set_index(["unit", "period"]).loc[("BG", "y1")]
    assert row["3a"] < 0
