"""The same measures on the same records give identical results on DuckDB and on Spark (local mode)."""

from __future__ import annotations

import pandas as pd
import pytest

from chiso.sources.engines import SparkEngine
from chiso.sources.lake import Lake
from chiso.sources.measures import SHIPPED, Grain, load_measures
from chiso.sources.service import measure

COMPARED = [
    "unit",
    "unit_era",
    "variable",
    "period",
    "value",
    "records",
    "simulated",
    "first_record_at",
    "last_record_at",
]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[COMPARED].sort_values(COMPARED[:4]).reset_index(drop=True)


@pytest.mark.parametrize("code", SHIPPED)
@pytest.mark.parametrize(
    ("era", "grains"), [("2025", [Grain.MONTH, Grain.YEAR]), (None, [Grain.QUARTER])], ids=["2025-units", "recorded"]
)
def test_duckdb_and_spark_agree(lake: Lake, spark, code: str, era: str | None, grains: list[Grain]):
    measures = load_measures(code)
    duck = measure(lake=lake, measures=measures, grains=grains, era=era)
    engine = SparkEngine(session=spark)
    sparked = measure(lake=lake, measures=measures, grains=grains, era=era, engine=engine)
    assert len(duck.values) > 1000
    pd.testing.assert_frame_equal(_sorted(duck.values), _sorted(sparked.values), check_exact=True)
    by = ["unit", "period"]
    pd.testing.assert_frame_equal(
        duck.underived.sort_values(by).reset_index(drop=True), sparked.underived.sort_values(by).reset_index(drop=True)
    )
    assert {eval_lineage(v) for v in sparked.values["lineage"]} == {"spark"}


def eval_lineage(text: str) -> str:
    import json

    return json.loads(text)["engine"]
