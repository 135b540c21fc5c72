"""Competition ranks ("1, 2, 2, 4"), per row (a period of a node), overall or within unit groups."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from chiso.engine.panel import Array, Labels

# Two values closer than this (relative to the larger one, or absolute below 1) tie. Aggregation sums
# are already order-free (aggregate.ordered_sum); this absorbs the few ulps other paths may leave, e.g.
# a value given in the data against the same value computed. A fixed rounding would not do: 0.72647361035
# and 0.7264736103499999 round apart at any number of decimals that keeps the 11th.
TIE_TOLERANCE = 1e-11


def competition_ranks(
    values: Array,
    eligible: NDArray[np.bool_],
    groups: Labels | None = None,
    decimals: int | None = None,
) -> Array:
    """Rank 1 = highest value within each row (and group); ineligible or NaN cells get NaN.

    With `decimals` (the framework's `rank_decimals`), units rank on their values rounded to that many
    decimals, as a publisher ranks on the figures it prints. Rows are sorted independently (one
    vectorised sort); groups, which are few, are ranked one at a time by hiding the other groups' cells.
    """
    ok = eligible & ~np.isnan(values)
    key = values if decimals is None else np.round(values, decimals)
    if groups is None:
        return _ranks_by_row(key, ok)
    ranks = np.full(values.shape, np.nan)
    labels = groups.astype(str)
    for label in np.unique(labels[ok]):
        member = ok & (labels == label)
        ranks = np.where(member, _ranks_by_row(key, member), ranks)
    return ranks


def _ranks_by_row(values: Array, ok: NDArray[np.bool_]) -> Array:
    rows, cols = values.shape
    key = np.where(ok, -values, np.inf)  # best first, excluded cells last
    order = np.argsort(key, axis=1, kind="stable")
    ordered = np.take_along_axis(key, order, axis=1)
    # A value starts a new tie when it is clearly below the one before it; noise-close values chain.
    with np.errstate(invalid="ignore"):
        gap = ordered[:, 1:] - ordered[:, :-1]
        noise = TIE_TOLERANCE * np.maximum(1.0, np.abs(ordered[:, :-1]))
        new_value = np.ones((rows, cols), dtype=bool)
        new_value[:, 1:] = ~(gap <= noise)  # inf − inf is NaN: excluded cells never tie with anything
    position = np.broadcast_to(np.arange(1, cols + 1, dtype=np.float64), (rows, cols))
    first_of_tie = np.maximum.accumulate(np.where(new_value, position, 0.0), axis=1)
    ranks = np.empty((rows, cols))
    np.put_along_axis(ranks, order, first_of_tie, axis=1)
    return np.where(ok, ranks, np.nan)
