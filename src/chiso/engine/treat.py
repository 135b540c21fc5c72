"""Outlier treatment as composite-index builders do it (JRC/COINr's default):

an indicator passes when |skewness| < `skew` or kurtosis < `kurtosis` (bias-corrected sample
statistics, Excel's and e1071's type 2). A failing indicator has its most extreme point winsorised —
set to the next value — one at a time, re-testing after each, up to `winsorise_max` points; if it
still fails, the original values are log-transformed instead: log(x − min + 0.01·(max − min)).

The work is per indicator and period over the units (a vector); the loop is over winsorising steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiso.engine.panel import Array
from chiso.framework.spec import Treat


@dataclass(frozen=True)
class Check:
    passed: bool
    skew: float
    kurtosis: float


@dataclass(frozen=True)
class Treatment:
    values: Array
    before: Check | None  # None when fewer than four values: nothing to test
    winsorised: int | None  # points winsorised (None when the first check passed)
    after_winsorising: Check | None
    logged: bool
    after_log: Check | None


def skewness(x: Array) -> float:
    v = x[~np.isnan(x)]
    n = len(v)
    d = v - v.mean()
    m2 = np.sum(d**2)
    g = np.sqrt(n) * np.sum(d**3) / m2**1.5
    return float(g * np.sqrt(n * (n - 1)) / (n - 2))


def kurtosis(x: Array) -> float:
    v = x[~np.isnan(x)]
    n = len(v)
    d = v - v.mean()
    r = n * np.sum(d**4) / np.sum(d**2) ** 2
    return float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def check(x: Array, params: Treat) -> Check:
    with np.errstate(invalid="ignore", divide="ignore"):
        s, k = skewness(x), kurtosis(x)
    return Check(bool(abs(s) < params.skew or k < params.kurtosis), s, k)


def checks(rows: Array, params: Treat) -> list[Check | None]:
    """The skew/kurtosis test of every row at once (None where a row has fewer than four values)."""
    present = ~np.isnan(rows)
    n = present.sum(axis=1).astype(np.float64)
    with np.errstate(all="ignore"):
        mean = np.where(present, rows, 0.0).sum(axis=1) / n
        d = np.where(present, rows - mean[:, None], 0.0)
        m2, m3, m4 = (d**2).sum(axis=1), (d**3).sum(axis=1), (d**4).sum(axis=1)
        skew = np.sqrt(n) * m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * m4 / m2**2
        kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    passed = (np.abs(skew) < params.skew) | (kurt < params.kurtosis)
    return [None if n[i] < 4 else Check(bool(passed[i]), float(skew[i]), float(kurt[i])) for i in range(len(rows))]


def treat(x: Array, params: Treat, first: Check | None = None) -> Treatment:
    """Treat one vector of values (NaN ignored and kept); `first` is its test when already known."""
    if np.count_nonzero(~np.isnan(x)) < 4:
        return Treatment(x, None, None, None, False, None)
    first = first or check(x, params)
    if first.passed:
        return Treatment(x, first, None, None, False, None)
    winsorised, count = _winsorise(x, params)
    second = check(winsorised, params)
    if second.passed or params.fallback == "none":
        return Treatment(winsorised, first, count, second, False, None)
    logged = _log_ct(x)
    return Treatment(logged, first, count, second, True, check(logged, params))


def _winsorise(x: Array, params: Treat) -> tuple[Array, int]:
    x = x.copy()
    passing = False
    high = np.empty(0, dtype=np.intp)
    low = np.empty(0, dtype=np.intp)
    count = 0
    # Counting follows COINr: the points at the current extreme (ties included) on each side, which
    # after k steps on one side is k, because each winsorised point joins the new extreme.
    while not passing and count < params.winsorise_max:
        present = ~np.isnan(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            skew = skewness(x)
        if skew >= 0:
            top = np.nanmax(x)
            high = np.flatnonzero(present & (x == top))
            rest = np.delete(x, high)
            x[high] = np.nanmax(rest)
        else:
            bottom = np.nanmin(x)
            low = np.flatnonzero(present & (x == bottom))
            rest = np.delete(x, low)
            x[low] = np.nanmin(rest)
        count = len(high) + len(low)
        passing = check(x, params).passed
    return x, count


def _log_ct(x: Array) -> Array:
    low, high = np.nanmin(x), np.nanmax(x)
    with np.errstate(divide="ignore"):
        logged: Array = np.log(x - low + 0.01 * (high - low))
    return logged
