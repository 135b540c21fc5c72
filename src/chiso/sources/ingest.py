"""Ingest source files into the lake: check every record, quarantine the bad ones, append the rest once.

One file at a time, streaming: batches are typed and checked by DuckDB (`checks.py`), valid records go
to a staging Parquet file and rejected ones, with their reasons, to a staging quarantine file. Each
record is a version of the record with its id: it gets its start (`_valid_from`: its `updated_at`, else
the ingestion time) and the hash of its fields; a version already in the lake (same id, same hash) or
earlier in the same file is dropped, every other one is kept beside the earlier versions. The results
appear by atomic renames in this order: quarantine, records (the commit), report. A file that fails
half way leaves nothing behind; a file ingested before is recognised by its hash and adds nothing.
"""

from __future__ import annotations

import collections
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from chiso import units
from chiso.clock import VIETNAM
from chiso.sources.checks import q, validation_sql
from chiso.sources.index import (
    ORDER_COLUMNS,
    VERSIONS_KEY,
    index_versions,
    overlaps,
    read_index,
    summarise,
    write_summaries,
)
from chiso.sources.lake import Lake, atomic_write, file_sha256
from chiso.sources.readers import BATCH_ROWS, Broken, file_format, open_batches
from chiso.sources.schemas import FieldType, Source, SourceError, catalog, get_source

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("file", pa.string()),
        ("ingest_id", pa.string()),
        ("row", pa.int64()),
        ("reason", pa.string()),
        ("record", pa.string()),
    ]
)
MEMORY_LIMIT = "3GB"
ROW_GROUP_ROWS = 122_880  # rows per row group of a part: the unit a time filter can skip


@dataclass
class IngestReport:
    ingest_id: str
    source: str
    file: str
    sha256: str
    format: str
    status: str = "ingested"  # ingested | already ingested | failed
    schema_version: int = 0
    rows: int = 0
    added: int = 0  # versions added (new records and new versions of records already in the lake)
    updated: int = 0  # of which new versions of a record already in the lake or earlier in the file
    duplicates: int = 0  # versions already in the lake or earlier in the file
    quarantined: int = 0
    simulated: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Per timestamp field, the span of its values over the versions added and the lake's versions of the
    # same records: the times whose periods can measure differently now (`changes.changed_window`).
    touched: dict[str, list[str]] = field(default_factory=dict)
    error: str = ""
    started_at: str = ""
    finished_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@functools.cache
def _units_table() -> pa.Table:
    rows = [(u.era.value, u.code, u.kind.value, u.province_code) for u in units.list_units()]
    era, code, kind, province = zip(*rows, strict=True)
    return pa.table(
        {"__u_era": list(era), "__u_code": list(code), "__u_kind": list(kind), "__u_province": list(province)}
    )


def connect(memory_limit: str = MEMORY_LIMIT, temp_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": 2})
    if temp_dir is not None:
        con.execute(f"SET temp_directory = '{temp_dir}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def ingest_file(
    path: Path, source_name: str, *, lake: Lake, force: bool = False, batch_rows: int = BATCH_ROWS
) -> IngestReport:
    """Ingest one file; returns its report (also stored in the lake). Never raises for bad records."""
    source = get_source(source_name)
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: file not found")
    sha = file_sha256(path)
    ingest_id = f"{source_name}-{sha[:16]}"
    report = IngestReport(ingest_id, source_name, str(path.resolve()), sha, file_format(path))
    report.schema_version = catalog().version
    report.started_at = _now(lake)
    previous = lake.read_report(ingest_id)
    if previous and previous["status"] == "ingested" and not force:
        report.status = "already ingested"
        report.rows = previous["rows"]
        report.duplicates = previous["rows"] - previous["quarantined"]
        report.notes = [f"ingested before, at {previous['finished_at']}; nothing added"]
        report.finished_at = _now(lake)
        return report
    staging = lake.staging()
    try:
        _stage(path, source, report, staging, batch_rows)
        con = connect(temp_dir=staging)
        try:
            _commit(con, lake, source_name, report, staging)
        finally:
            con.close()
    except (SourceError, OSError, pa.ArrowException, duckdb.Error, UnicodeDecodeError) as exc:
        report.status = "failed"
        report.error = str(exc).splitlines()[0]
        report.added = report.duplicates = 0
        report.finished_at = _now(lake)
        return report
    finally:
        lake.discard(staging)
    report.finished_at = _now(lake)
    lake.write_report(report.to_dict())
    return report


def _now(lake: Lake) -> str:
    return lake.clock.now().isoformat(timespec="seconds")


def _local_now(lake: Lake) -> str:
    """The ingestion time in local time without offset, like the records' own timestamps."""
    return lake.clock.now().astimezone(VIETNAM).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _stage(path: Path, source: Source, report: IngestReport, staging: Path, batch_rows: int) -> None:
    opened = open_batches(path, batch_rows)
    known = {f.name for f in source.fields}
    missing = [f.name for f in source.fields if f.required and f.name not in opened.columns]
    if missing and opened.columns:
        raise SourceError(f"{path}: required columns missing: {', '.join(missing)}")
    extra = [c for c in opened.columns if c not in known]
    if extra:
        report.notes.append(f"columns not in the {source.name_en.lower()} schema, ignored: {', '.join(extra)}")
    good_writer: pq.ParquetWriter | None = None
    bad_writer = pq.ParquetWriter(staging / "quarantine.parquet", QUARANTINE_SCHEMA, compression="zstd")
    reasons: collections.Counter[str] = collections.Counter()
    con = connect(memory_limit="1GB", temp_dir=staging)
    con.register("units", _units_table())
    queries: dict[pa.Schema, str] = {}
    schema = source.arrow_schema()
    try:
        for table, broken in opened.batches:
            report.rows += table.num_rows + len(broken)
            _write_broken(bad_writer, broken, source, report, reasons)
            if table.num_rows == 0:
                continue
            table = table.select([c for c in table.column_names if c in known or c == "_row"])
            sql = queries.setdefault(table.schema, validation_sql(source, table.schema))
            con.register("batch", table)
            checked = con.sql(sql).to_arrow_table()
            con.unregister("batch")
            ok = pa.compute.equal(checked["_reason"], "")
            good = checked.filter(ok)
            bad = checked.filter(pa.compute.invert(ok))
            if bad.num_rows:
                for text in bad["_reason"].to_pylist():
                    reasons.update(_reason_key(r) for r in text.split("; "))
                report.quarantined += bad.num_rows
                bad_writer.write_table(
                    pa.table(
                        {
                            "source": [report.source] * bad.num_rows,
                            "file": [report.file] * bad.num_rows,
                            "ingest_id": [report.ingest_id] * bad.num_rows,
                            "row": bad["_row"],
                            "reason": bad["_reason"],
                            "record": bad["_record"],
                        },
                        schema=QUARANTINE_SCHEMA,
                    )
                )
            good = good.append_column("_ingest", pa.array([report.ingest_id] * good.num_rows, pa.string()))
            for name in ("_valid_from", "_ingested_at", "_hash"):  # set at the commit (see `_commit`)
                good = good.append_column(name, pa.nulls(good.num_rows, schema.field(name).type))
            good = good.select(schema.names).cast(schema)
            if good_writer is None:
                good_writer = pq.ParquetWriter(staging / "records.parquet", schema, compression="zstd")
            good_writer.write_table(good)
    finally:
        con.close()
        bad_writer.close()
        if good_writer is not None:
            good_writer.close()
    report.reasons = dict(reasons.most_common())


def _reason_key(reason: str) -> str:
    return reason.split(" (", 1)[0]


def _write_broken(
    writer: pq.ParquetWriter,
    broken: list[Broken],
    source: Source,
    report: IngestReport,
    reasons: collections.Counter[str],
) -> None:
    if not broken:
        return
    report.quarantined += len(broken)
    reasons.update(_reason_key(b.reason) for b in broken)
    n = len(broken)
    writer.write_table(
        pa.table(
            {
                "source": [report.source] * n,
                "file": [report.file] * n,
                "ingest_id": [report.ingest_id] * n,
                "row": [b.row for b in broken],
                "reason": [b.reason for b in broken],
                "record": [b.text for b in broken],
            },
            schema=QUARANTINE_SCHEMA,
        )
    )


def _id_range(path: Path, column: str) -> tuple[str, str] | None:
    """Smallest and largest id of a Parquet file from its statistics; None when they are not there."""
    meta = pq.ParquetFile(path).metadata
    index = meta.schema.to_arrow_schema().get_field_index(column)
    low: str | None = None
    high: str | None = None
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(index).statistics
        if stats is None or not stats.has_min_max:
            return None
        low = stats.min if low is None else min(low, stats.min)
        high = stats.max if high is None else max(high, stats.max)
    return None if low is None or high is None else (str(low), str(high))


def _commit(con: duckdb.DuckDBPyConnection, lake: Lake, source_name: str, report: IngestReport, staging: Path) -> None:
    source = get_source(source_name)
    own = lake.part_path(source_name, report.ingest_id)
    staged = staging / "records.parquet"
    if report.quarantined:
        atomic_write(lake.quarantine_path(source_name, report.ingest_id), (staging / "quarantine.parquet").replace)
    if not staged.exists():
        return
    lake_index = read_index(lake, source_name)
    bounds = _id_range(staged, source.id)
    # Only parts whose id range meets this file's can hold one of its ids (ids mostly grow with time).
    # The file's own part is among them when it is checked again (--force): what it added then stays.
    others = [str(lake_index.path(p)) for p in lake_index.parts if overlaps(p.ids, bounds)]
    key = q(source.id)
    # The lake's versions of this file's ids, read once: for dropping versions already there, for
    # `updated` and for the version index.
    earlier = staging / "earlier.parquet"
    lake_rows = (
        f"read_parquet({others!r}) WHERE {key} IN (SELECT {key} FROM read_parquet('{staged}'))"
        if others
        else f"read_parquet('{staged}') WHERE FALSE"  # no part can hold one: no rows, the same columns
    )
    times = _event_times(source)
    columns = ", ".join([key, "_hash", *ORDER_COLUMNS, *(q(t) for t in times)])
    con.execute(f"COPY (SELECT {columns} FROM {lake_rows}) TO '{earlier}' (FORMAT parquet)")
    ingested = _local_now(lake)
    start = f"s.{q(source.updated)}" if source.updated else "NULL"
    fields = ", ".join(f"{q(f.name)} := s.{q(f.name)}" for f in source.fields)
    versioned = f"""
        SELECT * REPLACE (COALESCE({start}, TIMESTAMP '{ingested}') AS _valid_from,
                          TIMESTAMP '{ingested}' AS _ingested_at,
                          md5(CAST(to_json(struct_pack({fields})) AS VARCHAR)) AS _hash)
        FROM read_parquet('{staged}') s
    """
    # Ordered by the month of the time that dates the record, then by the source's `lake_order` fields:
    # each row group covers a short time, and a measure of one month reads the row groups of that month
    # (their statistics say which).
    order = ", ".join(f"s.{q(name)}" for name in (*source.lake_order, source.time))
    query = f"""
        SELECT * FROM ({versioned}) s
        WHERE NOT EXISTS (SELECT 1 FROM read_parquet('{earlier}') l WHERE l.{key} = s.{key} AND l._hash = s._hash)
        QUALIFY row_number() OVER (PARTITION BY s.{key}, s._hash ORDER BY s._row) = 1
        ORDER BY date_trunc('month', s.{q(source.time)}), {order}, s.{key}, s._row
    """
    staged_rows = pq.ParquetFile(staged).metadata.num_rows
    result = staging / "commit.parquet"
    con.execute(f"COPY ({query}) TO '{result}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
    report.added = pq.ParquetFile(result).metadata.num_rows
    report.duplicates = staged_rows - report.added
    if not report.added:
        return
    target, n = own, 1
    while target.exists():  # checked again, and records quarantined before now pass: a further part
        target, n = own.with_name(f"{own.stem}-{n}.parquet"), n + 1
    listing = staging / "versions.parquet"
    report.updated = index_versions(
        con, source, new=result, earlier=earlier, listed=lake_index.version_files, out=listing
    )
    if report.updated:
        # Marked in the part itself too: a lake copied without its index is still read right (see `index.py`).
        marked = staging / "marked.parquet"
        con.execute("SET preserve_insertion_order = true")  # the copy keeps the sorted row groups
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{result}')) TO '{marked}' (FORMAT parquet, COMPRESSION zstd, "
            f"ROW_GROUP_SIZE {ROW_GROUP_ROWS}, KV_METADATA {{{VERSIONS_KEY}: 'updates'}})"
        )
        marked.replace(result)
    report.touched = _touched(con, source, times, added=result, earlier=earlier)
    report.simulated = int(
        con.execute(f"SELECT count(*) FROM read_parquet('{result}') WHERE simulated").fetchone()[0]  # type: ignore[index]
        if "simulated" in {f.name for f in source.fields}
        else 0
    )
    summary = summarise(result, source_name, name=target.name)
    if listing.exists():  # before its part: an index file without its part is ignored, not the reverse
        atomic_write(lake.versions_path(source_name, target.name), listing.replace)
    atomic_write(target, result.replace)
    write_summaries(lake, source_name, [*lake_index.parts, summary])


def _event_times(source: Source) -> list[str]:
    """The timestamp fields that date what a record did (a measure's time), not when it was sent."""
    return [f.name for f in source.fields if f.type is FieldType.TIMESTAMP and f.name != source.updated]


def _touched(
    con: duckdb.DuckDBPyConnection, source: Source, times: list[str], *, added: Path, earlier: Path
) -> dict[str, list[str]]:
    """Per field of `times`, its smallest and largest value over the versions added and the lake's
    versions of their records (those a new version supersedes: a dossier resolved in May instead of
    April changes April too); a field with no value is left out."""
    if not times:
        return {}
    key = q(source.id)
    fields = ", ".join(q(t) for t in times)
    spans = ", ".join(f"min({q(t)}), max({q(t)})" for t in times)
    row = con.execute(
        f"""
        SELECT {spans} FROM (
          SELECT {fields} FROM read_parquet('{added}')
          UNION ALL
          SELECT {fields} FROM read_parquet('{earlier}') WHERE {key} IN (SELECT {key} FROM read_parquet('{added}')))
        """
    ).fetchone()
    assert row is not None
    return {
        t: [low.isoformat(sep=" "), high.isoformat(sep=" ")]
        for t, low, high in zip(times, row[0::2], row[1::2], strict=True)
        if low is not None
    }
