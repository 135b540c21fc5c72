"""`chiso score` through the CLI: the golden commands, every output format, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from tests.conftest import EXAMPLES, FIXTURES

ASEM = FIXTURES / "asem"
DESI = FIXTURES / "desi2022"
DTI = "dti-province-2022"


def test_asem_command_reproduces_coinr(cli, tmp_path: Path):
    out = tmp_path / "r.csv"
    result = cli(
        "score",
        "--framework",
        EXAMPLES / "frameworks" / "asem.yaml",
        "--values",
        ASEM / "ASEM_iData.csv",
        "--unit-column",
        "uCode",
        "--group-column",
        "EurAsia_group",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.stderr
    got = pd.read_csv(out).set_index("unit")
    expected = pd.read_csv(ASEM / "example_coin_results_full.csv").set_index("uCode")
    nodes = [c for c in expected.columns if c in got.columns]
    assert len(nodes) == 60
    np.testing.assert_allclose(got.loc[expected.index, nodes], expected[nodes], rtol=0, atol=1e-9)
    assert (got.loc[expected.index, "rank"] == expected["Rank"]).all()
    assert got["rank_in_EurAsia_group"].max() < 51  # ranks within Asia and Europe
    assert "columns not used by asem: uName" in result.stderr


def test_desi_command_combines_observed_and_gap_filled_cells(cli, tmp_path: Path):
    out = tmp_path / "desi.json"
    result = cli(
        "score",
        "--framework",
        EXAMPLES / "frameworks" / "desi2022.yaml",
        "--values",
        DESI / "desi2022_raw_indicators.csv",
        "--values",
        DESI / "desi2022_imputed_cells.csv",
        "--unit-column",
        "Country",
        "--period-column",
        "Year",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["framework"] == "desi2022" and document["periods"] == ["y1", "y2", "y3", "y4", "y5", "y6"]
    got = pd.DataFrame(document["results"]).set_index(["unit", "period"])
    published = pd.read_csv(DESI / "desi2022_published_scores.csv").set_index(["Country", "Year"])
    np.testing.assert_allclose(got.loc[published.index, "DESI"], published["DESI"], rtol=0, atol=1e-9)
    assert {"contributions", "log"} <= set(document)


def test_desi_raw_file_alone_says_what_is_missing(cli, tmp_path: Path):
    # Without the Commission's gap-filled cells some editions lack whole sub-dimensions: scored, and logged.
    out = tmp_path / "d.csv"
    log = tmp_path / "log.csv"
    result = cli(
        "score",
        "-f",
        EXAMPLES / "frameworks" / "desi2022.yaml",
        "-v",
        DESI / "desi2022_raw_indicators.csv",
        "--unit-column",
        "Country",
        "--period-column",
        "Year",
        "--out",
        out,
        "--log",
        log,
    )
    assert result.exit_code == 0
    entries = pd.read_csv(log)
    assert ((entries["node"] == "1a") & (entries["action"] == "missing")).sum() == 140


def test_xlsx_output_reopens_with_every_sheet(cli, tmp_path: Path):
    out = tmp_path / "dti.xlsx"
    values = _dti_values(tmp_path)
    assert cli("score", "-f", DTI, "-v", values, "--period-column", "period", "-o", out).exit_code == 0
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["scores", "results", "contributions", "log"]
    book.close()
    scores = pd.read_excel(out, sheet_name="scores", dtype={"unit": str})
    assert scores.set_index("unit").at["22", "government"] == pytest.approx(0.7804429, abs=1e-6)
    results = pd.read_excel(out, sheet_name="results", dtype={"unit": str})
    assert {"unit", "period", "node", "value", "points", "rank"} <= set(results.columns)


def test_long_layout_and_long_input(cli, tmp_path: Path):
    wide = pd.read_csv(_dti_values(tmp_path), dtype=str)
    long = wide.melt(
        id_vars=["unit", "period"],
        value_vars=[
            "awareness",
            "institutions",
            "infrastructure",
            "human_resources",
            "cybersecurity",
            "gov_activity",
            "econ_activity",
            "society_activity",
        ],
        var_name="variable",
        value_name="value",
    )
    path = tmp_path / "long.csv"
    long.to_csv(path, index=False)
    out = tmp_path / "long-out.csv"
    result = cli("score", "-f", DTI, "-v", path, "--period-column", "period", "--layout", "long", "-o", out)
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out, dtype={"unit": str})
    row = table[(table["unit"] == "48") & (table["node"] == "dti")].iloc[0]
    assert row["rank"] == 1 and row["value"] == pytest.approx(0.800175) and row["points"] == pytest.approx(800.175)


def _dti_values(tmp_path: Path) -> Path:
    from chiso.demo import example_path

    return example_path("dti-2022-published.csv")


def _bad(cli, tmp_path: Path, text: str, *extra: str):
    values = tmp_path / "values.csv"
    values.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = cli("score", "-f", DTI, "-v", values, "-o", out, *extra)
    assert result.exit_code == 2
    assert not out.exists(), "nothing is written when the input is bad"
    return result.stderr


HEADER = (
    "unit,awareness,institutions,infrastructure,human_resources,cybersecurity,gov_activity,econ_activity,"
    "society_activity\n"
)


def test_non_numeric_cell_reported_with_file_row_and_column(cli, tmp_path: Path):
    rows = [f"{u:02d},0.9,0.9,0.8,0.7,0.6,0.8,0.7,0.4" for u in range(1, 300)]
    rows[149] = "150,0.9,0.9,0.8,0.7,0.6,0.8,abc,0.4"
    rows[200] = '201,0.9,0.9,0.8,0.7,0.6,0.8,0.7,"0,4"'
    stderr = _bad(cli, tmp_path, HEADER + "\n".join(rows) + "\n")
    assert "values.csv: 2 problem(s) in the values; nothing was scored" in stderr
    assert "row 151, column 'econ_activity': not a number: 'abc'" in stderr
    assert "row 202, column 'society_activity': not a number: '0,4' (use a dot as the decimal separator)" in stderr


def test_duplicate_units_reported(cli, tmp_path: Path):
    line = "22,0.9,0.9,0.8,0.7,0.6,0.8,0.7,0.4\n"
    stderr = _bad(cli, tmp_path, HEADER + line + "48,1,1,1,1,1,1,1,1\n" + line)
    assert "row 2: unit and period '22' appears more than once (rows 2, 4); keep one" in stderr


def test_unknown_variable_in_long_input(cli, tmp_path: Path):
    stderr = _bad(cli, tmp_path, "unit,variable,value\n22,awareness,0.9\n22,awarenes,0.8\n")
    assert "row 3, column 'variable': unknown variable 'awarenes' for framework 'dti-province-2022'" in stderr


def test_missing_column_and_unit(cli, tmp_path: Path):
    stderr = _bad(cli, tmp_path, "unit,awareness\n22,0.9\n,0.8\n")
    assert "row 3, column 'unit': unit code is empty" in stderr
    stderr = _bad(cli, tmp_path, "code,awareness\n22,0.9\n")
    assert "column 'unit': unit column missing" in stderr


def test_wrong_file_type_and_missing_file(cli, tmp_path: Path):
    doc = tmp_path / "values.docx"
    doc.write_bytes(b"PK\x03\x04 not a table")
    out = tmp_path / "o.csv"
    result = cli("score", "-f", DTI, "-v", doc, "-o", out)
    assert result.exit_code == 2 and "unsupported file type '.docx'" in result.stderr and not out.exists()
    broken = tmp_path / "values.xlsx"
    broken.write_bytes(b"this is not a workbook")
    result = cli("score", "-f", DTI, "-v", broken, "-o", out)
    assert result.exit_code == 2 and "cannot be read as XLSX" in result.stderr
    result = cli("score", "-f", DTI, "-v", tmp_path / "nope.csv", "-o", out)
    assert result.exit_code == 2 and "file not found" in result.stderr
    result = cli("score", "-f", DTI, "-v", _dti_values(tmp_path), "-o", tmp_path / "o.pdf")
    assert result.exit_code == 2 and "cannot write '.pdf'" in result.stderr


def test_a_cell_given_in_two_files_is_refused(cli, tmp_path: Path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text(HEADER + "22,0.9,0.9,0.8,0.7,0.6,0.8,0.7,0.4\n", encoding="utf-8")
    b.write_text("unit,awareness\n22,0.95\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    result = cli("score", "-f", DTI, "-v", a, "-v", b, "-o", out)
    assert result.exit_code == 2 and not out.exists()
    assert f"unit '22', period '': given in both {a} and {b}; keep one" in result.stderr


def test_parquet_input(cli, tmp_path: Path):
    frame = pd.read_csv(_dti_values(tmp_path), dtype={"unit": str})
    path = tmp_path / "v.parquet"
    frame.to_parquet(path)
    out = tmp_path / "o.csv"
    assert cli("score", "-f", DTI, "-v", path, "--period-column", "period", "-o", out).exit_code == 0
    assert pd.read_csv(out, dtype={"unit": str}).set_index("unit").at["92", "rank"] == 5


def test_demo_prints_the_ranking(cli):
    result = cli("demo", "ranking")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line[:1].isdigit()]
    assert [line.split()[1] for line in lines] == ["48", "79", "22", "46", "92"]
    assert "0,8002" in lines[0]


def test_unit_codes_checked_against_the_registry(cli, tmp_path: Path):
    ok = cli("score", "-f", DTI, "-v", _dti_values(tmp_path), "--era", "2025", "-o", tmp_path / "ok.csv")
    assert ok.exit_code == 0, ok.stderr
    stderr = _bad(cli, tmp_path, HEADER + "22,0.9,0.9,0.8,0.7,0.6,0.8,0.7,0.4\n99,1,1,1,1,1,1,1,1\n", "--era", "2025")
    assert "row 3, column 'unit': unknown unit code '99' (see `chiso units search`)" in stderr
    result = cli("score", "-f", DTI, "-v", _dti_values(tmp_path), "--era", "1999", "-o", tmp_path / "x.csv")
    assert result.exit_code == 2 and "1999" in result.stderr


SCREENED_FRAMEWORK = """\
schema: chiso/framework
version: 1
code: screened
name: Thử sàng lọc
index: total
pipeline:
  screen: {min_coverage: 0.75, stage: raw}
  normalise: {rule: goalposts, min: 0, max: 10}
nodes:
  - {code: total, kind: aggregate, name: total, children: [{code: a}, {code: b}, {code: c}, {code: d}]}
  - {code: a, kind: indicator, name: a}
  - {code: b, kind: indicator, name: b}
  - {code: c, kind: indicator, name: c}
  - {code: d, kind: indicator, name: d}
"""


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_screened_out_units_stay_in_the_output_with_their_reason(cli, tmp_path: Path, layout):
    framework = tmp_path / "screened.yaml"
    framework.write_text(SCREENED_FRAMEWORK, encoding="utf-8")
    values = tmp_path / "v.csv"
    values.write_text("unit,a,b,c,d\nx1,1,2,3,4\nx2,5,,,8\nx3,10,10,10,\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    result = cli("score", "-f", framework, "-v", values, "-o", out, "--layout", layout)
    assert result.exit_code == 0, result.stderr
    assert "1 unit-period(s) screened out" in result.stderr
    table = pd.read_csv(out, keep_default_na=False)
    screened = table[table["unit"] == "x2"]
    assert len(screened) == 1
    assert screened["status"].iloc[0] == "screened out: 50% of the indicators; data coverage below 75%"
    scored = table[table["unit"] != "x2"]
    assert set(scored["unit"]) == {"x1", "x3"} and (scored["status"] == "").all()
    if layout == "wide":
        # x3 has 3 of 4 (75 %): scored, on the three it has (weights re-spread).
        assert float(scored.set_index("unit").at["x3", "total"]) == pytest.approx(100.0)
