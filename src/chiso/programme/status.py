"""Where each target stands: latest value, progress from baseline, forecast, and a status.

Statuses:
- achieved: the latest observation meets the target;
- on track: not yet, but the forecast for the target year meets it;
- at risk: the forecast misses it, but the optimistic end of its interval meets it;
- off track: even the optimistic end misses it, or the target year has passed unmet;
- no data: nothing tracks the target yet, or too few observations to forecast (reason given).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import pandas as pd

from chiso.engine.ranks import competition_ranks
from chiso.programme.forecast import Forecast, RankForecast, linear_forecast, rank_forecast
from chiso.programme.spec import Programme, Target


class Status(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"


LABELS = {
    Status.ACHIEVED: "Đã đạt",
    Status.ON_TRACK: "Đúng tiến độ",
    Status.AT_RISK: "Có nguy cơ không đạt",
    Status.OFF_TRACK: "Chậm, khó đạt",
    Status.NO_DATA: "Chưa có dữ liệu",
}

_MEETS: dict[str, Callable[[float, float], bool]] = {
    "ge": operator.ge,
    "gt": operator.gt,
    "le": operator.le,
    "lt": operator.lt,
    "eq": lambda a, b: bool(np.isclose(a, b)),
    "top": operator.le,  # a rank meets "top N" when it is at most N
}


@dataclass(frozen=True)
class TargetStatus:
    target: Target
    unit: str
    status: Status
    reason: str
    latest: float | None = None
    latest_year: int | None = None
    progress: float | None = None  # share of the way from baseline to target (1 = reached)
    forecast: Forecast | None = None
    rank_forecast: RankForecast | None = None
    observations: int = 0


def meets(target: Target, value: float) -> bool:
    return _MEETS[target.comparison](value, target.value)


def evaluate(programme: Programme, values: pd.DataFrame) -> list[TargetStatus]:
    """Status of every target from a long table `unit, variable, period, value` (periods are years).

    A target tracking a framework node reads the rows whose `variable` is the node code (e.g. `dti`
    from `chiso score` results); a rank target ranks every unit present in each year.
    """
    table = _yearly(values)
    return [_evaluate_target(programme, target, table) for target in programme.targets]


def _yearly(values: pd.DataFrame) -> pd.DataFrame:
    missing = {"unit", "variable", "period", "value"} - set(values.columns)
    if missing:
        raise ValueError(f"the values need columns unit, variable, period, value; missing {sorted(missing)}")
    table = values[["unit", "variable", "period", "value"]].copy()
    table["unit"] = table["unit"].astype(str)
    years = pd.to_numeric(table["period"], errors="coerce")
    if years.isna().any():
        bad = table.loc[years.isna(), "period"].iloc[0]
        raise ValueError(f"periods must be years for programme tracking; found {bad!r}")
    table["year"] = years.astype(int)
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    return table.dropna(subset=["value"])


def _evaluate_target(programme: Programme, target: Target, table: pd.DataFrame) -> TargetStatus:
    unit = programme.unit_of(target).code
    if target.tracks is None:
        return TargetStatus(target, unit, Status.NO_DATA, "chưa có nguồn dữ liệu — no data source yet")
    rows = table[table["variable"] == target.tracks.series_key]
    if target.tracks.statistic == "rank":
        return _rank_status(target, unit, rows)
    mine = rows[rows["unit"] == unit].groupby("year")["value"].last().sort_index()
    return _value_status(target, unit, mine)


def _value_status(target: Target, unit: str, series: pd.Series) -> TargetStatus:
    if series.empty:
        return TargetStatus(target, unit, Status.NO_DATA, "no observation for this unit yet")
    latest_year, latest = int(series.index[-1]), float(series.iloc[-1])
    progress = _progress(target, latest)
    base = TargetStatus(target, unit, Status.NO_DATA, "", latest, latest_year, progress, observations=len(series))
    if meets(target, latest):
        return replace(base, status=Status.ACHIEVED, reason=f"{latest:g} in {latest_year}")
    if latest_year >= target.year:
        return replace(base, status=Status.OFF_TRACK, reason=f"target year {target.year} reached, not met")
    forecast = linear_forecast(series.index.to_numpy(), series.to_numpy(), target.year, bounds=target.bounds)
    if forecast is None:
        reason = f"{len(series)} observation(s): too few to forecast (need 3)"
        return replace(base, status=Status.NO_DATA, reason=reason)
    optimistic = forecast.low if target.comparison in {"le", "lt"} else forecast.high
    if target.comparison == "eq":
        status = Status.ON_TRACK if forecast.low <= target.value <= forecast.high else Status.OFF_TRACK
    elif meets(target, forecast.value):
        status = Status.ON_TRACK
    else:
        status = Status.AT_RISK if meets(target, optimistic) else Status.OFF_TRACK
    reason = f"forecast {forecast.value:.4g} [{forecast.low:.4g}, {forecast.high:.4g}] in {target.year}"
    return replace(base, status=status, reason=reason, forecast=forecast)


def _rank_status(target: Target, unit: str, rows: pd.DataFrame) -> TargetStatus:
    if rows.empty or unit not in set(rows["unit"]):
        return TargetStatus(target, unit, Status.NO_DATA, "no index values for this unit yet")
    latest_year = int(rows.loc[rows["unit"] == unit, "year"].max())
    that_year = rows[rows["year"] == latest_year].groupby("unit")["value"].last()
    ranks = competition_ranks(that_year.to_numpy()[None, :], np.ones((1, len(that_year)), dtype=bool))[0]
    latest = float(ranks[list(that_year.index).index(unit)])
    progress = _progress(target, latest)
    years_seen = int(rows.loc[rows["unit"] == unit, "year"].nunique())
    base = TargetStatus(target, unit, Status.NO_DATA, "", latest, latest_year, progress, observations=years_seen)
    if meets(target, latest):
        reason = f"rank {latest:g} of {len(that_year)} in {latest_year}"
        return replace(base, status=Status.ACHIEVED, reason=reason)
    if latest_year >= target.year:
        return replace(base, status=Status.OFF_TRACK, reason=f"target year {target.year} reached, not met")
    series: dict[str, tuple[list[int], list[float]]] = {
        str(code): (group["year"].tolist(), group["value"].tolist()) for code, group in rows.groupby("unit")
    }
    forecast = rank_forecast(series, unit, target.year)
    if forecast is None:
        reason = f"{years_seen} year(s) of index values: too few to forecast (need 3)"
        return replace(base, status=Status.NO_DATA, reason=reason)
    if meets(target, forecast.rank):
        status = Status.ON_TRACK
    else:
        status = Status.AT_RISK if meets(target, forecast.best) else Status.OFF_TRACK
    reason = f"forecast rank {forecast.rank} [{forecast.best}–{forecast.worst}] of {forecast.units} in {target.year}"
    return replace(base, status=status, reason=reason, rank_forecast=forecast)


def _progress(target: Target, latest: float) -> float | None:
    """The share of the way from the baseline to the target covered; None when there was no way to go
    (no baseline, or a baseline that already met the target, as Thái Nguyên's 12th place did "top 15")."""
    if target.baseline is None or target.value == target.baseline.value or meets(target, target.baseline.value):
        return None
    return (latest - target.baseline.value) / (target.value - target.baseline.value)
