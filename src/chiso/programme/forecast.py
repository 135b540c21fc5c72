"""Forecasts for short yearly series (3–10 points): a straight-line trend with a prediction interval.

Method: ordinary least squares of value on year; the forecast for the target year is the line's
value there, and the interval is the classical prediction interval
    ŷ ± t(1 − α/2, n − 2) · s · √(1 + 1/n + (x₀ − x̄)² / Σ(x − x̄)²),
with s the residual standard deviation. With few points the interval is wide, as it should be; it is
clipped to the series' natural bounds (e.g. 0–100 %). Fewer than three points give no forecast: a
line through two points has no residual to say how uncertain it is.

Limits: the trend is assumed to continue (no saturation, no breaks such as the 2025 merger); for a
series that is already near its bound the clipped interval is optimistic. Ranks are forecast from
every unit's own index trend, then ranked (see `rank_forecast`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit  # Student's t quantile; scipy.stats costs ~1 s more to import

MIN_POINTS = 3
DEFAULT_LEVEL = 0.8


@dataclass(frozen=True)
class Forecast:
    year: int
    value: float
    low: float
    high: float
    level: float
    points: int
    slope: float
    standard_error: float  # of the prediction at `year`; the interval is t(n − 2) × this


def linear_forecast(
    years: list[int] | np.ndarray,
    values: list[float] | np.ndarray,
    target_year: int,
    *,
    level: float = DEFAULT_LEVEL,
    bounds: tuple[float, float] | None = None,
) -> Forecast | None:
    """The trend's value at `target_year` with a `level` prediction interval; None if too short."""
    x = np.asarray(years, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    n = len(x)
    if n < MIN_POINTS or np.ptp(x) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    fitted = intercept + slope * x
    residual_sd = float(np.sqrt(np.sum((y - fitted) ** 2) / (n - 2)))
    spread = np.sum((x - x.mean()) ** 2)
    se = residual_sd * np.sqrt(1 + 1 / n + (target_year - x.mean()) ** 2 / spread)
    margin = float(stdtrit(n - 2, 1 - (1 - level) / 2) * se)
    point = float(intercept + slope * target_year)
    low, high = point - margin, point + margin
    if bounds is not None:
        point, low, high = (float(np.clip(v, *bounds)) for v in (point, low, high))
    return Forecast(target_year, point, low, high, level, n, float(slope), float(se))


@dataclass(frozen=True)
class RankForecast:
    year: int
    rank: int  # rank of the unit's forecast index among all units' forecasts
    best: int  # rank interval from simulated forecasts (level)
    worst: int
    level: float
    units: int


def rank_forecast(
    series: dict[str, tuple[list[int], list[float]]],
    unit: str,
    target_year: int,
    *,
    level: float = DEFAULT_LEVEL,
    draws: int = 2000,
    seed: int = 20201231,
) -> RankForecast | None:
    """Forecast every unit's index to `target_year`, rank them, and simulate the rank's interval.

    Each unit's forecast is drawn from its own predictive distribution (t with n − 2 degrees of
    freedom); the rank interval is the central `level` of the unit's simulated ranks.
    """
    forecasts = {
        code: f for code, (years, values) in series.items() if (f := linear_forecast(years, values, target_year))
    }
    if unit not in forecasts or len(forecasts) < 2:
        return None
    codes = list(forecasts)
    centre = np.array([forecasts[c].value for c in codes])
    scale = np.array([forecasts[c].standard_error for c in codes])
    dof = np.array([forecasts[c].points - 2 for c in codes])
    rng = np.random.default_rng(seed)
    simulated = centre + scale * rng.standard_t(dof, size=(draws, len(codes)))
    me = codes.index(unit)
    ranks = 1 + np.sum(simulated > simulated[:, [me]], axis=1)
    point_rank = 1 + int(np.sum(centre > centre[me]))
    tail = (1 - level) / 2
    best, worst = np.quantile(ranks, [tail, 1 - tail], method="nearest")
    return RankForecast(target_year, point_rank, int(best), int(worst), level, len(codes))
