"""Forecasts on series with known answers: linear, flat, noisy, too short; and rank forecasts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from chiso.programme.forecast import linear_forecast, rank_forecast


def test_exact_line_has_no_uncertainty():
    f = linear_forecast([2021, 2022, 2023, 2024], [0.30, 0.40, 0.50, 0.60], 2025)
    assert f is not None
    assert f.value == pytest.approx(0.70) and f.low == pytest.approx(0.70) and f.high == pytest.approx(0.70)
    assert f.slope == pytest.approx(0.10) and f.points == 4


def test_flat_series_forecasts_its_level():
    f = linear_forecast([2020, 2021, 2022], [5.0, 5.0, 5.0], 2030)
    assert f is not None and f.value == pytest.approx(5.0) and f.high - f.low == pytest.approx(0.0)


def test_noisy_series_matches_the_textbook_interval():
    years = np.array([2018, 2019, 2020, 2021, 2022, 2023])
    values = np.array([10.0, 12.5, 13.0, 16.0, 16.5, 19.0])
    f = linear_forecast(years, values, 2025, level=0.9)
    assert f is not None
    # Independent computation with scipy's regression.
    fit = stats.linregress(years, values)
    point = fit.intercept + fit.slope * 2025
    residuals = values - (fit.intercept + fit.slope * years)
    s = np.sqrt(np.sum(residuals**2) / 4)
    se = s * np.sqrt(1 + 1 / 6 + (2025 - years.mean()) ** 2 / np.sum((years - years.mean()) ** 2))
    margin = stats.t.ppf(0.95, 4) * se
    assert f.value == pytest.approx(point)
    assert (f.low, f.high) == pytest.approx((point - margin, point + margin))
    assert f.low < f.value < f.high


def test_too_short_gives_no_forecast():
    assert linear_forecast([2023, 2024], [0.4, 0.5], 2025) is None
    assert linear_forecast([2024], [0.5], 2025) is None
    assert linear_forecast([2022, 2023, 2024], [0.4, float("nan"), 0.5], 2025) is None


def test_bounds_clip_shares():
    f = linear_forecast([2021, 2022, 2023], [0.7, 0.85, 0.97], 2026, bounds=(0.0, 1.0))
    assert f is not None and f.value == 1.0 and f.high == 1.0 and f.low <= 1.0


def test_rank_forecast_orders_trends():
    series = {
        "a": ([2020, 2021, 2022, 2023], [0.50, 0.55, 0.60, 0.65]),  # rising fast
        "b": ([2020, 2021, 2022, 2023], [0.62, 0.62, 0.63, 0.63]),  # flat, ahead today
        "c": ([2020, 2021, 2022, 2023], [0.30, 0.31, 0.30, 0.31]),
    }
    f = rank_forecast(series, "a", 2025)
    assert f is not None and f.rank == 1 and f.units == 3
    assert f.best == 1 and f.worst <= 2
    assert rank_forecast(series, "c", 2025).rank == 3
    assert rank_forecast({"a": ([2023], [0.5])}, "a", 2025) is None
