"""Measures compiled to SQL: one sqlglot tree per measure and grain, rendered in each engine's dialect.

The query reads the source's records as a table named after the source and, when values are wanted on
2025 units for every period, a table `unit_map` (era, code, to_code) of whole old→new links:

    SELECT <unit>, <unit era>, <period key>, COUNT(*) AS __records, …, <one aggregate per variable>
    FROM <source> [LEFT JOIN unit_map …] WHERE <time present> AND <measure's where> GROUP BY 1, 2, 3

The period key is a number (2025, 20253, 202507 for year, quarter, month); labels are made in Python,
so both engines return the same thing. A dialect that cannot express a node raises `EngineError`:
there is no fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot.expressions as exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from chiso.sources.conditions import compile_condition
from chiso.sources.measures import Aggregate, Grain, Measure, Variable
from chiso.sources.schemas import get_source

RECORDS, SIMULATED, FIRST, LAST = "__records", "__simulated", "__first", "__last"
UNIT, UNIT_ERA, PERIOD_KEY = "unit", "unit_era", "period_key"
NEW_ERA = "2025"


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


def _aggregate(variable: Variable) -> exp.Expression:
    cond = compile_condition(variable.where, _col) if variable.where is not None else None
    if variable.aggregate is Aggregate.COUNT:
        if cond is None:
            return exp.Count(this=exp.Star())
        return exp.Sum(this=exp.Case().when(cond, exp.Literal.number(1)).else_(exp.Literal.number(0)))
    assert variable.column is not None
    value: exp.Expression = _col(variable.column)
    if cond is not None:
        value = exp.Case().when(cond, value)
    if variable.aggregate is Aggregate.COUNT_DISTINCT:
        return exp.Count(this=exp.Distinct(expressions=[value]))
    return exp.Coalesce(this=exp.Sum(this=value), expressions=[exp.Literal.number(0)])


@dataclass(frozen=True)
class Query:
    measure: Measure
    grain: Grain
    era: str | None
    tree: exp.Select

    def sql(self, dialect: str, engine: str) -> str:
        try:
            return self.tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
        except UnsupportedError as exc:
            raise EngineError(f"engine {engine} cannot run measure {self.measure.code}: {exc}") from exc

    @property
    def filter_sql(self) -> str:
        """The measure's record filter as DuckDB SQL, for lineage."""
        where = self.tree.args.get("where")
        return where.this.sql(dialect="duckdb") if where is not None else "TRUE"


def compile_measure(
    measure: Measure, grain: Grain, *, era: str | None = None, since: str | None = None, until: str | None = None
) -> Query:
    """`era=None`: each value on the unit its records carry; `era="2025"`: on 2025 units throughout.

    `since` / `until` (ISO dates) keep records timed in [since, until): e.g. a year 2025 measured from
    1/7/2025, when the new communes began.
    """
    source = get_source(measure.source)
    time = _col(measure.time)
    recorded_unit = _col(measure.unit)
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
        exp.alias_(exp.Count(this=exp.Star()), RECORDS),
        exp.alias_(exp.Min(this=time.copy()), FIRST),
        exp.alias_(exp.Max(this=time.copy()), LAST),
    ]
    if "simulated" in {f.name for f in source.fields}:
        flag = exp.Case().when(exp.EQ(this=_col("simulated"), expression=exp.true()), exp.Literal.number(1))
        projections.append(
            exp.alias_(
                exp.Coalesce(this=exp.Sum(this=flag.else_(exp.Literal.number(0))), expressions=[exp.Literal.number(0)]),
                SIMULATED,
            )
        )
    projections += [exp.alias_(_aggregate(v), v.name) for v in measure.variables]
    conditions: list[exp.Expression] = [exp.Not(this=exp.Is(this=time.copy(), expression=exp.Null()))]
    if since is not None:
        conditions.append(exp.GTE(this=time.copy(), expression=exp.cast(exp.Literal.string(since), "TIMESTAMP")))
    if until is not None:
        conditions.append(exp.LT(this=time.copy(), expression=exp.cast(exp.Literal.string(until), "TIMESTAMP")))
    if measure.where is not None:
        conditions.append(exp.paren(compile_condition(measure.where, _col)))
    tree = exp.select(*projections).from_(exp.alias_(exp.to_table(measure.source), "s", table=True))
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
    return Query(measure, grain, era, tree)
