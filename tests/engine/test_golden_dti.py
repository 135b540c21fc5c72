"""The national DTI against the values the Ministry published (FACTS.md §2)."""

from __future__ import annotations

import pandas as pd
import pytest

import chiso
from chiso.demo import example_path

PUBLISHED = {"48": 0.8002, "79": 0.7163, "22": 0.7024, "46": 0.6975, "92": 0.6924}


@pytest.fixture(scope="module")
def result():
    values = pd.read_csv(example_path("dti-2022-published.csv"), dtype={"unit": str, "period": str})
    return chiso.score("dti-province-2022", values)


def test_dti_2022_reproduces_published_rows(result):
    dti = result.scores.set_index("unit")["dti"]
    for unit, published in PUBLISHED.items():
        # The main indicators are published rounded to 4 decimals, so the recomputed index can differ
        # from the published one by one unit in the 4th decimal (TP HCM: 0.716355 vs 0.7163).
        assert dti[unit] == pytest.approx(published, abs=1e-4), unit
    exact = [u for u, p in PUBLISHED.items() if round(dti[u], 4) == p]
    assert exact == ["48", "22", "46", "92"]


def test_quang_ninh_pillars(result):
    row = result.scores.set_index("unit").loc["22"]
    assert round(row["government"], 4) == 0.7804
    assert round(row["economy"], 4) == 0.7187
    assert round(row["society"], 4) == 0.6864


def test_ranks_and_points(result):
    ranks = result.rank_table().set_index("unit")["dti"]
    assert [ranks[u] for u in PUBLISHED] == [1, 2, 3, 4, 5]
    points = result.points_table.set_index("unit")
    assert points.at["48", "dti"] == pytest.approx(800.175, abs=1e-9)
    assert points.at["48", "gov_activity"] == pytest.approx(171.5, abs=1e-9)


def test_smart_city_missing_is_logged_not_silent(result):
    log = result.log_table
    assert ((log["node"] == "smart_city") & (log["action"] == "missing")).sum() == 5


def test_dti_2020_groups_quang_ninh_and_bac_ninh(cli, tmp_path):
    # FACTS.md gives Bắc Ninh's published DTI 2020 (0.4096) but not its pillars: it is given as the
    # index's value; Quảng Ninh's is computed from its pillars. Bands: > 0.4000 is group 1, then 2 …
    values = tmp_path / "dti2020.csv"
    values.write_text("unit,government,economy,society,dti\n22,0.4513,0.3019,0.3955,\n27,,,,0.4096\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = cli("score", "-f", "dti-province-2020", "-v", values, "-o", out)
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out, dtype={"unit": str, "band": str}).set_index("unit")
    assert round(table.at["22", "dti"], 4) == 0.3897 and table.at["22", "band"] == "2"
    assert table.at["27", "dti"] == 0.4096 and table.at["27", "band"] == "1"
    assert table.at["27", "rank"] == 1 and table.at["22", "rank"] == 2


def test_band_edges():
    import numpy as np

    from chiso.engine import Panel, run

    fw = chiso.load_framework("dti-province-2020")
    panel = Panel.from_arrays(
        ["a", "b", "c", "d", "e"], ["2020"], {}, given={"dti": [[0.4001, 0.4, 0.325, 0.2499, np.nan]]}
    )
    assert list(run(fw, panel).band("dti")[0]) == ["1", "2", "2", "4", ""]
