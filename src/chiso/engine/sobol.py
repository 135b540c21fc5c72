"""Statistics over a scenario axis: rank intervals and variance-based (Sobol) sensitivity indices.

The estimators are those COINr's `SA_estimate` uses on Saltelli's design (A, B, then one block per
input i, A with column i from B), for the scalar output y of each run, V = var(y_A ∪ y_B):

    first order  S_i  = mean(y_B · (y_ABi − y_A)) / V            (Saltelli 2010)
    total        ST_i = mean((y_A − y_ABi)²) / (2 V)             (Jansen 1999)

Bootstrap intervals resample the N rows of the design with replacement, all resamples at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from chiso.engine.panel import Array

QUANTILES = (0.05, 0.95)


@dataclass(frozen=True)
class RankStats:
    """Per unit: mean, median and the 5 % and 95 % quantiles of its rank over the scenarios."""

    mean: Array
    median: Array
    q05: Array
    q95: Array


def rank_stats(ranks: Array) -> RankStats:
    """`ranks` (scenarios, …): statistics over the first axis, ignoring scenarios without a rank.

    Quantiles interpolate linearly between order statistics (R's default type 7, as COINr).
    """
    if not np.isnan(ranks).any():  # the usual case, and the nan-aware functions are much slower
        q = np.quantile(ranks, QUANTILES, axis=0)
        return RankStats(ranks.mean(axis=0), np.median(ranks, axis=0), q[0], q[1])
    with np.errstate(all="ignore"), _quiet():
        q = np.nanquantile(ranks, QUANTILES, axis=0)
        return RankStats(np.nanmean(ranks, axis=0), np.nanmedian(ranks, axis=0), q[0], q[1])


def mean_rank_shift(ranks: Array, nominal: Array) -> Array:
    """COINr's SA output: per scenario, the mean over units of |rank − nominal rank|. (S, P, U) → (S, P)."""
    with np.errstate(all="ignore"), _quiet():
        shifted: Array = np.nanmean(np.abs(ranks - nominal[None]), axis=-1)
    return shifted


@dataclass(frozen=True)
class Sobol:
    first: Array  # (d,)
    total: Array  # (d,)
    first_interval: Array  # (d, 2): 5 % and 95 % bootstrap quantiles
    total_interval: Array  # (d, 2)


def sobol(y: Array, n: int, d: int, nboot: int = 100, rng: np.random.Generator | None = None) -> Sobol:
    """First-order and total indices of the d inputs from y over Saltelli's N·(d + 2) design."""
    if y.shape != (n * (d + 2),):
        raise ValueError(f"Saltelli's design with N={n} and d={d} has {n * (d + 2)} runs, not {y.shape}")
    y_a, y_b = y[:n], y[n : 2 * n]
    y_ab = y[2 * n :].reshape(d, n).T  # (N, d)
    first, total = _indices(y_a[None], y_b[None], y_ab[None])
    intervals = np.full((2, d, 2), np.nan)
    if nboot > 0:
        rows = (rng or np.random.default_rng()).integers(0, n, (nboot, n))
        boot_first, boot_total = _indices(y_a[rows], y_b[rows], y_ab[rows])
        intervals = np.stack([np.quantile(b, QUANTILES, axis=0).T for b in (boot_first, boot_total)])
    return Sobol(first[0], total[0], intervals[0], intervals[1])


def _indices(y_a: Array, y_b: Array, y_ab: Array) -> tuple[Array, Array]:
    """(R, N), (R, N), (R, N, d) → first and total indices (R, d), R resamples at once."""
    variance = np.var(np.concatenate([y_a, y_b], axis=1), axis=1, ddof=1)[:, None]
    with np.errstate(all="ignore"):
        first = np.mean(y_b[..., None] * (y_ab - y_a[..., None]), axis=1) / variance
        total = np.mean((y_a[..., None] - y_ab) ** 2, axis=1) / (2 * variance)
    return first, total


@contextmanager
def _quiet() -> Iterator[None]:
    """All-NaN slices (a unit never ranked) give NaN statistics, not warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
