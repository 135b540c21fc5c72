"""Competition ranks ("1, 2, 2, 4"), per row (a period of a node), overall or within unit groups."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from chiso.engine.panel import Array, Labels

# Scores equal to this many decimals share a rank: published indices tie at 4 decimals, and float
# noise from different summation orders must not split a tie.
TIE_DECIMALS = 10


def competition_ranks(values: Array, eligible: NDArray[np.bool_], groups: Labels | None = None) -> Array:
    """Rank 1 = highest value within each row (and group); ineligible or NaN cells get NaN.

    Rows are sorted independently (one vectorised sort); groups, which are few, are ranked one at a
    time by hiding the other groups' cells.
    """
    ok = eligible & ~np.isnan(values)
    if groups is None:
        return _ranks_by_row(values, ok)
    ranks = np.full(values.shape, np.nan)
    keys = groups.astype(str)
    for label in np.unique(keys[ok]):
        member = ok & (keys == label)
        ranks = np.where(member, _ranks_by_row(values, member), ranks)
    return ranks


def _ranks_by_row(values: Array, ok: NDArray[np.bool_]) -> Array:
    rows, cols = values.shape
    key = np.where(ok, -np.round(values, TIE_DECIMALS), np.inf)  # best first, excluded cells last
    order = np.argsort(key, axis=1)
    ordered = np.take_along_axis(key, order, axis=1)
    new_value = np.ones((rows, cols), dtype=bool)
    new_value[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    position = np.broadcast_to(np.arange(1, cols + 1, dtype=np.float64), (rows, cols))
    first_of_tie = np.maximum.accumulate(np.where(new_value, position, 0.0), axis=1)
    ranks = np.empty((rows, cols))
    np.put_along_axis(ranks, order, first_of_tie, axis=1)
    return np.where(ok, ranks, np.nan)
