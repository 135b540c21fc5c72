"""`chiso sensitivity` through the CLI: COINr's SA replayed from files, drawn runs, charts, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tests.conftest import EXAMPLES, FIXTURES

ASEM = FIXTURES / "asem"
COMMON = (
    "--framework",
    EXAMPLES / "frameworks" / "asem.yaml",
    "--values",
    ASEM / "ASEM_iData.csv",
    "--unit-column",
    "uCode",
    "--group-column",
    "EurAsia_group",
)


def test_replaying_coinrs_sa_gives_its_sobol_indices(cli, tmp_path: Path):
    scenarios = tmp_path / "scenarios.csv"
    pd.read_csv(ASEM / "coinr_sa_parameters.csv").rename(
        columns={"winmax": "Winsorisation", "normalisation": "Normalisation", "aggregation": "Aggregation"}
    ).to_csv(scenarios, index=False)
    out, chart = tmp_path / "sa.xlsx", tmp_path / "ranks.svg"
    result = cli(
        "sensitivity",
        *COMMON,
        "--spec",
        EXAMPLES / "sensitivity" / "asem-sa.yaml",
        "--scenarios",
        scenarios,
        "--weight-sets",
        ASEM / "coinr_sa_weights.csv",
        "--out",
        out,
        "--chart",
        chart,
    )
    assert result.exit_code == 0, result.stderr
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) == {"rank_stats", "sensitivity", "scenarios", "scores", "ranks"}
    expected = pd.read_csv(ASEM / "coinr_sa_sensitivity.csv").set_index("Variable")
    got = sheets["sensitivity"].set_index("input").loc[expected.index]
    np.testing.assert_allclose(got["si"], expected["Si"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["sti"], expected["STi"], rtol=0, atol=1e-9)
    assert sheets["scores"].shape == (51, 3 + 300)
    assert chart.read_text(encoding="utf-8").lstrip().startswith("<svg") and "CHE" in chart.read_text()


def test_a_drawn_ua_is_reproducible_and_writes_rank_statistics(cli, tmp_path: Path):
    outputs = []
    for name in ("a.csv", "b.csv"):
        out = tmp_path / name
        result = cli(
            "sensitivity", *COMMON, "--spec", EXAMPLES / "sensitivity" / "asem-ua.yaml", "--n", "30", "--out", out
        )
        assert result.exit_code == 0, result.stderr
        outputs.append(pd.read_csv(out))
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    stats = outputs[0]
    assert list(stats.columns) == ["unit", "period", "nominal_score", "nominal_rank", "mean", "median", "q5", "q95"]
    assert (stats["q5"] <= stats["median"]).all() and (stats["median"] <= stats["q95"]).all()


def test_a_bad_spec_is_reported_and_nothing_written(cli, tmp_path: Path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "schema: chiso/sensitivity\nversion: 1\ntype: UA\nn: 5\n"
        "inputs:\n  - {name: x, address: nodes.nope.method, distribution: [mean]}\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.csv"
    result = cli("sensitivity", *COMMON, "--spec", spec, "--out", out)
    assert result.exit_code == 2
    assert "no node 'nope'" in result.stderr
    assert not out.exists()
