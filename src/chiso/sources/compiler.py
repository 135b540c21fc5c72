"""Measures compiled to SQL: one sqlglot tree per measure and grain, rendered in each engine's dialect.

The query reads the source's records as a table named after the source and, when values are wanted on
2025 units for every period, a table `unit_map` (era, code, to_code) of whole old→new links:

    SELECT <unit>, <unit era>, <period key>, COUNT(*) AS __records, …, <one aggregate per variable>
    FROM <source> [LEFT JOIN unit_map …] WHERE <time present> AND <measure's where> GROUP BY 1, 2, 3

The source is read through its versions (`versions.py`: every record may have been ingested many
times, and each version is valid from its `_valid_from` until the next one's), and the WHERE keeps, for
each record, the one version valid "as of":

    LATEST        the newest version of each record (the state now);
    <timestamp>   the version valid just before that instant (an exclusive cut-off);
    None          the version valid at the end of the period the version itself falls in: the state
                  when the period closed, so a past month measured again gives the same figures.

The last compares period keys (key(start) <= key(time) < key(end)), so both engines share it.

One query may also compute measures at several unit columns (`compile_at_units`: e.g. by the unit a
record names and by its province), reading the source and resolving its versions once; it groups by
GROUPING SETS, one per unit column, and a column `placement` names the unit column of each row.

The period key is a number (2025, 20253, 202507 for year, quarter, month); labels are made in Python,
so both engines return the same thing. A dialect that cannot express a node raises `EngineError`:
there is no fallback.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot.expressions as exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from chiso.sources.conditions import compile_condition
from chiso.sources.measures import Aggregate, Grain, Measure, Variable
from chiso.sources.schemas import Source, get_source
from chiso.sources.versions import VALID_FROM, VALID_TO, History, records

RECORDS, SIMULATED, FIRST, LAST = "__records", "__simulated", "__first", "__last"
UNIT, UNIT_ERA, PERIOD_KEY, PLACEMENT = "unit", "unit_era", "period_key", "placement"
DISTINCT = "__distinct"
UNIT_MAP = "unit_map"  # the table of whole old→new links (era, code, to_code) that era 2025 joins
NEW_ERA = "2025"
LATEST = "latest"


class EngineError(RuntimeError):
    """An engine cannot run a definition, or cannot reach its data; says which and why."""


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


def column_name(measure: Measure | str, name: str) -> str:
    """The result column of one measure's variable (or of its `__records`, … bookkeeping).

    `measure`: the measure (its code prefixes its columns) or the prefix it was given (`compile_at_units`).
    """
    prefix = measure if isinstance(measure, str) else measure.code
    return f"{prefix}.{name}"


def _when(cond: exp.Expression | None, value: exp.Expression) -> exp.Expression:
    return value if cond is None else exp.Case().when(cond.copy(), value)


def _count(cond: exp.Expression | None) -> exp.Expression:
    if cond is None:
        return exp.Count(this=exp.Star())
    # Not COUNT_IF: DuckDB answers NULL where every condition is NULL, Spark 0 (the equality test caught it).
    # Not SUM(CASE … 1 ELSE 0): DuckDB sums integers into a 128-bit integer, which reaches pandas as Python
    # Decimal objects; a COUNT of the matching rows is a 64-bit integer in both engines.
    return exp.Count(this=exp.Case().when(cond.copy(), exp.Literal.number(1)))


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
    uses_unit_map: bool = False  # joins `unit_map` (era 2025 over records that may name older units)

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


def compile_measure(measure: Measure, grain: Grain, **options: Any) -> Query:
    """One measure's query; the options are those of `compile_measures`."""
    return compile_measures([measure], grain, **options)


def compile_measures(
    measures: Sequence[Measure],
    grain: Grain,
    *,
    era: str | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    history: History = History.WINDOW,
    mapped: bool = True,
) -> Query:
    """One query for measures that read the same source and place records by the same unit and time.

    Each measure keeps its own filter inside its aggregates, so one scan serves them all. `era=None`:
    each value on the unit its records carry; `era="2025"`: on 2025 units throughout. `since` / `until`
    (ISO dates) keep records timed in [since, until): e.g. a year 2025 measured from 1/7/2025. `as_of`:
    None (the state at the end of each period), LATEST, or an exclusive cut-off timestamp (ISO).
    `history`: how records get their validity (`History`; the lake's index says which applies).
    `mapped=False`: the records read all name 2025 units, so era 2025 needs no join to the unit map (the
    lake's index says when: a month after 1/7/2025; the join was a third of such a month's query).
    """
    first = measures[0]
    if any((m.source, m.unit, m.time) != (first.source, first.unit, first.time) for m in measures):
        raise EngineError("measures fused into one query must share source, unit and time")
    return compile_at_units(
        {m.code: m for m in measures},
        (first.unit,),
        grain,
        era=era,
        since=since,
        until=until,
        as_of=as_of,
        history=history,
        mapped=mapped,
    )


def compile_at_units(
    measures: Mapping[str, Measure],
    units: Sequence[str],
    grain: Grain,
    *,
    era: str | None = None,
    since: str | None = None,
    until: str | None = None,
    as_of: str | None = None,
    history: History = History.WINDOW,
    mapped: bool = True,
) -> Query:
    """One query computing measures that read the same source and time, at each of several unit columns.

    `measures` maps a column prefix to a measure (its columns are `<prefix>.<variable>`); the measures'
    own `unit` is not read: each is computed at every unit column in `units` (a unit field of the source,
    or `province`). So variants of one definition (placed by province as well as by the unit the record
    names, or filtered further under another prefix) read the source and resolve its versions once. With
    one unit column this is the query of `compile_measures`; with several, GROUPING SETS give one group
    per unit column, and the column `placement` names the unit column of each row. The other arguments
    are those of `compile_measures`.

    Compiled once per process for the same arguments (definitions are frozen models): a server or worker
    that measures again after each sync or declaration spent a sixth of the 766 index's time building and
    rendering the same trees. The query is shared: its tree is read, never changed (copy it to change it).
    """
    return _compiled(tuple(measures.items()), tuple(units), grain, era, since, until, as_of, history, mapped)


@functools.lru_cache(maxsize=256)
def _compiled(
    definitions: tuple[tuple[str, Measure], ...],
    units: tuple[str, ...],
    grain: Grain,
    era: str | None,
    since: str | None,
    until: str | None,
    as_of: str | None,
    history: History,
    mapped: bool,
) -> Query:
    measures = dict(definitions)
    listed = list(measures.values())
    first = listed[0]
    if any((m.source, m.time) != (first.source, first.time) for m in listed):
        raise EngineError("measures fused into one query must share source and time")
    uses_unit_map = era == NEW_ERA and mapped
    if not units or len(set(units)) != len(units):
        raise EngineError(f"measures are placed by one or more distinct unit columns, not {list(units)}")
    source = get_source(first.source)
    time = _col(first.time)
    conditions: list[exp.Expression] = [exp.Not(this=exp.Is(this=time.copy(), expression=exp.Null()))]
    current = as_of == LATEST and history is History.INDEXED  # read as current versions: no filter needed
    if history is not History.NONE and not current:
        conditions.append(as_of_condition(as_of, grain, time))
    if since is not None:
        conditions.append(exp.GTE(this=time.copy(), expression=exp.cast(exp.Literal.string(since), "TIMESTAMP")))
    if until is not None:
        conditions.append(exp.LT(this=time.copy(), expression=exp.cast(exp.Literal.string(until), "TIMESTAMP")))
    if all(m.where is not None for m in listed):
        wheres = [exp.paren(compile_condition(m.where, _col)) for m in listed if m.where is not None]
        conditions.append(exp.paren(exp.or_(*wheres)) if len(wheres) > 1 else wheres[0])
    versioned = records(first.source, source, history, latest=current)
    read = exp.select().from_(versioned.subquery("s", copy=False), copy=False)  # trees built here: no copies
    placed = []
    for i, column in enumerate(units):
        unit, join = _placed_unit(column, era if mapped else None, "m" if i == 0 else f"m{i}")
        placed.append(unit)
        if join is not None:
            read = read.join(join[0], on=join[1], join_type="left", copy=False)
    if len(placed) > 1:
        read = read.where(exp.and_(*conditions), copy=False)
        by_unit = dict(zip(units, placed, strict=True))
        tree = _grouping_sets(read, by_unit, era, period_key(grain, time), measures, source, time)
        return Query(tuple(listed), grain, era, tree, uses_unit_map=uses_unit_map)
    aggregates = _measure_columns(measures, source, time)
    unit_era: exp.Expression = _col("unit_era") if era is None else exp.Literal.string(NEW_ERA)
    if era == NEW_ERA:
        conditions.append(exp.Not(this=exp.Is(this=placed[0].copy(), expression=exp.Null())))
    keys = [
        exp.alias_(placed[0], UNIT),
        exp.alias_(unit_era, UNIT_ERA),
        exp.alias_(period_key(grain, time), PERIOD_KEY),
    ]
    tree = read.select(*keys, *aggregates, copy=False).where(exp.and_(*conditions), copy=False)
    tree = tree.group_by(exp.Literal.number(1), exp.Literal.number(2), exp.Literal.number(3), copy=False)
    return Query(tuple(listed), grain, era, tree, uses_unit_map=uses_unit_map)


def _measure_columns(measures: Mapping[str, Measure], source: Source, time: exp.Expression) -> list[exp.Expression]:
    """Each measure's aggregates under its prefix: records, first and last time, simulated, its variables."""
    columns: list[exp.Expression] = []
    simulated = "simulated" in {f.name for f in source.fields}
    flag = exp.EQ(this=_col("simulated"), expression=exp.true())
    for prefix, m in measures.items():
        population = compile_condition(m.where, _col) if m.where is not None else None
        columns += [
            exp.alias_(_count(population), column_name(prefix, RECORDS), quoted=True),
            exp.alias_(exp.Min(this=_when(population, time.copy())), column_name(prefix, FIRST), quoted=True),
            exp.alias_(exp.Max(this=_when(population, time.copy())), column_name(prefix, LAST), quoted=True),
        ]
        if simulated:
            columns.append(exp.alias_(_count(_both(population, flag)), column_name(prefix, SIMULATED), quoted=True))
        columns += [
            exp.alias_(_aggregate(v, population), column_name(prefix, v.name), quoted=True) for v in m.variables
        ]
    return columns


def _placed_unit(
    column: str, era: str | None, alias: str
) -> tuple[exp.Expression, tuple[exp.Expression, exp.Expression] | None]:
    """The unit a record counts for by one of its unit columns, and the join to the unit map it needs (if any).

    `era=None`: the unit as recorded; `era="2025"`: a 2025 unit as recorded, an older one through the map
    of whole links (NULL: a unit that did not go whole into one 2025 unit).
    """
    recorded = _col(column)
    if era is None:
        return recorded, None
    if era != NEW_ERA:
        raise EngineError(f"values can be put on the units of era {NEW_ERA} or left as recorded, not era {era}")
    is_new = exp.EQ(this=_col("unit_era"), expression=exp.Literal.string(NEW_ERA))
    unit = exp.Case().when(is_new, recorded).else_(_col("to_code", alias))
    on = exp.and_(
        exp.EQ(this=_col("era", alias), expression=_col("unit_era")),
        exp.EQ(this=_col("code", alias), expression=recorded.copy()),
    )
    return unit, (exp.alias_(exp.to_table(UNIT_MAP), alias, table=True), on)


def _grouping_sets(
    read: exp.Select,
    placed: Mapping[str, exp.Expression],
    era: str | None,
    key: exp.Expression,
    measures: Mapping[str, Measure],
    source: Source,
    time: exp.Expression,
) -> exp.Select:
    """The measures grouped once per unit column (GROUPING SETS), each row with its unit and placement.

    `read` (the records kept, from `s` and the unit-map joins) gives every record its unit by each column
    and its period key; the outer query groups them. A record without a unit by one column (era 2025: an
    old unit split among new ones) still counts by the others, so units are checked after grouping.

    When every distinct count reads one column, each set is first grouped by that column too, and the
    outer query only adds up: DuckDB plans a COUNT(DISTINCT) under GROUPING SETS as a join per distinct
    count and set, which took three times as long as the counting for the procedure catalogue.
    """
    names = [f"__unit_{i}" for i in range(len(placed))]
    star = exp.Column(this=exp.Star(), table=exp.to_identifier("s"))
    inner = read.select(
        star,
        *(exp.alias_(unit, name, quoted=True) for unit, name in zip(placed.values(), names, strict=True)),
        exp.alias_(key, "__period_key", quoted=True),
        copy=False,
    )
    grouped = [exp.EQ(this=exp.Grouping(expressions=[_col(name)]), expression=exp.Literal.number(0)) for name in names]
    unit, placement = exp.Case(), exp.Case()
    for cond, name, column in zip(grouped[:-1], names, placed, strict=False):
        unit = unit.when(cond.copy(), _col(name))
        placement = placement.when(cond.copy(), exp.Literal.string(column))
    unit = unit.else_(_col(names[-1]))
    placement = placement.else_(exp.Literal.string(list(placed)[-1]))
    by_era = [_col("unit_era")] if era is None else []
    keys = [
        exp.alias_(unit, UNIT),
        exp.alias_(_col("unit_era") if era is None else exp.Literal.string(NEW_ERA), UNIT_ERA),
        exp.alias_(_col("__period_key"), PERIOD_KEY),
        exp.alias_(placement, PLACEMENT),
    ]
    distinct = _distinct_column(measures)
    per_value = [] if distinct is None else [_col(distinct)]
    sets = [
        exp.Tuple(expressions=[_col(name), *(c.copy() for c in by_era), _col("__period_key"), *per_value])
        for name in names
    ]
    if distinct is None:
        tree = exp.select(*keys, *_measure_columns(measures, source, time))
        tree = tree.from_(inner.subquery("s", copy=False), copy=False)
        tree.set("group", exp.Group(expressions=[exp.GroupingSets(expressions=sets)]))
    else:
        partial, totals = _by_distinct(measures, source, time)
        values = exp.select(*keys, exp.alias_(_col(distinct), DISTINCT, quoted=True), *partial)
        values = values.from_(inner.subquery("s", copy=False), copy=False)
        values.set("group", exp.Group(expressions=[exp.GroupingSets(expressions=sets)]))
        tree = exp.select(*(exp.alias_(_col(c), c) for c in (UNIT, UNIT_ERA, PERIOD_KEY, PLACEMENT)), *totals)
        tree = tree.from_(values.subquery("s", copy=False), copy=False)
        tree = tree.group_by(*(exp.Literal.number(i) for i in range(1, 5)), copy=False)
    if era is None:
        return tree
    unplaced = exp.Is(this=exp.column(UNIT, table="g"), expression=exp.Null())
    return (
        exp.select(exp.Star())
        .from_(tree.subquery("g", copy=False), copy=False)
        .where(exp.Not(this=unplaced), copy=False)
    )


def _distinct_column(measures: Mapping[str, Measure]) -> str | None:
    """The one column every distinct count reads, if there are distinct counts and no sums (whose floating
    point total could change in the last digit when added up in two steps)."""
    aggregates = {v.aggregate for m in measures.values() for v in m.variables}
    columns = {v.column for m in measures.values() for v in m.variables if v.aggregate is Aggregate.COUNT_DISTINCT}
    if Aggregate.SUM in aggregates or len(columns) != 1:
        return None
    return columns.pop()


def _by_distinct(
    measures: Mapping[str, Measure], source: Source, time: exp.Expression
) -> tuple[list[exp.Expression], list[exp.Expression]]:
    """The measures' aggregates in two steps: per value of the distinct column (`DISTINCT`), then per group.

    Counts are counted, then added up; first and last times are the least and greatest of each value's;
    a distinct count is the number of values with a record that meets its condition.
    """
    partial: list[exp.Expression] = []
    final: list[exp.Expression] = []

    def added(name: str, count: exp.Expression) -> None:
        partial.append(exp.alias_(count, name, quoted=True))
        final.append(exp.alias_(exp.cast(exp.Sum(this=_col(name)), "BIGINT"), name, quoted=True))

    def extreme(name: str, value: exp.Expression, kind: type[exp.Min] | type[exp.Max]) -> None:
        partial.append(exp.alias_(kind(this=value), name, quoted=True))
        final.append(exp.alias_(kind(this=_col(name)), name, quoted=True))

    simulated = "simulated" in {f.name for f in source.fields}
    flag = exp.EQ(this=_col("simulated"), expression=exp.true())
    one = exp.Literal.number(1)
    for prefix, m in measures.items():
        population = compile_condition(m.where, _col) if m.where is not None else None
        added(column_name(prefix, RECORDS), _count(population))
        extreme(column_name(prefix, FIRST), _when(population, time.copy()), exp.Min)
        extreme(column_name(prefix, LAST), _when(population, time.copy()), exp.Max)
        if simulated:
            added(column_name(prefix, SIMULATED), _count(_both(population, flag)))
        for v in m.variables:
            name = column_name(prefix, v.name)
            cond = _both(population, compile_condition(v.where, _col) if v.where is not None else None)
            if v.aggregate is Aggregate.COUNT:
                added(name, _count(cond))
                continue
            partial.append(exp.alias_(exp.Max(this=_when(cond, one.copy())), name, quoted=True))
            seen = exp.and_(
                exp.EQ(this=_col(name), expression=one.copy()),
                exp.Not(this=exp.Is(this=_col(DISTINCT), expression=exp.Null())),
            )
            final.append(exp.alias_(exp.Count(this=exp.Case().when(seen, one.copy())), name, quoted=True))
    return partial, final
