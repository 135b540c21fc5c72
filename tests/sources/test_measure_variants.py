"""Several variants of a measure set measured together (`measure_variants`), as the Decision 766 index
does: each variant's values are exactly what `measure` gives for it alone, on both engines, with old
units mapped (and split ones underived) and records with several versions read as of each state.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from chiso.clock import VIETNAM, FixedClock
from chiso.service766.compute import variants
from chiso.sources.compiler import EngineError, compile_at_units
from chiso.sources.engines import SparkEngine
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Aggregate, Grain, MeasureSet, Variable, load_measures
from chiso.sources.schemas import get_source
from chiso.sources.service import measure, measure_variants
from chiso.sources.versions import History

CLOCK = FixedClock(dt.datetime(2026, 1, 5, 9, tzinfo=VIETNAM))  # computed_at is in every value row
GRAINS = [Grain.MONTH, Grain.YEAR]


@pytest.fixture(scope="module")
def changed(lake: Lake, tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """The simulated lake (2024–2025, both eras) and a later file of new versions of 200 of its dossiers:
    open ones resolved, resolved ones rejected, some moved to another month."""
    root = tmp_path_factory.mktemp("changed")
    copy = Lake(root / "var", CLOCK)
    for source in ("dossiers", "procedures"):
        target = copy.records_dir(source)
        target.mkdir(parents=True)
        for part in lake.parts(source):
            (target / part.name).symlink_to(part.resolve())
    fields = [f.name for f in get_source("dossiers").fields]
    kept = ", ".join(f'"{f}"' for f in fields if f not in ("status", "resolved_at", "result_delivery", "updated_at"))
    path = root / "dossiers-changes.parquet"
    parts = [str(p) for p in lake.parts("dossiers")]
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT {kept},
            CASE WHEN status = 'resolved' THEN 'rejected' ELSE 'resolved' END AS status,
            CASE WHEN status = 'resolved' THEN resolved_at ELSE received_at + INTERVAL 40 DAY END AS resolved_at,
            'online' AS result_delivery,
            received_at + INTERVAL 45 DAY AS updated_at
          FROM read_parquet({parts!r})
          WHERE status IN ('processing', 'resolved') AND received_at < TIMESTAMP '2025-12-01'
          ORDER BY hash(id) LIMIT 200
        ) TO '{path}' (FORMAT parquet)
        """
    )
    con.close()
    report = ingest_file(path, "dossiers", lake=copy)
    assert report.status == "ingested" and report.updated == 200, report
    return copy


def _sets() -> dict[str, MeasureSet]:
    """The 766 variants, and the sets of two other frameworks placed by province as well (documents and
    staff rosters among their sources, distinct counts of several columns in one query)."""
    sets = variants(load_measures("service-766"))
    intake = sets["unit"].measures[2]
    channels = Variable(name="channels", aggregate=Aggregate.COUNT_DISTINCT, column="channel")
    two_columns = intake.model_copy(update={"variables": (*intake.variables, channels)})  # distinct of two columns
    sets["two distinct columns"] = sets["unit"].model_copy(update={"measures": (two_columns,)})
    for code in ("service-2025", "commune-2025"):
        written = load_measures(code)
        by_province = tuple(m.model_copy(update={"unit": "province"}) for m in written.measures)
        sets |= {code: written, f"{code} by province": written.model_copy(update={"measures": by_province})}
    return sets


def _sorted(underived: pd.DataFrame) -> pd.DataFrame:
    """Unit-periods not derived, in a fixed order (an engine returns groups in any order)."""
    return underived.sort_values(["unit", "period"]).reset_index(drop=True)


@pytest.mark.parametrize(("era", "as_of"), [("2025", None), ("2025", "latest"), (None, "2025-06-30"), (None, None)])
def test_each_variant_measured_together_is_what_it_is_alone(changed: Lake, era: str | None, as_of: str | None):
    sets = _sets()
    together = measure_variants(lake=changed, variants=sets, grains=GRAINS, era=era, as_of=as_of, province="19")
    assert set(together) == set(sets)
    for name, measures in sets.items():
        alone = measure(lake=changed, measures=measures, grains=GRAINS, era=era, as_of=as_of, province="19")
        assert len(alone.values) > 0, name
        pd.testing.assert_frame_equal(together[name].values, alone.values, check_exact=True, obj=name)
        pd.testing.assert_frame_equal(_sorted(together[name].underived), _sorted(alone.underived), obj=name)
        assert together[name].notes == alone.notes
    if era is not None:  # communes that took part of a split one have no values before 1/7/2025
        assert len(together["unit"].underived) > 0


@pytest.mark.parametrize(("since", "until"), [("2025-07-01", "2025-10-01"), ("2025-11-01", None), (None, "2024-04-01")])
def test_variants_in_a_window_read_the_parts_measure_reads(changed: Lake, since: str | None, until: str | None):
    """The parts read are those whose time range meets the window (the lake's index), as `measure` reads them."""
    sets = _sets()
    together = measure_variants(lake=changed, variants=sets, grains=GRAINS, since=since, until=until)
    for name, measures in sets.items():
        alone = measure(lake=changed, measures=measures, grains=GRAINS, since=since, until=until)
        pd.testing.assert_frame_equal(together[name].values, alone.values, check_exact=True, obj=name)
        assert together[name].notes == alone.notes
    assert len(together["unit"].values) > 0


def test_spark_measures_variants_together_as_duckdb_does(changed: Lake, spark):
    sets = _sets()
    columns = ["unit", "unit_era", "variable", "period", "value", "records", "first_record_at", "last_record_at"]
    for as_of in (None, "latest"):
        duck = measure_variants(lake=changed, variants=sets, grains=GRAINS, as_of=as_of)
        sparked = measure_variants(
            lake=changed, variants=sets, grains=GRAINS, as_of=as_of, engine=SparkEngine(session=spark)
        )
        for name in sets:
            assert len(duck[name].values) > 0
            pd.testing.assert_frame_equal(
                duck[name].values[columns], sparked[name].values[columns], check_exact=True, obj=name
            )


def test_a_query_places_records_by_each_unit_column_once():
    intake = load_measures("service-766").measures[2]
    units = ("receiving_unit", "province")
    for dialect in ("duckdb", "spark"):
        plain = compile_at_units({"intake": intake}, units, Grain.MONTH, era="2025", history=History.NONE)
        assert plain.sql(dialect, dialect).count("GROUPING SETS") == 1
        assert plain.sql(dialect, dialect).count("FROM dossiers") == 1
        versioned = compile_at_units({"intake": intake}, units, Grain.MONTH, era="2025").sql(dialect, dialect)
        assert versioned.count("LEAD(") == 1  # versions resolved once, whatever the number of unit columns
        indexed = compile_at_units({"intake": intake}, units, Grain.MONTH, era="2025", history=History.INDEXED)
        indexed_sql = indexed.sql(dialect, dialect)
        assert "LEAD(" not in indexed_sql and indexed_sql.count("dossiers__validity") == 1  # the index's validity
    with pytest.raises(EngineError, match="distinct unit columns"):
        compile_at_units({"intake": intake}, ("province", "province"), Grain.MONTH)
    outcome = load_measures("service-766").measures[3]
    with pytest.raises(EngineError, match="share source and time"):
        compile_at_units({"intake": intake, "outcome": outcome}, ("province",), Grain.MONTH)


def test_a_variant_without_records_of_its_source_says_so(tmp_path: Path, lake: Lake):
    only_dossiers = Lake(tmp_path / "var", CLOCK)
    target = only_dossiers.records_dir("dossiers")
    target.mkdir(parents=True)
    for part in lake.parts("dossiers"):
        (target / part.name).symlink_to(part.resolve())
    sets = variants(load_measures("service-766"))
    together = measure_variants(lake=only_dossiers, variants=sets, grains=[Grain.YEAR])
    for name, measures in sets.items():
        alone = measure(lake=only_dossiers, measures=measures, grains=[Grain.YEAR])
        assert together[name].notes == alone.notes and together[name].notes
        pd.testing.assert_frame_equal(together[name].values, alone.values, check_exact=True)
