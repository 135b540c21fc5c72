"""Measured values as one long table: each query result made into rows, the rows chosen and sorted.

One row per unit, variable and period (`VALUE_COLUMNS`, described in `chiso.sources.service`), built
from whole arrays rather than row by row: a province's values month by month run to tens of thousands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chiso.sources.compiler import (
    FIRST,
    LAST,
    NEW_ERA,
    PERIOD_KEY,
    RECORDS,
    SIMULATED,
    UNIT,
    UNIT_ERA,
    column_name,
    period_bounds,
    period_label,
)
from chiso.sources.measures import Grain, Measure, MeasureSet, Ratio, Variable
from chiso.sources.schemas import SourceError
from chiso.sources.unitmap import province_units, whole_links

VALUE_COLUMNS = [
    "unit",
    "variable",
    "period",
    "value",
    "source",
    "measure",
    "measure_version",
    "records",
    "computed_at",
    "lineage",
    "unit_era",
    "simulated",
    "first_record_at",
    "last_record_at",
]
BREAK = "2025-07-01"
UNDERIVED = "took part of an old commune split with unknown shares; its records before 1/7/2025 cannot be divided"
SORTED_BY = ["variable", "period", "unit_era", "unit"]


@dataclass
class MeasuredValues:
    values: pd.DataFrame
    underived: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["unit", "period", "reason"]))
    notes: list[str] = field(default_factory=list)


def measured_values(
    frames: list[pd.DataFrame],
    grains: Sequence[Grain],
    *,
    era: str | None,
    province: str | None,
    since: str | None,
    notes: list[str],
    columns: Sequence[str] = VALUE_COLUMNS,
) -> MeasuredValues:
    """Values of every measure together: units missing a part dropped (era 2025), the province's kept, sorted."""
    values = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=VALUE_COLUMNS)
    underived = pd.DataFrame(columns=["unit", "period", "reason"])
    kept = np.ones(len(values), dtype=bool)
    if era == NEW_ERA and len(values):
        incomplete, underived = _incomplete(values, grains, since)
        kept &= ~incomplete
    if province is not None:
        keys = province_units(province)
        kept &= _inside(values, keys)
        if len(underived):
            underived = underived[underived["unit"].isin({u for _, u in keys})]
    # Kept and sorted by their codes, then every column (lineage is long text) taken once.
    order = np.flatnonzero(kept)[np.lexsort([_codes(values[c].to_numpy()[kept]) for c in reversed(SORTED_BY)])]
    values = values.take(order).reset_index(drop=True)
    return MeasuredValues(values[list(columns)], underived.reset_index(drop=True), notes)


def _inside(values: pd.DataFrame, keys: frozenset[tuple[str, str]]) -> np.ndarray:
    """Whether each value's (unit era, unit) is one of `keys`, decided once per distinct pair."""
    units, unit_codes = pd.factorize(values["unit"])
    eras, era_codes = pd.factorize(values["unit_era"])
    member = np.array([[(era, unit) in keys for unit in unit_codes] for era in era_codes], dtype=bool)
    return member[eras, units] if len(values) else np.zeros(0, dtype=bool)


def _codes(column: np.ndarray) -> np.ndarray:
    """Integers that sort as the column's values do (for `np.lexsort`, a stable sort)."""
    codes, uniques = pd.factorize(column, sort=True)
    return np.where(codes < 0, len(uniques), codes)  # missing last, as pandas sorts them


def _incomplete(values: pd.DataFrame, grains: Sequence[Grain], since: str | None) -> tuple[np.ndarray, pd.DataFrame]:
    """Values of new units that took part of a split old unit, for periods that begin before the break."""
    labels = values["period"].unique()
    starts = {period_label(g, k): max(period_bounds(g, k)[0], since or "") for g in grains for k in _keys(g, labels)}
    early = [p for p in labels if starts.get(p, BREAK) < BREAK]
    if not early:  # only a period that begins before 1/7/2025 can hold such a value (no succession map read)
        return np.zeros(len(values), dtype=bool), values.iloc[:0][["unit", "period"]].assign(reason=UNDERIVED)
    _, incomplete = whole_links()
    bad = values["unit"].isin(incomplete) & values["period"].isin(early)
    return bad.to_numpy(), values.loc[bad, ["unit", "period"]].drop_duplicates().assign(reason=UNDERIVED)


def long_values(
    result: pd.DataFrame,
    m: Measure,
    grain: Grain,
    measures: MeasureSet,
    computed_at: str,
    lineage: str,
    prefix: str | None = None,
    columns: Sequence[str] = VALUE_COLUMNS,
) -> pd.DataFrame:
    """One measure's values from a (possibly fused) query result; unit-periods without its records drop out.

    `prefix`: of the measure's columns, when the query named them otherwise than by its code. `columns`:
    those of `VALUE_COLUMNS` to make.
    """

    def column(name: str) -> pd.Series:
        return result[column_name(prefix or m, name)]

    counted = np.flatnonzero(column(RECORDS).to_numpy(dtype="int64", na_value=0) > 0)
    if not len(counted):
        return pd.DataFrame(columns=list(columns))
    items: list[Variable | Ratio] = [*m.variables, *m.ratios]
    values = np.empty((len(items), len(counted)))
    for i, item in enumerate(items):
        if isinstance(item, Ratio):
            numerator = column(item.numerator).to_numpy(dtype=float, na_value=np.nan)[counted]
            denominator = column(item.denominator).to_numpy(dtype=float, na_value=np.nan)[counted]
            with np.errstate(divide="ignore", invalid="ignore"):
                values[i] = np.where(denominator != 0, numerator / denominator, np.nan)
        else:
            values[i] = column(item.name).to_numpy(dtype=float, na_value=np.nan)[counted]
    # One row per unit-period and variable with a value, variable by variable: a ratio over nothing has none.
    which, row = np.nonzero(~np.isnan(values))
    rows = counted[row]

    def periods() -> np.ndarray:
        keys = result[PERIOD_KEY].to_numpy()
        labels = {k: period_label(grain, int(k)) for k in np.unique(keys[counted])}
        return np.array([labels[k] for k in keys[rows]], dtype=object)

    def simulated() -> np.ndarray | int:
        return column(SIMULATED).to_numpy(dtype="int64")[rows] if column_name(prefix or m, SIMULATED) in result else 0

    made: dict[str, Callable[[], Any]] = {
        "unit": lambda: result[UNIT].astype(str).to_numpy()[rows],
        "variable": lambda: np.array([item.name for item in items], dtype=object)[which],
        "period": periods,
        "value": lambda: values[which, row],
        "source": lambda: "measured",
        "measure": lambda: f"{measures.code}:{m.code}",
        "measure_version": lambda: measures.version,
        "records": lambda: column(RECORDS).to_numpy(dtype="int64")[rows],
        "computed_at": lambda: computed_at,
        "lineage": lambda: lineage,
        "unit_era": lambda: result[UNIT_ERA].astype(str).to_numpy()[rows],
        "simulated": simulated,
        "first_record_at": lambda: local_seconds(column(FIRST).iloc[counted]).to_numpy()[row],
        "last_record_at": lambda: local_seconds(column(LAST).iloc[counted]).to_numpy()[row],
    }
    return pd.DataFrame({name: made[name]() for name in columns}, columns=list(columns))


def local_seconds(times: pd.Series) -> pd.Series:
    """Times as ISO text to the second ("2025-03-02T08:00:00"; none: NaN), as they were recorded (local)."""
    return pd.to_datetime(times).dt.strftime("%Y-%m-%dT%H:%M:%S")


def _keys(grain: Grain, labels: Iterable[str]) -> list[int]:
    keys = []
    for label in labels:
        try:
            if grain is Grain.YEAR and len(label) == 4:
                keys.append(int(label))
            elif grain is Grain.QUARTER and "-Q" in label:
                year, quarter = label.split("-Q")
                keys.append(int(year) * 10 + int(quarter))
            elif grain is Grain.MONTH and len(label) == 7 and "-Q" not in label:
                year, month = label.split("-")
                keys.append(int(year) * 100 + int(month))
        except ValueError:
            continue
    return keys


def grain_of(period: str) -> tuple[Grain, int]:
    for grain in Grain:
        keys = _keys(grain, [period])
        if keys:
            return grain, keys[0]
    raise SourceError(f"period {period!r} is not a month (2025-07), quarter (2025-Q3) or year (2025)")
