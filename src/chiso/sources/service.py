"""Measured values from the lake: the service the CLI calls, and the values store will take over.

`measure` returns a long table, one row per unit, variable and period:

    unit, variable, period, value, source ("measured"), measure, measure_version, records, computed_at,
    lineage, unit_era, simulated, first_record_at, last_record_at

which `chiso score --values` reads as it is. `lineage` (a JSON text) names the definition and its
version, the engine, the lake snapshot, the filter and the state read (`as_of`: "period end", "latest" or
a time); `records` is the number of records behind the
value; `explain` lists them by ingested file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot.expressions as exp

from chiso.clock import VIETNAM
from chiso.sources.compiler import (
    LATEST,
    NEW_ERA,
    PERIOD_KEY,
    PLACEMENT,
    UNIT,
    UNIT_ERA,
    UNIT_MAP,
    EngineError,
    Query,
    compile_at_units,
    compile_measure,
    compile_measures,
    filter_sql,
)
from chiso.sources.conditions import compile_condition
from chiso.sources.engines import DuckDBEngine, Engine, make_engine
from chiso.sources.frames import (
    SORTED_BY,
    VALUE_COLUMNS,
    MeasuredValues,
    grain_of,
    long_values,
    measured_values,
)
from chiso.sources.index import SourceIndex, read_index
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, Measure, MeasureSet, Ratio
from chiso.sources.schemas import SourceError, catalog, get_source
from chiso.sources.unitmap import unit_map_table
from chiso.sources.versions import History, changed_table, validity, validity_table, versions_table
from chiso.values.schemas import ValueIn

PERIOD_END = "period end"


def _definition_hash(measures: MeasureSet) -> str:
    return hashlib.sha256(measures.to_yaml().encode()).hexdigest()[:12]


def measure(
    *,
    lake: Lake,
    measures: MeasureSet,
    grains: Sequence[Grain] = (Grain.YEAR,),
    era: str | None = NEW_ERA,
    engine: str | Engine = "duckdb",
    province: str | None = None,
    since: str | None = None,
    until: str | None = None,
    spark_master: str | None = None,
    spark_conf: Mapping[str, str] | None = None,
    as_of: str | None = None,
) -> MeasuredValues:
    """Compute every measure of the set for every unit and period of the chosen grains.

    `era=None` puts each value on the unit its records carry (old codes before 1/7/2025); `era="2025"`
    puts every period on 2025 units through the whole links of the succession map (see `unitmap`).
    `since` / `until` (ISO dates) keep only records timed in [since, until). `as_of`: which version of
    each record counts: None, the one valid when each period ended (a past period measured again gives
    the figures it gave then); "latest", the newest; an ISO date (its end) or time, the one valid then.
    """
    cut_off = _cut_off(as_of)
    _check_days(since, until)
    notes: list[str] = []
    computed_at = lake.clock.now().isoformat(timespec="seconds")
    snapshot = lake.snapshot(measures.sources)
    files = _ingested_files(lake)
    definition_sha = _definition_hash(measures)
    frames = []
    indexes = {source: read_index(lake, source) for source in measures.sources}
    # Opened last, right before the block that closes it: anything above may raise (a damaged index).
    runner = (
        make_engine(engine, spark_master=spark_master, spark_conf=spark_conf) if isinstance(engine, str) else engine
    )
    try:
        groups: dict[tuple[str, str, str], list[Measure]] = {}
        for m in measures.measures:  # measures sharing source, unit and time are computed in one scan
            groups.setdefault((m.source, m.unit, m.time), []).append(m)
        queries = [
            compile_measures(
                group, grain, era=era, since=since, until=until, as_of=cut_off, history=index.history,
                mapped=_maps_units(index, group[0].time, since, until),
            )
            for group in groups.values()
            for index in [indexes[group[0].source]]
            for grain in grains
        ]  # fmt: skip
        for query in queries:  # every definition must compile for this engine before anything runs
            runner.prepare(query)
        read_notes = _bind(runner, lake, measures.sources, indexes)
        notes += [note for source in measures.sources for note in read_notes[source]]
        bound = Bound({source: indexes[source].paths for source in measures.sources if indexes[source].parts})
        for query in queries:
            result = _run_in_window(runner, query, indexes, bound, since, until)
            if result is None:
                continue
            for m in query.measures:
                lineage = _lineage(
                    lake, measures, m, query.grain, era=era, engine=runner.name, snapshot=snapshot, files=files,
                    definition_sha=definition_sha, since=since, until=until, as_of=as_of,
                )  # fmt: skip
                frames.append(long_values(result, m, query.grain, measures, computed_at, lineage))
    finally:
        if isinstance(engine, str):
            runner.close()
    return measured_values(frames, grains, era=era, province=province, since=since, notes=notes)


def measure_variants(
    *,
    lake: Lake,
    variants: Mapping[str, MeasureSet],
    grains: Sequence[Grain] = (Grain.YEAR,),
    era: str | None = NEW_ERA,
    engine: str | Engine = "duckdb",
    province: str | None = None,
    since: str | None = None,
    until: str | None = None,
    spark_master: str | None = None,
    spark_conf: Mapping[str, str] | None = None,
    as_of: str | None = None,
    columns: Sequence[str] = VALUE_COLUMNS,
) -> dict[str, MeasuredValues]:
    """`measure` of several measure sets at once: for each, what `measure` returns for it alone.

    For variants of one set (its measures placed on other unit columns, or filtered further), as the
    Decision 766 index computes them: the lake is bound once, and each source and time column is read by
    one query (`compile_at_units`) placing records on every unit column the variants name, a definition
    that several variants share computed once. `columns`: the value columns wanted, of `VALUE_COLUMNS`
    (a caller that keeps its own lineage need not have it written out for every value).
    """
    unknown = [c for c in columns if c not in VALUE_COLUMNS]
    if unknown:
        raise SourceError(f"measured values have no column {', '.join(unknown)}; they have {', '.join(VALUE_COLUMNS)}")
    built = [c for c in VALUE_COLUMNS if c in columns or c in SORTED_BY]  # sorting and choosing need these
    cut_off = _cut_off(as_of)
    _check_days(since, until)
    sources = sorted({source for variant in variants.values() for source in variant.sources})
    indexes = {source: read_index(lake, source) for source in sources}
    definitions: dict[tuple[str, str], dict[str, Measure]] = {}  # (source, time) → column prefix → measure
    units: dict[tuple[str, str], list[str]] = {}  # (source, time) → the unit columns records are placed by
    prefixes: dict[tuple[str, str], str] = {}  # (variant, measure code) → the prefix of its columns
    for name, variant in variants.items():
        for m in variant.measures:
            group = (m.source, m.time)
            shared = definitions.setdefault(group, {})
            prefixes[name, m.code] = prefix = _prefix(shared, m)
            shared.setdefault(prefix, m)
            if m.unit not in units.setdefault(group, []):
                units[group].append(m.unit)
    queries = {
        (group, grain): compile_at_units(
            shared, units[group], grain, era=era, since=since, until=until, as_of=cut_off,
            history=indexes[group[0]].history, mapped=_maps_units(indexes[group[0]], group[1], since, until),
        )
        for group, shared in definitions.items()
        for grain in grains
    }  # fmt: skip
    computed_at = lake.clock.now().isoformat(timespec="seconds")
    files = _ingested_files(lake)
    frames: dict[str, list[pd.DataFrame]] = {name: [] for name in variants}
    runner = (
        make_engine(engine, spark_master=spark_master, spark_conf=spark_conf) if isinstance(engine, str) else engine
    )
    try:
        for query in queries.values():  # every definition must compile for this engine before anything runs
            runner.prepare(query)
        read_notes = _bind(runner, lake, sources, indexes)
        bound = Bound({source: indexes[source].paths for source in sources if indexes[source].parts})
        results = {key: _run_in_window(runner, query, indexes, bound, since, until) for key, query in queries.items()}
    finally:
        if isinstance(engine, str):
            runner.close()
    for name, variant in variants.items():
        if "lineage" in built:
            snapshot, definition_sha = lake.snapshot(variant.sources), _definition_hash(variant)
        placements: dict[tuple[str, str, str], list[Measure]] = {}  # in `measure`'s order, so its notes' too
        for m in variant.measures:
            placements.setdefault((m.source, m.unit, m.time), []).append(m)
        for (source, unit, time), placed in placements.items():
            for grain in grains:
                result = results.get(((source, time), grain))
                if result is None:
                    continue
                rows = result[result[PLACEMENT] == unit] if PLACEMENT in result else result
                for m in placed:
                    lineage = "" if "lineage" not in built else _lineage(
                        lake, variant, m, grain, era=era, engine=runner.name, snapshot=snapshot, files=files,
                        definition_sha=definition_sha, since=since, until=until, as_of=as_of,
                    )  # fmt: skip
                    prefix = prefixes[name, m.code]
                    long = long_values(rows, m, grain, variant, computed_at, lineage, prefix=prefix, columns=built)
                    frames[name].append(long)
    return {
        name: measured_values(
            frames[name], grains, era=era, province=province, since=since, columns=columns,
            notes=[note for source in variant.sources for note in read_notes[source]],
        )
        for name, variant in variants.items()
    }  # fmt: skip


def _prefix(shared: Mapping[str, Measure], m: Measure) -> str:
    """The prefix of a measure's columns in its query: that of the same definition placed otherwise, else new."""
    for prefix, other in shared.items():
        if (other.code, other.where, other.variables) == (m.code, m.where, m.variables):
            return prefix
    return m.code if m.code not in shared else f"{m.code}~{len(shared)}"  # "~" is in no measure code


def _check_days(since: str | None, until: str | None) -> None:
    for day in (since, until):
        if day is not None:
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise SourceError(f"{day!r} is not a date (YYYY-MM-DD)") from None


def _lineage(
    lake: Lake,
    measures: MeasureSet,
    m: Measure,
    grain: Grain,
    *,
    era: str | None,
    engine: str,
    snapshot: str,
    files: Mapping[str, list[dict[str, str]]],
    definition_sha: str,
    since: str | None,
    until: str | None,
    as_of: str | None,
) -> str:
    """The lineage (JSON) of one measure's values in one grain: see `value_lineage`."""
    return json.dumps(
        {
            "set": measures.code,
            "version": measures.version,
            "definition_sha": definition_sha,
            "measure": m.code,
            "source": m.source,
            "source_schema_version": catalog().version,
            "grain": grain.value,
            "units": era or "recorded",
            "engine": engine,
            "lake_snapshot": snapshot,
            "lake_parts": len(lake.parts(m.source)),
            "files": files.get(m.source, []),
            "filter": filter_sql(m),
            "since": since,
            "until": until,
            "as_of": as_of or PERIOD_END,
        },
        ensure_ascii=False,
    )


def _cut_off(as_of: str | None) -> str | None:
    """`as_of` for the compiler: None, LATEST, or the exclusive cut-off (local time) of a date or time."""
    if as_of is None or as_of == LATEST:
        return as_of
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        pass
    else:
        return f"{day + dt.timedelta(days=1)} 00:00:00"
    try:
        moment = dt.datetime.fromisoformat(as_of)
    except ValueError:
        raise SourceError(
            f"Thời điểm không hợp lệ — as of {as_of!r}: write latest, a date (2025-03-31) or a time "
            "(2025-03-31T17:00:00, local time)"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(VIETNAM).replace(tzinfo=None)
    return (moment + dt.timedelta(microseconds=1)).isoformat(sep=" ", timespec="microseconds")


def _ingested_files(lake: Lake) -> dict[str, list[dict[str, str]]]:
    """The files ingested into the lake, by source: name (no folder) and SHA-256, what values are counted from."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for report in lake.reports():
        if report.get("status") == "ingested":
            sha = str(report.get("sha256"))
            name = PurePath(str(report.get("file"))).name
            found.setdefault(str(report.get("source")), {})[sha] = {"file": name, "sha256": sha}
    return {source: sorted(files.values(), key=lambda f: f["file"]) for source, files in found.items()}


def value_lineage(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The lineage a measured value carries into the value store: its run's lineage and its own counts.

    Keys: set, version, measure (set:code), measure_version, records, computed_at, period, grain, units,
    unit_era, since, until, first_record_at, last_record_at, simulated, files, lake_parts, lake_snapshot,
    engine, definition_sha, filter, source, source_schema_version.
    """
    return {
        **json.loads(row["lineage"]),
        "measure": str(row["measure"]),
        "measure_version": int(row["measure_version"]),
        "records": int(row["records"]),
        "computed_at": str(row["computed_at"]),
        "period": str(row["period"]),
        "unit_era": str(row["unit_era"]),
        "simulated": bool(row["simulated"]),
        "first_record_at": row["first_record_at"] if isinstance(row["first_record_at"], str) else None,
        "last_record_at": row["last_record_at"] if isinstance(row["last_record_at"], str) else None,
    }


def values_in(values: pd.DataFrame) -> list[ValueIn]:
    """Measured values (the `values` of `measure`) as value-store inputs with source `measured` and lineage."""
    return [
        ValueIn(
            era=str(row["unit_era"]),  # the era the records were placed in: a unit is (era, code)
            unit_code=str(row["unit"]),
            variable=str(row["variable"]),
            period=str(row["period"]),
            value=float(row["value"]),
            source="measured",
            lineage=value_lineage(row),
        )
        for row in values.to_dict(orient="records")
    ]


def _parts_in_window(index: SourceIndex, time: str, since: str | None, until: str | None) -> list[Path]:
    """The parts a query timed by `time` in [since, until) must read: those whose range of `time` meets
    the window (their summaries say). Without the version index every part is read: the window over a
    record's versions needs them all."""
    if (since is None and until is None) or index.history is History.WINDOW:
        return index.paths
    return index.within(time, since, until)


@dataclass
class Bound:
    """What an engine has bound in one run: the parts of each source bound, the unit map once a query needs
    it (reading the succession map costs as much as a month's query; a month after the break needs none)."""

    parts: dict[str, list[Path]]
    unit_map: bool = False


def _maps_units(index: SourceIndex, time: str, since: str | None, until: str | None) -> bool:
    """Whether a query timed by `time` in [since, until) may read records that name units of before
    1/7/2025 (which era 2025 maps), by the summaries and footers of the parts it reads."""
    return not index.on_current_units(_parts_in_window(index, time, since, until), time, since, until)


def _run_in_window(
    runner: Engine,
    query: Query,
    indexes: Mapping[str, SourceIndex],
    bound: Bound,
    since: str | None,
    until: str | None,
) -> pd.DataFrame | None:
    """Run a query over the parts of its source that can hold its records (`_parts_in_window`), binding
    them anew only when they differ from the parts bound (`bound`: updated), and the unit map when it is
    the first to need it; None when its source has no records or no part meets the window."""
    source = query.measure.source
    if source not in bound.parts:
        return None
    parts = _parts_in_window(indexes[source], query.measure.time, since, until)
    if not parts:
        return None  # no part holds a record timed in the window: no values
    if parts != bound.parts[source]:
        runner.bind(source, [str(p) for p in parts])
        bound.parts[source] = parts
    if query.uses_unit_map and not bound.unit_map:
        runner.bind_rows(UNIT_MAP, unit_map_table())
        bound.unit_map = True
    result: pd.DataFrame = runner.run(query).to_pandas()
    return result


def bind_records(runner: Engine, index: SourceIndex) -> list[str]:
    """Bind a source's parts and what gives their versions validity (see `versions.records`, which reads
    them the way `index.history` says); returns a note when that is the slow way."""
    source = index.source
    runner.bind(source, [str(p) for p in index.paths])
    if index.history is History.INDEXED:
        runner.bind(versions_table(source), [str(p) for p in index.version_files])
        runner.bind_query(validity_table(source), validity(source, get_source(source)))
    elif index.history is History.WINDOW:
        runner.bind(changed_table(source), [str(p) for p in index.changed])
        return [
            f"the {source} records have new versions but no version index (a lake written before it): every "
            "part is read to find the versions; ingest the files again into a new data directory to build it"
        ]
    return []


def _bind(
    runner: Engine, lake: Lake, sources: Sequence[str], indexes: Mapping[str, SourceIndex]
) -> dict[str, list[str]]:
    """Bind the records of each source that has some; returns each source's notes, in the order of
    `sources`: how its versions are read, or that it has none (its measures skipped)."""
    return {
        source: bind_records(runner, indexes[source]) if indexes[source].parts else [_no_records(lake, source)]
        for source in sources
    }


def _no_records(lake: Lake, source: str) -> str:
    return f"no {source} records in {lake.root} (run `chiso sources ingest`); its measures are skipped"


def explain(
    *,
    lake: Lake,
    measures: MeasureSet,
    unit: str,
    variable: str,
    period: str,
    era: str | None = NEW_ERA,
    unit_era: str | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    sample: int = 5,
) -> dict[str, Any]:
    """Where one measured value comes from: definition, filter, and its records by ingested file.

    With `era=None` (values on recorded units) a code used in both eras needs `unit_era`. The records
    are the versions read as of `as_of` (see `measure`): a late correction shows under the file it came in.
    """
    m = measures.measure_of(variable)
    grain, key = grain_of(period)
    indexes = {source: read_index(lake, source) for source in measures.sources}
    query = compile_measure(
        m, grain, era=era, since=since, until=until, as_of=_cut_off(as_of), history=indexes[m.source].history
    )
    item = m.variable(variable)
    engine = DuckDBEngine()
    try:
        if not lake.parts(m.source):
            raise SourceError(f"no {m.source} records in {lake.root}; run `chiso sources ingest` first")
        _bind(engine, lake, measures.sources, indexes)
        if query.uses_unit_map:
            engine.bind_rows(UNIT_MAP, unit_map_table())
        tree = _records_tree(query, item.name if not isinstance(item, Ratio) else item.numerator)
        sql = tree.sql(dialect="duckdb")
        rows = engine.con.execute(
            f"""
            SELECT __era, _ingest, count(*) AS records, sum(__in) AS in_variable,
                   list(id ORDER BY _row)[1:{int(sample)}] AS sample_ids
            FROM ({sql}) r WHERE __unit = ? AND __key = ? GROUP BY __era, _ingest ORDER BY __era, _ingest
            """,
            [unit, key],
        ).fetchall()
    finally:
        engine.close()
    eras = sorted({row[0] for row in rows})
    if unit_era is None and len(eras) > 1:
        raise SourceError(f"unit code {unit} has records of both eras in {period}; say which (unit era 2024 or 2025)")
    rows = [row[1:] for row in rows if unit_era is None or row[0] == unit_era]
    reports = {r["ingest_id"]: r for r in lake.reports()}
    batches = [
        {
            "ingest_id": ingest,
            "file": reports.get(ingest, {}).get("file", "?"),
            "sha256": reports.get(ingest, {}).get("sha256", "?"),
            "ingested_at": reports.get(ingest, {}).get("finished_at", "?"),
            "records": int(records),
            "counted": int(counted or 0),
            "sample_ids": list(ids),
        }
        for ingest, records, counted, ids in rows
    ]
    values = measure(
        lake=lake, measures=measures, grains=(grain,), era=era, since=since, until=until, as_of=as_of
    ).values
    cell = values[(values["unit"] == unit) & (values["variable"] == variable) & (values["period"] == period)]
    if unit_era is not None:
        cell = cell[cell["unit_era"] == unit_era]
    return {
        "unit": unit,
        "variable": variable,
        "period": period,
        "value": float(cell["value"].iloc[0]) if len(cell) else None,
        "records": int(cell["records"].iloc[0]) if len(cell) else 0,
        "definition": {"set": measures.code, "version": measures.version, "measure": m.code, "name": m.name},
        "variable_definition": item.model_dump(mode="json", by_alias=True, exclude_none=True),
        "filter": filter_sql(m),
        "units": era or "recorded",
        "as_of": as_of or PERIOD_END,
        "unit_era": unit_era or (eras[0] if eras else None),
        "lake_snapshot": lake.snapshot([m.source]),
        "batches": batches,
    }


def _records_tree(query: Query, variable: str) -> exp.Select:
    """The records of the measure with their unit and period key, and whether each counts for `variable`."""
    tree = query.tree.copy()
    projections = {e.alias: e.this for e in tree.expressions}
    flag: exp.Expression = exp.Literal.number(1)
    for v in query.measure.variables:
        if v.name == variable and v.where is not None:
            cond = compile_condition(v.where, lambda c: exp.column(c, table="s", quoted=True))
            flag = exp.Case().when(cond, exp.Literal.number(1)).else_(exp.Literal.number(0))
    tree.set(
        "expressions",
        [
            exp.Column(this=exp.Star(), table=exp.to_identifier("s")),
            exp.alias_(projections[UNIT], "__unit"),
            exp.alias_(projections[UNIT_ERA], "__era"),
            exp.alias_(projections[PERIOD_KEY], "__key"),
            exp.alias_(flag, "__in"),
        ],
    )
    tree.set("group", None)
    return tree


def quarantine(*, lake: Lake, source: str | None = None, ingest_id: str | None = None) -> pd.DataFrame:
    """Rejected records with their reasons (one row each), newest files last."""
    files = lake.quarantine_files(source)
    if ingest_id:
        files = [f for f in files if f.stem == ingest_id]
    columns = ["source", "file", "ingest_id", "row", "reason", "record"]
    if not files:
        return pd.DataFrame(columns=columns)
    frame: pd.DataFrame = pa.concat_tables([pq.read_table(f) for f in files]).to_pandas()
    ordered: pd.DataFrame = frame.sort_values(["source", "file", "row"], kind="stable").reset_index(drop=True)
    return ordered[columns]


__all__ = ["VALUE_COLUMNS", "EngineError", "MeasuredValues", "explain", "measure", "measure_variants", "quarantine"]
