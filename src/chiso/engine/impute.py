"""Imputation: first from the unit's own other periods (panel), then from its group in the period."""

from __future__ import annotations

import warnings

import numpy as np

from chiso.engine.panel import Array, Labels
from chiso.engine.steplog import StepLog
from chiso.framework.spec import Impute


def impute(
    data: dict[str, Array],
    params: Impute,
    group_labels: Labels | None,
    period_positions: Array,
    log: StepLog,
    not_applicable: dict[str, np.ndarray] | None = None,
) -> dict[str, Array]:
    """Impute every variable at once: arrays are stacked (variables, periods, units).

    Cells not applicable to a unit are not gaps: they are neither imputed nor used to impute.
    """
    if not data or (params.method == "none" and params.panel == "none"):
        return dict(data)  # nothing to impute: gaps stay gaps, and the score step logs them
    codes = list(data)
    x = np.stack([data[c] for c in codes])
    skip = np.zeros(x.shape, dtype=bool)
    for i, code in enumerate(codes):
        if not_applicable and code in not_applicable:
            skip[i] = not_applicable[code]
    by_panel = x
    if params.panel == "carry_forward":
        by_panel = np.stack([carry_forward(v) for v in x])
    elif params.panel == "linear":
        by_panel = np.stack([interpolate(v, period_positions) for v in x])
    filled = group_fill(by_panel, params.method, group_labels) if params.method != "none" else by_panel
    by_panel, filled = np.where(skip, np.nan, by_panel), np.where(skip, np.nan, filled)
    detail = f"{params.method} of group {params.group}" if params.group else f"{params.method} of all units"
    for i, code in enumerate(codes):
        log.add("impute", code, f"imputed_{params.panel}", np.isnan(x[i]) & ~np.isnan(by_panel[i]), after=by_panel[i])
        log.add(
            "impute",
            code,
            f"imputed_{params.method}",
            np.isnan(by_panel[i]) & ~np.isnan(filled[i]),
            after=filled[i],
            detail=detail,
        )
        log.add(
            "impute",
            code,
            "still_missing",
            np.isnan(filled[i]) & ~skip[i],
            detail="no value to impute from (whole group or series missing)",
        )
    return {code: filled[i] for i, code in enumerate(codes)}


def carry_forward(x: Array) -> Array:
    """Each missing period takes the unit's last earlier value (periods on axis 0)."""
    periods = x.shape[0]
    index = np.where(~np.isnan(x), np.arange(periods)[:, None], -1)
    last = np.maximum.accumulate(index, axis=0)
    taken = np.take_along_axis(x, np.maximum(last, 0), axis=0)
    return np.where(last >= 0, taken, np.nan)


def interpolate(x: Array, positions: Array) -> Array:
    """Linear between the unit's nearest earlier and later values; no extrapolation."""
    periods = x.shape[0]
    idx = np.arange(periods)[:, None]
    present = ~np.isnan(x)
    prev = np.maximum.accumulate(np.where(present, idx, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(present, idx, periods)[::-1], axis=0)[::-1]
    inside = (prev >= 0) & (nxt < periods)
    prev_c, next_c = np.maximum(prev, 0), np.minimum(nxt, periods - 1)
    x_prev = np.take_along_axis(x, prev_c, axis=0)
    x_next = np.take_along_axis(x, next_c, axis=0)
    t, t_prev, t_next = positions[:, None], positions[prev_c], positions[next_c]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(t_next > t_prev, (t - t_prev) / (t_next - t_prev), 0.0)
    filled = x_prev + (x_next - x_prev) * share
    return np.where(present, x, np.where(inside, filled, np.nan))


def group_fill(x: Array, method: str, labels: Labels | None) -> Array:
    """Missing cells take the mean or median of their group's present values in the same period.

    `x` is (periods, units) or stacked (variables, periods, units); labels are (periods, units).
    """
    reducer = np.nanmean if method == "mean" else np.nanmedian
    keys = np.zeros(x.shape[-2:], dtype=str) if labels is None else labels.astype(str)
    filled = x.copy()
    for label in np.unique(keys):
        member = keys == label
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing group stays missing
            centre = reducer(np.where(member, x, np.nan), axis=-1)
        filled = np.where(member & np.isnan(x), centre[..., None], filled)
    return filled
