"""`chiso sources …` end to end: simulate, ingest, measure, and score the commune framework with it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from chiso.framework import load_framework
from chiso.units import list_units


def test_simulate_ingest_measure_and_score(cli, tmp_path: Path):
    data = tmp_path / "var"
    simulated = cli(
        "sources", "simulate", "--province", "19", "--years", "2024-2025", "--scale", "0.01", "--data-dir", data
    )
    assert simulated.exit_code == 0, simulated.output
    incoming = sorted((data / "incoming").glob("*.parquet"))
    assert len(incoming) == 8  # dossiers, documents, staff and the procedure catalogue, for two years
    ingested = cli("sources", "ingest", *incoming, "--data-dir", data)
    assert ingested.exit_code == 0, ingested.output
    again = cli("sources", "ingest", *incoming, "--data-dir", data)
    assert again.exit_code == 0 and again.output.count("already ingested") == 8

    measured = tmp_path / "measured.csv"
    result = cli(
        "sources",
        "measure",
        "--province",
        "19",
        "--period",
        "year",
        "--period",
        "quarter",
        "--out",
        measured,
        "--data-dir",
        data,
    )
    assert result.exit_code == 0, result.output
    assert "not derived on 2025 units" in result.stderr
    values = pd.read_csv(measured, dtype={"unit": str, "period": str})
    communes = {u.code for u in list_units(era="2025", kind="commune", province="19")}
    assert set(values["unit"]) == communes and len(communes) == 92
    framework = load_framework("commune-2025")
    measurable = {v for n in framework.indicators if getattr(n, "measurable", False) for v in n.inputs}
    assert set(values["variable"]) == measurable
    per_period = values.groupby(["period", "variable"])["unit"].nunique()
    assert (per_period.loc[["2025-Q3", "2025-Q4"]] == 92).all()
    assert (per_period.loc[["2024", "2025", "2025-Q2"]] == 92 - 7).all()  # 7 took part of a split commune
    assert set(values["source"]) == {"measured"} and (values["records"] > 0).all()

    # The first year of the new communes, measured from 1/7/2025: every commune has every input.
    measured_2025 = tmp_path / "measured-2025.csv"
    result = cli(
        "sources", "measure", "--province", "19", "--from", "2025-07-01", "--out", measured_2025, "--data-dir", data
    )
    assert result.exit_code == 0, result.output
    values = pd.read_csv(measured_2025, dtype={"unit": str, "period": str})
    assert (values.groupby("variable")["unit"].nunique() == 92).all() and set(values["period"]) == {"2025"}

    declared = tmp_path / "declared.csv"
    others = sorted(set(framework.variables) - measurable)
    rng = np.random.default_rng(1)
    rows = [(u, v, "2025", float(rng.integers(1, 50))) for u in sorted(communes) for v in others]
    pd.DataFrame(rows, columns=["unit", "variable", "period", "value"]).to_csv(declared, index=False)
    scored = tmp_path / "scores.csv"
    score = cli(
        "score",
        "--framework",
        "commune-2025",
        "--values",
        measured_2025,
        "--values",
        declared,
        "--period-column",
        "period",
        "--era",
        "2025",
        "--out",
        scored,
    )
    assert score.exit_code == 0, score.output
    table = pd.read_csv(scored, dtype={"unit": str})
    assert len(table) == 92 and table["c4_4"].notna().all() and table["c4_19"].notna().all()
    expected = values.pivot_table(index="unit", columns="variable", values="value")
    c4_4 = table.set_index("unit")["c4_4"]
    share = expected["dossiers_full_online"] / expected["dossiers_received"]
    assert np.allclose(c4_4.loc[share.index], share * 20)

    lineage = cli("sources", "measure", "--lineage", "01840", "dossiers_full_online", "2025", "--data-dir", data)
    assert lineage.exit_code == 0, lineage.output
    found = json.loads(lineage.stdout)
    assert found["definition"]["set"] == "commune-2025" and found["batches"]
    assert sum(b["counted"] for b in found["batches"]) == found["value"]


def test_quarantine_and_schema_commands(cli, tmp_path: Path):
    data = tmp_path / "var"
    bad = tmp_path / "staff-bad.csv"
    bad.write_text(
        "id,unit,official_id,as_of,has_account,documents_processed\n"
        "S1,01840,O1,2025-08-31,true,4\nS2,01840,O2,2025-08-31,false,3\nS3,99999,O3,2025-08-31,true,1\n",
        encoding="utf-8",
    )
    result = cli("sources", "ingest", bad, "--data-dir", data)
    assert result.exit_code == 0, result.output
    listed = cli("sources", "quarantine", "--data-dir", data, "--out", tmp_path / "q.csv")
    assert listed.exit_code == 0
    assert "documents processed without an account" in listed.stdout and "2 bản ghi" in listed.stdout
    assert len(pd.read_csv(tmp_path / "q.csv")) == 2
    schema = cli("sources", "schema", "dossiers")
    assert schema.exit_code == 0 and "receiving_unit" in schema.stdout and "full_online" in schema.stdout


def test_bad_options_are_errors(cli, tmp_path: Path):
    assert cli("sources", "measure", "--period", "week", "--data-dir", tmp_path).exit_code == 2
    assert cli("sources", "measure", "--engine", "oracle", "--data-dir", tmp_path).exit_code == 2
    assert cli("sources", "measure", "--measures", "nope", "--data-dir", tmp_path).exit_code == 2
    assert cli("sources", "simulate", "--province", "99", "--years", "2025", "--data-dir", tmp_path).exit_code == 2
    assert cli("sources", "ingest", tmp_path / "x.csv", "--source", "dossiers", "--data-dir", tmp_path).exit_code == 2
