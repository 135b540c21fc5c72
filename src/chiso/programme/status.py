"""Where each target stands: latest value, progress from baseline, forecast, and a status.

Statuses (the five a leader's report uses):
- achieved: an observation of the target year (or later) meets the target;
- on track: the target year has not come, and the latest value already meets the target (or the
  milestone its roadmap sets for that value's year), or the forecast for the target year meets it;
- at risk: the forecast misses the target (the reason says whether the optimistic end of its interval
  still meets it), or the latest value misses its year's milestone;
- late: the target year has passed — by an observation of that year, or by the calendar — unmet;
- no data: nothing tracks the target yet, or too few observations to judge (the reason says which).

A target of a later year is never "achieved" on an interim value: 93 % in 2024 against "> 90 % by
2025" is on track until the 2025 figure is in. Reasons are data (a code and its figures), rendered in
Vietnamese or English with the figures in that language's format (`describe`).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
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
    LATE = "late"
    NO_DATA = "no_data"


LABELS = {
    Status.ACHIEVED: "Đã đạt",
    Status.ON_TRACK: "Đúng tiến độ",
    Status.AT_RISK: "Có nguy cơ không đạt",
    Status.LATE: "Quá hạn, chưa đạt",
    Status.NO_DATA: "Chưa có dữ liệu",
}
ORDER = (Status.AT_RISK, Status.LATE, Status.ON_TRACK, Status.ACHIEVED, Status.NO_DATA)  # what needs attention first

_MEETS: dict[str, Callable[[float, float], bool]] = {
    "ge": operator.ge,
    "gt": operator.gt,
    "le": operator.le,
    "lt": operator.lt,
    "eq": lambda a, b: bool(np.isclose(a, b)),
    "top": operator.le,  # a rank meets "top N" when it is at most N
}

# Reason code → (Vietnamese, English). Placeholders: {latest} {latest_year} {year} {goal} {n}
# {forecast} {low} {high} {rank} {best} {worst} {units} {milestone} {milestone_year}; figures are
# formatted by the caller's `number`.
REASONS: dict[str, tuple[str, str]] = {
    "no_source": ("Chưa có nguồn dữ liệu", "No data source yet"),
    "no_observation": ("Chưa có số liệu của đơn vị", "No figure for this unit yet"),
    "too_few": (
        "{n} năm có số liệu: chưa đủ để dự báo (cần 3)",
        "{n} year(s) of figures: too few to forecast (need 3)",
    ),
    "achieved": ("Đạt {latest} năm {latest_year}", "{latest} in {latest_year}"),
    "late_observed": (
        "Năm mục tiêu {year} đã có số liệu, chưa đạt: {latest} năm {latest_year}",
        "Target year {year} observed, not met: {latest} in {latest_year}",
    ),
    "late_calendar": (
        "Năm mục tiêu {year} đã qua, chưa có số liệu đạt: mới nhất {latest} năm {latest_year}",
        "Target year {year} has passed without a figure that meets it: latest {latest} in {latest_year}",
    ),
    "meets_early": (
        "Đã đạt mức mục tiêu năm {latest_year} ({latest}); đánh giá khi có số liệu năm {year}",
        "Already at the target's level in {latest_year} ({latest}); judged on the {year} figure",
    ),
    "milestone_met": (
        "Đạt mốc lộ trình năm {milestone_year} ({milestone}): {latest} năm {latest_year}",
        "Meets the roadmap's {milestone_year} milestone ({milestone}): {latest} in {latest_year}",
    ),
    "milestone_missed": (
        "Chưa đạt mốc lộ trình năm {milestone_year} ({milestone}): {latest} năm {latest_year}",
        "Misses the roadmap's {milestone_year} milestone ({milestone}): {latest} in {latest_year}",
    ),
    "forecast_meets": (
        "Dự báo {forecast} [{low}; {high}] năm {year}: đạt",
        "Forecast {forecast} [{low}; {high}] in {year}: meets the target",
    ),
    "forecast_may_miss": (
        "Dự báo {forecast} [{low}; {high}] năm {year}: chỉ đạt nếu theo cận tốt của dự báo",
        "Forecast {forecast} [{low}; {high}] in {year}: meets the target only at the forecast's better end",
    ),
    "forecast_misses": (
        "Dự báo {forecast} [{low}; {high}] năm {year}: khó đạt",
        "Forecast {forecast} [{low}; {high}] in {year}: unlikely to meet the target",
    ),
    "rank_forecast_meets": (
        "Dự báo hạng {rank} [{best}–{worst}]/{units} năm {year}: đạt",
        "Forecast rank {rank} [{best}–{worst}] of {units} in {year}: meets the target",
    ),
    "rank_forecast_may_miss": (
        "Dự báo hạng {rank} [{best}–{worst}]/{units} năm {year}: chỉ đạt nếu theo cận tốt của dự báo",
        "Forecast rank {rank} [{best}–{worst}] of {units} in {year}: meets the target only at its better end",
    ),
    "rank_forecast_misses": (
        "Dự báo hạng {rank} [{best}–{worst}]/{units} năm {year}: khó đạt",
        "Forecast rank {rank} [{best}–{worst}] of {units} in {year}: unlikely to meet the target",
    ),
}
NUMBERS = {"latest", "forecast", "low", "high", "milestone", "goal"}  # formatted by the target's own format


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, float | int | str] = field(default_factory=dict)


def describe(reason: Reason, lang: str = "vi", number: Callable[[float], str] | None = None) -> str:
    """The reason in Vietnamese (`vi`) or English, its figures written by `number` (default: plain)."""
    vi, en = REASONS[reason.code]
    write = number or (lambda x: f"{x:g}")
    params = {k: write(float(v)) if k in NUMBERS and v is not None else v for k, v in reason.params.items()}
    return (en if lang == "en" else vi).format(**params)


@dataclass(frozen=True)
class TargetStatus:
    target: Target
    unit: str
    status: Status
    reason: Reason
    latest: float | None = None
    latest_year: int | None = None
    progress: float | None = None  # share of the way from baseline to target (1 = reached)
    forecast: Forecast | None = None
    rank_forecast: RankForecast | None = None
    observations: int = 0
    milestone: tuple[int, float] | None = None  # (year, value) of the roadmap the latest value is judged by


def meets(target: Target, value: float) -> bool:
    return _MEETS[target.comparison](value, target.value)


def _meets_value(target: Target, value: float, goal: float) -> bool:
    return _MEETS[target.comparison](value, goal)


def evaluate(programme: Programme, values: pd.DataFrame, *, today: dt.date | None = None) -> list[TargetStatus]:
    """Status of every target from a long table `unit, variable, period, value` (periods are years).

    A target tracking a framework node reads the rows whose `variable` is the node code (e.g. `dti`
    from `chiso score` results); a rank target ranks every unit present in each year, or takes the
    published rank where the table has one (column `rank_published`). `today` (the app's clock) says
    whether a target year has passed without a figure; without it only the observations decide.
    """
    table = _yearly(values)
    return [_evaluate_target(programme, target, table, today) for target in programme.targets]


def _yearly(values: pd.DataFrame) -> pd.DataFrame:
    missing = {"unit", "variable", "period", "value"} - set(values.columns)
    if missing:
        raise ValueError(f"the values need columns unit, variable, period, value; missing {sorted(missing)}")
    columns = ["unit", "variable", "period", "value"] + (["rank_published"] if "rank_published" in values else [])
    table = values[columns].copy()
    table["unit"] = table["unit"].astype(str)
    years = pd.to_numeric(table["period"], errors="coerce")
    if years.isna().any():
        bad = table.loc[years.isna(), "period"].iloc[0]
        raise ValueError(f"periods must be years for programme tracking; found {bad!r}")
    table["year"] = years.astype(int)
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    return table.dropna(subset=["value"])


def _evaluate_target(programme: Programme, target: Target, table: pd.DataFrame, today: dt.date | None) -> TargetStatus:
    unit = programme.unit_of(target).code
    if target.tracks is None:
        return TargetStatus(target, unit, Status.NO_DATA, Reason("no_source"))
    rows = table[table["variable"] == target.tracks.series_key]
    if target.tracks.statistic == "rank":
        return _rank_status(target, unit, rows, today)
    mine = rows[rows["unit"] == unit].groupby("year")["value"].last().sort_index()
    return _value_status(target, unit, mine, today)


def _judge_interim(
    target: Target, base: TargetStatus, latest: float, latest_year: int, today: dt.date | None
) -> TargetStatus | None:
    """The status an interim value decides by itself (target year not observed yet), or None to forecast."""
    figures = {"latest": latest, "latest_year": latest_year, "year": target.year}
    if today is not None and today.year > target.year:  # the target year is over and its figure not in
        if meets(target, latest):
            return replace(base, status=Status.ON_TRACK, reason=Reason("meets_early", figures))
        return replace(base, status=Status.LATE, reason=Reason("late_calendar", figures))
    # The year's figure is judged against that year's milestone of the roadmap; a year without one, by the
    # forecast for the target year (an old milestone says nothing about the way still to go).
    if latest_year in target.milestones:
        milestone = (latest_year, target.milestones[latest_year])
        params = {**figures, "milestone_year": milestone[0], "milestone": milestone[1]}
        if _meets_value(target, latest, milestone[1]):
            return replace(base, status=Status.ON_TRACK, reason=Reason("milestone_met", params), milestone=milestone)
        return replace(base, status=Status.AT_RISK, reason=Reason("milestone_missed", params), milestone=milestone)
    if meets(target, latest):
        return replace(base, status=Status.ON_TRACK, reason=Reason("meets_early", figures))
    return None


def _value_status(target: Target, unit: str, series: pd.Series, today: dt.date | None) -> TargetStatus:
    if series.empty:
        return TargetStatus(target, unit, Status.NO_DATA, Reason("no_observation"))
    latest_year, latest = int(series.index[-1]), float(series.iloc[-1])
    progress = _progress(target, latest)
    base = TargetStatus(
        target, unit, Status.NO_DATA, Reason("no_observation"), latest, latest_year, progress, observations=len(series)
    )
    figures = {"latest": latest, "latest_year": latest_year, "year": target.year}
    if latest_year >= target.year:
        if meets(target, latest):
            return replace(base, status=Status.ACHIEVED, reason=Reason("achieved", figures))
        return replace(base, status=Status.LATE, reason=Reason("late_observed", figures))
    forecast = linear_forecast(series.index.to_numpy(), series.to_numpy(), target.year, bounds=target.bounds)
    judged = _judge_interim(target, base, latest, latest_year, today)
    if judged is not None:
        return replace(judged, forecast=forecast)
    if forecast is None:
        return replace(base, reason=Reason("too_few", {"n": len(series)}))
    params = {**figures, "forecast": forecast.value, "low": forecast.low, "high": forecast.high}
    optimistic = forecast.low if target.comparison in {"le", "lt"} else forecast.high
    if target.comparison == "eq":
        inside = forecast.low <= target.value <= forecast.high
        status, code = (Status.ON_TRACK, "forecast_meets") if inside else (Status.AT_RISK, "forecast_misses")
    elif meets(target, forecast.value):
        status, code = Status.ON_TRACK, "forecast_meets"
    else:
        status, code = Status.AT_RISK, ("forecast_may_miss" if meets(target, optimistic) else "forecast_misses")
    return replace(base, status=status, reason=Reason(code, params), forecast=forecast)


def rank_of(rows: pd.DataFrame, unit: str, year: int) -> tuple[float, bool]:
    """The unit's rank in `year` among the units in `rows` that year, and whether it is the published
    one (column `rank_published`) rather than recomputed from their index values."""
    that_year = rows[rows["year"] == year]
    if "rank_published" in that_year:
        published = that_year.loc[that_year["unit"] == unit, "rank_published"].dropna()
        if not published.empty:
            return float(published.iloc[-1]), True
    index = that_year.groupby("unit")["value"].last()
    ranks = competition_ranks(index.to_numpy()[None, :], np.ones((1, len(index)), dtype=bool))[0]
    return float(ranks[list(index.index).index(unit)]), False


def _rank_status(target: Target, unit: str, rows: pd.DataFrame, today: dt.date | None) -> TargetStatus:
    if rows.empty or unit not in set(rows["unit"]):
        return TargetStatus(target, unit, Status.NO_DATA, Reason("no_observation"))
    latest_year = int(rows.loc[rows["unit"] == unit, "year"].max())
    latest, _published = rank_of(rows, unit, latest_year)
    progress = _progress(target, latest)
    years_seen = int(rows.loc[rows["unit"] == unit, "year"].nunique())
    base = TargetStatus(
        target, unit, Status.NO_DATA, Reason("no_observation"), latest, latest_year, progress, observations=years_seen
    )
    figures = {"latest": latest, "latest_year": latest_year, "year": target.year}
    if latest_year >= target.year:
        if meets(target, latest):
            return replace(base, status=Status.ACHIEVED, reason=Reason("achieved", figures))
        return replace(base, status=Status.LATE, reason=Reason("late_observed", figures))
    series: dict[str, tuple[list[int], list[float]]] = {
        str(code): (group["year"].tolist(), group["value"].tolist()) for code, group in rows.groupby("unit")
    }
    forecast = rank_forecast(series, unit, target.year)
    judged = _judge_interim(target, base, latest, latest_year, today)
    if judged is not None:
        return replace(judged, rank_forecast=forecast)
    if forecast is None:
        return replace(base, reason=Reason("too_few", {"n": years_seen}))
    params = {
        **figures,
        "rank": forecast.rank,
        "best": forecast.best,
        "worst": forecast.worst,
        "units": forecast.units,
    }
    if meets(target, forecast.rank):
        status, code = Status.ON_TRACK, "rank_forecast_meets"
    else:
        status = Status.AT_RISK
        code = "rank_forecast_may_miss" if meets(target, forecast.best) else "rank_forecast_misses"
    return replace(base, status=status, reason=Reason(code, params), rank_forecast=forecast)


def _progress(target: Target, latest: float) -> float | None:
    """The share of the way from the baseline to the target covered; None when there was no way to go
    (no baseline, or a baseline that already met the target, as Thái Nguyên's 12th place did "top 15")."""
    if target.baseline is None or target.value == target.baseline.value or meets(target, target.baseline.value):
        return None
    return (latest - target.baseline.value) / (target.value - target.baseline.value)


def summary(statuses: list[TargetStatus]) -> dict[Status, int]:
    """How many targets are in each status, in the order a leader reads them (at risk first)."""
    return {s: sum(1 for t in statuses if t.status is s) for s in ORDER}
