"""The lake's index, written at ingestion, so that a measure reads what it needs and not the whole lake.

    <data dir>/lake/<source>/_index/parts.json                 a summary of each part: rows, smallest and
                                                               largest id, the same for each timestamp
                                                               field, whether it holds new versions, the
                                                               eras of the units its records name
    <data dir>/lake/<source>/_index/versions/<part>.parquet    the version index: every version, with
                                                               its validity, of the records a part changed

**Summaries.** A measure that keeps a time window (`--from`/`--until`) binds only the parts whose range
of its time column meets the window, and ingestion looks for earlier versions of a file's records only
in the parts whose id range meets the file's. `parts.json` is a cache of the parts' Parquet footers: a
part it does not list (a lake written before it, a crash between the part's rename and the file's) is
summarised from its footer, so a missing or stale entry makes reading slower, never wrong.

**Version index.** A part that brings new versions of known records (or several versions of one) gets
an index file listing every version of the records it touched — id, `_ingest`, `_row` — with its
validity (`__valid_from`, `__valid_to`, from the window over the record's versions, computed at
ingestion over those records alone), the file's `seq` (after every earlier file's) and `relisted` when
the record was listed before: a record's versions are read from the newest file that lists it. A
reader therefore needs no window: it takes the index as it is, less the listings a newer file
superseded (a join with the relisted records), and joins it to the records on (`_ingest`, `_row`);
every other record is one version valid throughout. So a month is measured from that month's records
and the index (as large as the versions of records that changed), wherever the other versions are.

The index file is renamed into place before its part: a file whose part is not there (a crash in
between) is ignored, and ingesting the file again replaces it. A part marked as holding new versions
(`chiso_versions` in its Parquet metadata) without an index file — a lake written before the index —
makes readers compute validity with a window over the records of every part, as before: slower, and
still right. Ingesting the files again into a new data directory builds the index. Ingestions of one
source must not run at once (as before: each reads what the others are writing).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from chiso.sources.checks import q
from chiso.sources.compiler import NEW_ERA
from chiso.sources.lake import Lake, atomic_write
from chiso.sources.schemas import FieldType, Source, SourceError, get_source
from chiso.sources.versions import History, windowed

INDEX_SCHEMA = "chiso.lake-index/3"  # 2: each part's span of unit eras; 3: the times of its older units
VERSIONS_KEY = "chiso_versions"  # Parquet metadata of a part that holds new versions of known records
HISTORY_COLUMNS = ("_valid_from", "_ingested_at", "_hash")
ORDER_COLUMNS = ("_ingest", "_row", "_valid_from", "_ingested_at")  # a version and its place among its record's

ERA_COLUMN = "unit_era"  # the era of the unit a record names (its codes are that era's)
Span = tuple[str, str]  # smallest and largest value, ISO text for timestamps


@dataclass(frozen=True)
class PartSummary:
    """What one part holds, from its footer's statistics. `ids` None: unknown (then it may hold any id).
    `times`: per timestamp field its span, None when the part has no value there; a field not listed:
    unknown."""

    name: str
    size: int
    rows: int
    ids: Span | None
    times: Mapping[str, Span | None] = field(default_factory=dict)
    versions: bool = False  # marked as holding new versions of known records
    eras: Span | None = None  # smallest and largest `unit_era`; None: unknown
    # Per timestamp field, its span over the row groups that may hold records naming units of before
    # 1/7/2025 (None: no such row group has a value there); a field not listed: unknown.
    older: Mapping[str, Span | None] = field(default_factory=dict)

    def on_current_units(self, column: str, since: str | None, until: str | None) -> bool:
        """Whether every record whose `column` falls in [since, until) names a 2025 unit, so that a
        measure on 2025 units needs no unit map (a part across 1/7/2025 answers for the row groups a
        window after the break reads: parts are sorted by month)."""
        if self.eras == (NEW_ERA, NEW_ERA):
            return True
        if column not in self.older:
            return False
        span = self.older[column]
        return span is None or not _meets(span, since, until)

    def meets(self, column: str, since: str | None, until: str | None) -> bool:
        """Whether the part can hold a record whose `column` falls in [since, until) (ISO dates)."""
        if column not in self.times:
            return True
        span = self.times[column]
        return span is not None and _meets(span, since, until)

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "rows": self.rows, "ids": self.ids, "times": dict(self.times),
                "versions": self.versions, "eras": self.eras, "older": dict(self.older)}  # fmt: skip

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> PartSummary:
        def span(value: Any) -> Span | None:
            return None if value is None else (str(value[0]), str(value[1]))

        times = {k: span(v) for k, v in data["times"].items()}
        older = {k: span(v) for k, v in data["older"].items()}
        return cls(name, int(data["size"]), int(data["rows"]), span(data["ids"]), times, bool(data["versions"]),
                   span(data["eras"]), older)  # fmt: skip


def _meets(span: Span, since: str | None, until: str | None) -> bool:
    """Whether times spanning `span` can fall in [since, until) (ISO dates)."""
    low, high = (dt.datetime.fromisoformat(v) for v in span)
    return (since is None or high >= dt.datetime.fromisoformat(since)) and (
        until is None or low < dt.datetime.fromisoformat(until)
    )


def overlaps(a: Span | None, b: Span | None) -> bool:
    return a is None or b is None or (a[0] <= b[1] and b[0] <= a[1])


def _text(value: Any) -> str:
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)


def summarise(path: Path, source_name: str, name: str | None = None) -> PartSummary:
    """A part's summary from its Parquet footer (row-group statistics); no record is read."""
    source = get_source(source_name)
    meta = pq.read_metadata(path)
    names = meta.schema.names
    if not set(HISTORY_COLUMNS) <= set(names):
        raise SourceError(
            f"Kho dữ liệu cũ, cần nạp lại — the {source_name} part {path.name} was written before records had "
            f"history (no {', '.join(HISTORY_COLUMNS)}); ingest its files again into a new data directory"
        )
    arrow = meta.schema.to_arrow_schema()

    era_at = arrow.get_field_index(ERA_COLUMN)

    def older_units(g: int) -> bool:
        """Whether row group `g` may hold a record naming a unit of before 1/7/2025."""
        stats = meta.row_group(g).column(era_at).statistics if era_at >= 0 else None
        return stats is None or not stats.has_min_max or (stats.min, stats.max) != (NEW_ERA, NEW_ERA)

    def span(column: str, groups: Iterable[int] = range(meta.num_row_groups)) -> tuple[bool, Span | None]:
        """(known, span) over these row groups: unknown when one with values has no statistics."""
        index = arrow.get_field_index(column)
        low: Any = None
        high: Any = None
        for g in groups:
            group = meta.row_group(g)
            stats = group.column(index).statistics
            if stats is not None and stats.has_null_count and stats.null_count == group.num_rows:
                continue  # nothing but empty values here
            if stats is None or not stats.has_min_max:
                return False, None
            low = stats.min if low is None else min(low, stats.min)
            high = stats.max if high is None else max(high, stats.max)
        return True, (None if low is None else (_text(low), _text(high)))

    known_ids, ids = span(source.id)
    older_groups = [g for g in range(meta.num_row_groups) if older_units(g)]
    times: dict[str, Span | None] = {}
    older: dict[str, Span | None] = {}
    for f in source.fields:
        if f.type is FieldType.TIMESTAMP and f.name in names:
            known, found = span(f.name)
            if known:
                times[f.name] = found
            known, found = span(f.name, older_groups)
            if known:
                older[f.name] = found
    marked = (meta.metadata or {}).get(VERSIONS_KEY.encode()) is not None
    known_eras, eras = span(ERA_COLUMN) if ERA_COLUMN in names else (False, None)
    return PartSummary(name or path.name, path.stat().st_size, meta.num_rows, ids if known_ids else None, times,
                       marked, eras if known_eras else None, older)  # fmt: skip


@dataclass(frozen=True)
class SourceIndex:
    """A source's committed parts with their summaries, and which of them have a version index file."""

    lake: Lake
    source: str
    parts: tuple[PartSummary, ...]
    indexed: frozenset[str]  # parts with a version index file

    def path(self, part: PartSummary) -> Path:
        return self.lake.records_dir(self.source) / part.name

    @property
    def paths(self) -> list[Path]:
        return [self.path(p) for p in self.parts]

    @property
    def changed(self) -> list[Path]:
        """Parts that hold new versions of known records."""
        return [self.path(p) for p in self.parts if p.versions or p.name in self.indexed]

    @property
    def history(self) -> History:
        """How a reader gives versions their validity (see the module's docstring)."""
        changed = [p for p in self.parts if p.versions or p.name in self.indexed]
        if not changed:
            return History.NONE
        return History.INDEXED if all(p.name in self.indexed for p in changed) else History.WINDOW

    @property
    def version_files(self) -> list[Path]:
        return [self.lake.versions_path(self.source, p.name) for p in self.parts if p.name in self.indexed]

    def within(self, column: str, since: str | None, until: str | None) -> list[Path]:
        """The parts that can hold a record whose `column` falls in [since, until)."""
        return [self.path(p) for p in self.parts if p.meets(column, since, until)]

    def on_current_units(self, paths: Iterable[Path], column: str, since: str | None, until: str | None) -> bool:
        """Whether every record of these parts whose `column` falls in [since, until) names a 2025 unit
        (each part's summary says: `PartSummary.on_current_units`)."""
        summaries = {p.name: p for p in self.parts}
        return all(
            path.name in summaries and summaries[path.name].on_current_units(column, since, until) for path in paths
        )


def read_index(lake: Lake, source: str) -> SourceIndex:
    """The index of a source as it stands: summaries from `parts.json`, from the footer where it has none."""
    cached = _read_summaries(lake, source)
    parts = []
    for path in lake.parts(source):
        entry = cached.get(path.name)
        if entry is None or entry.size != path.stat().st_size:
            entry = summarise(path, source)
        parts.append(entry)
    names = {p.name for p in parts}
    indexed = {f.name for f in lake.versions_dir(source).glob("part-*.parquet")} & names
    return SourceIndex(lake, source, tuple(parts), frozenset(indexed))


def _read_summaries(lake: Lake, source: str) -> dict[str, PartSummary]:
    path = lake.summaries_path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") != INDEX_SCHEMA:
            return {}
        return {name: PartSummary.from_json(name, entry) for name, entry in data["parts"].items()}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return {}  # missing or unreadable: every part is summarised from its footer


def write_summaries(lake: Lake, source: str, parts: Iterable[PartSummary]) -> None:
    data = {"schema": INDEX_SCHEMA, "source": source, "parts": {p.name: p.to_json() for p in parts}}
    text = json.dumps(data, ensure_ascii=False, indent=1)
    atomic_write(lake.summaries_path(source), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def index_versions(
    con: duckdb.DuckDBPyConnection, source: Source, *, new: Path, earlier: Path, listed: list[Path], out: Path
) -> int:
    """Write to `out` the version index file of a part about to be committed, and return its `updated`.

    `new`: the part's records; `earlier`: the versions already in the lake of the ids it holds (id and
    ORDER_COLUMNS); `listed`: the committed index files. A record touched here has several versions now:
    all of them are listed, each with its validity (`windowed`), the file's `seq` (after every committed
    file's) and `relisted` when the record was listed before (it had several versions already: the
    older listing is superseded). Nothing is written when no record is touched. `updated` counts the
    part's versions of records known before or repeated in the part, as the ingestion report does.
    """
    key = q(source.id)
    columns = ", ".join([key, *ORDER_COLUMNS])
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __touched AS
        WITH fresh AS (SELECT {key}, count(*) AS n FROM read_parquet('{new}') GROUP BY ALL),
             known AS (SELECT {key}, count(*) AS n FROM read_parquet('{earlier}')
                       WHERE {key} IN (SELECT {key} FROM fresh) GROUP BY ALL)
        SELECT f.{key}, f.n AS fresh, coalesce(k.n, 0) AS known FROM fresh f LEFT JOIN known k USING ({key})
        WHERE f.n + coalesce(k.n, 0) > 1
        """
    )
    row = con.execute("SELECT coalesce(sum(fresh), 0), count(*) FILTER (known = 0) FROM __touched").fetchone()
    assert row is not None
    versions, first_seen = int(row[0]), int(row[1])
    if versions:
        seq = 1
        if listed:
            found = con.execute(f"SELECT max(seq) FROM read_parquet({[str(p) for p in listed]!r})").fetchone()
            seq += int(found[0] or 0) if found else 0
        con.execute(
            f"""
            CREATE OR REPLACE TEMP VIEW __versions AS
              SELECT {columns} FROM read_parquet('{new}') WHERE {key} IN (SELECT {key} FROM __touched)
              UNION ALL
              SELECT {columns} FROM read_parquet('{earlier}') WHERE {key} IN (SELECT {key} FROM __touched)
            """
        )
        con.execute(
            f"""
            COPY (SELECT w.*, {seq} AS seq, t.known > 1 AS relisted
                  FROM ({windowed("__versions", source).sql(dialect="duckdb")}) w JOIN __touched t USING ({key}))
            TO '{out}' (FORMAT parquet, COMPRESSION zstd)
            """
        )
        con.execute("DROP VIEW __versions")
    con.execute("DROP TABLE __touched")
    return versions - first_seen
