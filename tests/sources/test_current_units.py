"""A month after 1/7/2025 is measured without the unit map when the row groups it reads hold records of
2025 units only (the lake's summaries and footers say so): the same values as with the map, a third less
work for an incremental re-measure. A window that reaches back before the break still maps old codes.

The lake holds the shared simulated files of Thái Nguyên for 2024 and 2025 in small row groups (as a large
lake has them): the 2025 part names old (2024) units until 30/6/2025 and new ones after.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chiso.sources import ingest as ingest_module
from chiso.sources.engines import DuckDBEngine, SparkEngine
from chiso.sources.index import read_index
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, load_measures
from chiso.sources.service import measure

MEASURES = load_measures("service-2025")
AFTER = ("2025-11-01", "2026-01-01")
ACROSS = ("2025-06-01", "2025-08-01")


@pytest.fixture(scope="module")
def lake(simulated: Path, tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = Lake(tmp_path_factory.mktemp("groups"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_module, "ROW_GROUP_ROWS", 2048)
        for path in sorted(simulated.glob("dossiers-*.parquet")):
            assert ingest_file(path, "dossiers", lake=lake).status == "ingested"
    return lake


class Recording(DuckDBEngine):
    """DuckDB that keeps the SQL of every query it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []

    def run(self, query):  # type: ignore[no-untyped-def]
        self.ran.append(self.prepare(query))
        return super().run(query)


def _months(values: pd.DataFrame, window: tuple[str, str]) -> pd.DataFrame:
    chosen = values[(values["period"] >= window[0][:7]) & (values["period"] < window[1][:7])]
    return chosen.drop(columns=["lineage", "computed_at"]).reset_index(drop=True)


def test_the_summaries_know_which_parts_name_old_units(lake: Lake):
    parts = read_index(lake, "dossiers").parts
    eras = [p.eras for p in parts]
    assert ("2024", "2025") in eras  # the 2025 file: old codes before the break, new after
    assert ("2024", "2024") in eras
    across = next(p for p in parts if p.eras == ("2024", "2025"))
    low, high = across.older["received_at"]  # the row groups that may name old units (2,048 records each)
    assert low.startswith("2025-01") and "2025-07-01" <= high < AFTER[0]
    assert across.on_current_units("received_at", *AFTER)
    assert not across.on_current_units("received_at", *ACROSS)


@pytest.mark.parametrize("window", [AFTER, ACROSS], ids=["after the break", "across the break"])
def test_a_window_after_the_break_needs_no_unit_map_and_gives_the_same_values(lake: Lake, window):
    full = Recording()
    everything = measure(lake=lake, measures=MEASURES, grains=[Grain.MONTH], as_of="latest", engine=full).values
    assert all("unit_map" in sql for sql in full.ran)  # every month: the 2024 part is read
    windowed = Recording()
    since, until = window
    values = measure(
        lake=lake, measures=MEASURES, grains=[Grain.MONTH], as_of="latest", engine=windowed, since=since, until=until
    ).values
    mapped = ["unit_map" in sql for sql in windowed.ran]
    assert mapped and (not any(mapped) if window == AFTER else all(mapped))
    assert len(_months(values, window)) > 100
    pd.testing.assert_frame_equal(_months(values, window), _months(everything, window), check_exact=True)
    full.close(), windowed.close()


def test_spark_gives_the_same_values_without_the_map(lake: Lake, spark):
    engine = SparkEngine(session=spark)
    since, until = AFTER
    sparked = measure(lake=lake, measures=MEASURES, grains=[Grain.MONTH], as_of="latest", engine=engine,
                      since=since, until=until).values  # fmt: skip
    duck = measure(lake=lake, measures=MEASURES, grains=[Grain.MONTH], as_of="latest", since=since, until=until).values
    pd.testing.assert_frame_equal(_months(sparked, AFTER), _months(duck, AFTER), check_exact=True)
