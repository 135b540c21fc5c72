"""Competition ranks ("1, 2, 2, 4"), per period, overall or within unit groups, without a loop."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from chiso.engine.panel import Array, Labels

# Scores equal to this many decimals share a rank: published indices tie at 4 decimals, and float
# noise from different summation orders must not split a tie.
TIE_DECIMALS = 10


def competition_ranks(values: Array, eligible: NDArray[np.bool_], groups: Labels | None = None) -> Array:
    """Rank 1 = highest value, within each period (and group); ineligible or NaN cells get NaN."""
    periods, units = values.shape
    ok = eligible & ~np.isnan(values)
    if groups is None:
        group_index = np.zeros(values.shape, dtype=np.int64)
        n_groups = 1
    else:
        labels, inverse = np.unique(groups.astype(str), return_inverse=True)
        group_index = inverse.reshape(values.shape)
        n_groups = len(labels)
    block = (np.arange(periods)[:, None] * n_groups + group_index).ravel()
    key = np.round(np.where(ok, values, -np.inf), TIE_DECIMALS).ravel()
    keep = ok.ravel()
    cells = np.flatnonzero(keep)
    block, key = block[keep], key[keep]
    order = np.lexsort((-key, block))
    block_sorted, key_sorted = block[order], key[order]
    position = np.arange(len(order), dtype=np.float64)
    new_block = np.ones(len(order), dtype=bool)
    new_block[1:] = block_sorted[1:] != block_sorted[:-1]
    new_value = new_block.copy()
    new_value[1:] |= key_sorted[1:] != key_sorted[:-1]
    block_start = np.maximum.accumulate(np.where(new_block, position, 0.0))
    tie_start = np.maximum.accumulate(np.where(new_value, position, 0.0))
    ranks = np.full(periods * units, np.nan)
    ranks[cells[order]] = tie_start - block_start + 1
    return ranks.reshape(periods, units)
