"""Measures compiled to SQL: one sqlglot tree per measure and grain, rendered in each engine's dialect.

The query reads the source's records as a table named after the source and, when values are wanted on
2025 units for every period, a table `unit_map` (era, code, to_code) of whole old→new links:

    SELECT <unit>, <unit era>, <period key>, COUNT(*) AS __records, …, <one aggregate per variable>
    FROM <source> [LEFT JOIN unit_map …] WHERE <time present> AND <measure's where> GROUP BY 1, 2, 3

The source is read through its versions: every record (id) may have been ingested many times, and
a version is valid from its `_valid_from` (the first version: from the start) until the next one's. A
window over the id (ordered by start, ingestion time, ingestion and row: a total order) gives each
version its end — over the lake's version index (`History.INDEXED`, see `index.py`), joined to the
records, or, in a lake written before the index, over the records themselves (`History.WINDOW`) — and
the WHERE keeps, for each record, the one version valid "as of":

    LATEST        the newest version of each record (the state now);
    <timestamp>   the version valid just before that instant (an exclusive cut-off);
    None          the version valid at the end of the period the version itself falls in: the state
                  when the period closed, so a past month measured again gives the same figures.

The last compares period keys (key(start) <= key(time) < key(end)), so both engines share it.

The period key is a number (2025, 20253, 202507 for year, quarter, month); labels are made in Python,
so both engines return the same thing. A dialect that cannot express a node raises `EngineError`:
there is no fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import sqlglot
import sqlglot.expressions as exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from chiso.sources.conditions import compile_condition
from chiso.sources.measures import Aggregate, Grain, Measure, Variable
from chiso.sources.schemas import Source, get_source

RECORDS, SIMULATED, FIRST, LAST = "__records", "__simulated", "__first", "__last"
UNIT, UNIT_ERA, PERIOD_KEY = "unit", "unit_era", "period_key"
NEW_ERA = "2025"
LATEST = "latest"
VALID_FROM, VALID_TO = "__valid_from", "__valid_to"


class EngineError(RuntimeError):
    """An engine cannot run a definition, or cannot reach its data; says which and why."""


class History(StrEnum):
    """How the records of a source get their validity (which of them the lake holds: `index.SourceIndex`)."""

    NONE = "none"  # no record has several versions: every record counts, no window
    INDEXED = "indexed"  # the version index's validity (table `<source>__validity`), joined on (_ingest, _row)
    WINDOW = "window"  # a window over the records of the ids in parts with new versions (`<source>__changed`)


def _col(name: str, table: str = "s") -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def period_key(grain: Grain, time: exp.Expression) -> exp.Expression:
    year = exp.Year(this=time.copy())
    if grain is Grain.YEAR:
        return year
    if grain is Grain.QUARTER:
        return exp.Add(this=exp.Mul(this=year, expression=exp.Literal.number(10)), expression=exp.Quarter(this=time))
    return exp.Add(this=exp.Mul(this=year, expression=exp.Literal.number(100)), expression=exp.Month(this=time))


def period_label(grain: Grain, key: int) -> str:
    if grain is Grain.YEAR:
        return str(key)
    if grain is Grain.QUARTER:
        return f"{key // 10}-Q{key % 10}"
    return f"{key // 100}-{key % 100:02d}"


def period_bounds(grain: Grain, key: int) -> tuple[str, str]:
    """First day and the day after the period, ISO."""
    if grain is Grain.YEAR:
        return f"{key}-01-01", f"{key + 1}-01-01"
    if grain is Grain.QUARTER:
        year, quarter = divmod(key, 10)
        start = 3 * (quarter - 1) + 1
        end = f"{year + 1}-01-01" if quarter == 4 else f"{year}-{start + 3:02d}-01"
        return f"{year}-{start:02d}-01", end
    year, month = divmod(key, 100)
    return f"{year}-{month:02d}-01", (f"{year + 1}-01-01" if month == 12 else f"{year}-{month + 1:02d}-01")


def column_name(measure: Measure, name: str) -> str:
    """The result column of one measure's variable (or of its `__records`, … bookkeeping)."""
    return f"{measure.code}.{name}"


def _when(cond: exp.Expression | None, value: exp.Expression) -> exp.Expression:
    return value if cond is None else exp.Case().when(cond.copy(), value)


def _count(cond: exp.Expression | None) -> exp.Expression:
    if cond is None:
        return exp.Count(this=exp.Star())
    # Not COUNT_IF: DuckDB answers NULL where every condition is NULL, Spark 0 (the equality test caught it).
    return exp.Sum(this=exp.Case().when(cond.copy(), exp.Literal.number(1)).else_(exp.Literal.number(0)))


def _both(a: exp.Expression | None, b: exp.Expression | None) -> exp.Expression | None:
    if a is None or b is None:
        return a or b
    return exp.and_(exp.paren(a.copy()), exp.paren(b.copy()))


def _aggregate(variable: Variable, population: exp.Expression | None) -> exp.Expression:
    own = compile_condition(variable.where, _col) if variable.where is not None else None
    cond = _both(population, own)
    if variable.aggregate is Aggregate.COUNT:
        return _count(cond)
    assert variable.column is not None
    value = _when(cond, _col(variable.column))
    if variable.aggregate is Aggregate.COUNT_DISTINCT:
        return exp.Count(this=exp.Distinct(expressions=[value]))
    return exp.Coalesce(this=exp.Sum(this=value), expressions=[exp.Literal.number(0)])


def changed_table(name: str) -> str:
    """The table of a source's parts that hold new versions of known records (see `versions`)."""
    return f"{name}__changed"


def versions(name: str, source: Source) -> exp.Query:
    """Every version of the source's records with its validity: [__valid_from, __valid_to), NULL = open.

    Only records whose id is in a part with new versions (table `<source>__changed`) can have more than
    one: the window runs over theirs alone, every other record is one version valid throughout.
    """
    table = exp.to_table(name)
    key = exp.column(source.id, quoted=True)
    changed = exp.select(key.copy()).from_(exp.to_table(changed_table(name)))
    start, later = _validity(_order(key))
    never = exp.cast(exp.Null(), "TIMESTAMP")
    single = (
        exp.select(exp.Star(), exp.alias_(never.copy(), VALID_FROM), exp.alias_(never.copy(), VALID_TO))
        .from_(table.copy())
        .where(exp.Not(this=key.copy().isin(query=changed.copy())))
    )
    several = (
        exp.select(exp.Star(), exp.alias_(start, VALID_FROM), exp.alias_(later, VALID_TO))
        .from_(table.copy())
        .where(key.copy().isin(query=changed))
    )
    return exp.union(single, several, distinct=False)


def versions_table(name: str) -> str:
    """The table of a source's version index files (see `index.py`)."""
    return f"{name}__versions"


def _order(key: exp.Column) -> str:
    """The versions of a record in order: by start, then ingestion time, ingestion and row (a total order)."""
    return f"PARTITION BY {key.sql()} ORDER BY _valid_from, _ingested_at, _ingest, _row"


def _validity(spec: str) -> tuple[exp.Expression, exp.Expression]:
    """A version's start (NULL for a record's first: valid from the beginning) and end (NULL: still valid)."""
    later: exp.Expression = exp.maybe_parse(f"LEAD(_valid_from) OVER ({spec})", dialect="duckdb")
    first: exp.Expression = exp.maybe_parse(f"ROW_NUMBER() OVER ({spec}) = 1", dialect="duckdb")
    start = exp.Case().when(first, exp.cast(exp.Null(), "TIMESTAMP")).else_(exp.column("_valid_from"))
    return start, later


def windowed(table: str, source: Source) -> exp.Select:
    """The versions in `table` (id, `_ingest`, `_row`, `_valid_from`, `_ingested_at`) with their validity:
    the window over each record's versions. Ingestion computes it for the version index."""
    key = exp.column(source.id, quoted=True)
    start, later = _validity(_order(key))
    return exp.select(key.copy(), "_ingest", "_row", exp.alias_(start, VALID_FROM), exp.alias_(later, VALID_TO)).from_(
        table
    )


def validity_table(name: str) -> str:
    """The table of the validity of every version in a source's version index (see `validity`)."""
    return f"{name}__validity"


def validity(name: str, source: Source) -> exp.Select:
    """The validity of every version in the version index (`<source>__versions`), as computed at ingestion
    by the newest index file that lists its record (`seq`: the order of the index files; a record listed
    again — `relisted` — has all its versions in the newer file). No window: an engine reads it once per
    run (`Engine.bind_query`) as the table `<source>__validity` that `indexed_versions` joins."""
    key = exp.column(source.id, quoted=True).sql(dialect="duckdb")
    table = versions_table(name)
    tree = sqlglot.parse_one(
        f"""SELECT v._ingest, v._row, v.{VALID_FROM}, v.{VALID_TO} FROM {table} AS v
            LEFT JOIN (SELECT {key}, MAX(seq) AS newest FROM {table} WHERE relisted GROUP BY {key}) AS n
              ON n.{key} = v.{key}
            WHERE n.newest IS NULL OR v.seq >= n.newest""",
        read="duckdb",
    )
    assert isinstance(tree, exp.Select)
    return tree


def indexed_versions(name: str) -> exp.Select:
    """Every version with its validity from `<source>__validity`; a record not in it is one version, valid
    throughout (both ends NULL). Filters on the records' own columns reach their scan through the join."""
    on = exp.and_(
        exp.EQ(this=exp.column("_ingest", table="v"), expression=exp.column("_ingest", table="r")),
        exp.EQ(this=exp.column("_row", table="v"), expression=exp.column("_row", table="r")),
    )
    return (
        exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("r")), f"v.{VALID_FROM}", f"v.{VALID_TO}")
        .from_(exp.alias_(exp.to_table(name), "r", table=True))
        .join(exp.alias_(exp.to_table(validity_table(name)), "v", table=True), on=on, join_type="left")
    )


def records(name: str, source: Source, history: History) -> exp.Query:
    """The records of a source with their validity, read the way `history` says."""
    if history is History.INDEXED:
        return indexed_versions(name)
    if history is History.WINDOW:
        return versions(name, source)
    return single_versions(name)


def single_versions(name: str) -> exp.Select:
    """A source none of whose parts holds a new version: every record is one version, valid throughout."""
    never = exp.cast(exp.Null(), "TIMESTAMP")
    return exp.select(exp.Star(), exp.alias_(never.copy(), VALID_FROM), exp.alias_(never, VALID_TO)).from_(name)


def as_of_condition(as_of: str | None, grain: Grain, time: exp.Expression) -> exp.Expression:
    """Which version of each record counts (see the module's docstring)."""
    start, end = _col(VALID_FROM), _col(VALID_TO)
    is_open = exp.Is(this=end.copy(), expression=exp.Null())
    if as_of == LATEST:
        return is_open
    begun = exp.Is(this=start.copy(), expression=exp.Null())
    started: exp.Expression
    running: exp.Expression
    if as_of is None:
        key = period_key(grain, time)
        started = exp.LTE(this=period_key(grain, start), expression=key.copy())
        running = exp.GT(this=period_key(grain, end), expression=key.copy())
    else:
        cut = exp.cast(exp.Literal.string(as_of), "TIMESTAMP")
        started = exp.LT(this=start.copy(), expression=cut.copy())
        running = exp.GTE(this=end.copy(), expression=cut)
    return exp.and_(exp.paren(exp.or_(begun, started)), exp.paren(exp.or_(is_open, running)))


@dataclass(frozen=True)
class Query:
    measures: tuple[Measure, ...]
    grain: Grain
    era: str | None
    tree: exp.Select
    # SQL by dialect, rendered once: a query is checked for its engine before anything runs, then run.
    rendered: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def measure(self) -> Measure:
        """The measure of a query compiled for one measure."""
        return self.measures[0]

    def sql(self, dialect: str, engine: str) -> str:
        if dialect not in self.rendered:
            try:
                self.rendered[dialect] = self.tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
            except UnsupportedError as exc:
                codes = ", ".join(m.code for m in self.measures)
                raise EngineError(f"engine {engine} cannot run measure {codes}: {exc}") from exc
        return self.rendered[dialect]


def filter_sql(measure: Measure) -> str:
    """A measure's record filter as DuckDB SQL, for lineage."""
    if measure.where is None:
        return "TRUE"
    return compile_condition(measure.where, _col).sql(dialect="duckdb")


def compile_measure(
    measure: Measure,
    grain: Grain,
    *,
    era: str | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    history: History = History.WINDOW,
) -> Query:
    return compile_measures([measure], grain, era=era, since=since, until=until, as_of=as_of, history=history)


def compile_measures(
    measures: Sequence[Measure],
    grain: Grain,
    *,
    era: str | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    history: History = History.WINDOW,
) -> Query:
    """One query for measures that read the same source and place records by the same unit and time.

    Each measure keeps its own filter inside its aggregates, so one scan serves them all. `era=None`:
    each value on the unit its records carry; `era="2025"`: on 2025 units throughout. `since` / `until`
    (ISO dates) keep records timed in [since, until): e.g. a year 2025 measured from 1/7/2025. `as_of`:
    None (the state at the end of each period), LATEST, or an exclusive cut-off timestamp (ISO).
    `history`: how records get their validity (`History`; the lake's index says which applies).
    """
    first = measures[0]
    if any((m.source, m.unit, m.time) != (first.source, first.unit, first.time) for m in measures):
        raise EngineError("measures fused into one query must share source, unit and time")
    source = get_source(first.source)
    time = _col(first.time)
    recorded_unit = _col(first.unit)
    if era is None:
        unit: exp.Expression = recorded_unit
        unit_era: exp.Expression = _col("unit_era")
    elif era == NEW_ERA:
        is_new = exp.EQ(this=_col("unit_era"), expression=exp.Literal.string(NEW_ERA))
        unit = exp.Case().when(is_new, recorded_unit).else_(_col("to_code", "m"))
        unit_era = exp.Literal.string(NEW_ERA)
    else:
        raise EngineError(f"values can be put on the units of era {NEW_ERA} or left as recorded, not era {era}")
    projections: list[exp.Expression] = [
        exp.alias_(unit, UNIT),
        exp.alias_(unit_era, UNIT_ERA),
        exp.alias_(period_key(grain, time), PERIOD_KEY),
    ]
    simulated = "simulated" in {f.name for f in source.fields}
    flag = exp.EQ(this=_col("simulated"), expression=exp.true())
    for m in measures:
        population = compile_condition(m.where, _col) if m.where is not None else None
        projections += [
            exp.alias_(_count(population), column_name(m, RECORDS), quoted=True),
            exp.alias_(exp.Min(this=_when(population, time.copy())), column_name(m, FIRST), quoted=True),
            exp.alias_(exp.Max(this=_when(population, time.copy())), column_name(m, LAST), quoted=True),
        ]
        if simulated:
            projections.append(exp.alias_(_count(_both(population, flag)), column_name(m, SIMULATED), quoted=True))
        projections += [exp.alias_(_aggregate(v, population), column_name(m, v.name), quoted=True) for v in m.variables]
    conditions: list[exp.Expression] = [exp.Not(this=exp.Is(this=time.copy(), expression=exp.Null()))]
    if history is not History.NONE:
        conditions.append(as_of_condition(as_of, grain, time))
    if since is not None:
        conditions.append(exp.GTE(this=time.copy(), expression=exp.cast(exp.Literal.string(since), "TIMESTAMP")))
    if until is not None:
        conditions.append(exp.LT(this=time.copy(), expression=exp.cast(exp.Literal.string(until), "TIMESTAMP")))
    if all(m.where is not None for m in measures):
        wheres = [exp.paren(compile_condition(m.where, _col)) for m in measures if m.where is not None]
        conditions.append(exp.paren(exp.or_(*wheres)) if len(wheres) > 1 else wheres[0])
    tree = exp.select(*projections).from_(records(first.source, source, history).subquery("s"))
    if era == NEW_ERA:
        on = exp.and_(
            exp.EQ(this=_col("era", "m"), expression=_col("unit_era")),
            exp.EQ(this=_col("code", "m"), expression=recorded_unit.copy()),
        )
        tree = tree.join(exp.alias_(exp.to_table("unit_map"), "m", table=True), on=on, join_type="left")
        conditions.append(exp.Not(this=exp.Is(this=unit.copy(), expression=exp.Null())))
    tree = tree.where(exp.and_(*conditions)).group_by(
        exp.Literal.number(1), exp.Literal.number(2), exp.Literal.number(3)
    )
    return Query(tuple(measures), grain, era, tree)
