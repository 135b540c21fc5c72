"""`chiso units rollup` then `chiso score`: the merged province's index from its predecessors' values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

MAIN = [
    "awareness",
    "institutions",
    "infrastructure",
    "human_resources",
    "cybersecurity",
    "gov_activity",
    "econ_activity",
    "society_activity",
]


def test_merged_thai_nguyen_by_the_mean_rule(cli, tmp_path: Path):
    old_thai_nguyen = [1.0, 1.0, 0.70, 0.62, 0.66, 0.80, 0.78, 0.52]
    old_bac_kan = [0.80, 0.90, 0.40, 0.36, 0.44, 0.50, 0.30, 0.22]
    rows = [("19", v, "2024", x) for v, x in zip(MAIN, old_thai_nguyen, strict=True)]
    rows += [("06", v, "2024", x) for v, x in zip(MAIN, old_bac_kan, strict=True)]
    values = tmp_path / "old.csv"
    pd.DataFrame(rows, columns=["unit", "variable", "period", "value"]).to_csv(values, index=False)
    merged = tmp_path / "new.csv"
    result = cli("units", "rollup", "--values", values, "--to", "2025", "--out", merged)
    assert result.exit_code == 0, result.stderr
    derived = pd.read_csv(merged, dtype={"unit": str, "period": str})
    assert set(derived["unit"]) == {"19"} and set(derived["rule"]) == {"mean"}
    assert set(derived["predecessors"]) == {"06,19"}
    by_variable = derived.set_index("variable")["value"]
    for variable, a, b in zip(MAIN, old_thai_nguyen, old_bac_kan, strict=True):
        assert by_variable[variable] == pytest.approx((a + b) / 2)

    scored = tmp_path / "scored.csv"
    result = cli("score", "-f", "dti-province-2022", "-v", merged, "--period-column", "period", "-o", scored)
    assert result.exit_code == 0, result.stderr
    dti = pd.read_csv(scored, dtype={"unit": str}).set_index("unit").at["19", "dti"]
    means = {v: (a + b) / 2 for v, a, b in zip(MAIN, old_thai_nguyen, old_bac_kan, strict=True)}
    expected = (
        100 * sum(means[v] for v in MAIN[:5])
        + 200 * means["gov_activity"]
        + 150 * means["econ_activity"]
        + 150 * means["society_activity"]
    ) / 1000
    assert dti == pytest.approx(expected, abs=1e-12)


def test_bad_rule_and_wide_file_are_refused(cli, tmp_path: Path):
    wide = tmp_path / "wide.csv"
    wide.write_text("unit,awareness\n19,0.9\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    result = cli("units", "rollup", "--values", wide, "--out", out)
    assert result.exit_code == 2 and "must be long" in result.stderr and not out.exists()
    result = cli("units", "rollup", "--values", wide, "--out", out, "--rule-for", "awareness=median")
    assert result.exit_code == 2 and "VARIABLE=RULE" in result.stderr
