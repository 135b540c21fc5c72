"""The step log: what each pipeline step did to which cells.

Entries are kept as masks over the (periods, units) grid so that logging a national run costs a few
array copies, not a Python object per cell; `records()` expands them when someone reads the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from chiso.engine.panel import Array


@dataclass(frozen=True)
class Event:
    step: str  # denominate, impute, screen, treat, score, aggregate, given, rank
    node: str  # indicator, variable or node code ("" for unit-level events)
    action: str  # imputed, winsorised, capped, screened_out, missing, …
    mask: NDArray[np.bool_]  # (periods, units) cells concerned
    before: Array | None = None
    after: Array | None = None
    detail: str = ""


@dataclass
class StepLog:
    events: list[Event] = field(default_factory=list)

    def add(
        self,
        step: str,
        node: str,
        action: str,
        mask: NDArray[np.bool_] | np.bool_,
        *,
        before: Array | None = None,
        after: Array | None = None,
        detail: str = "",
    ) -> None:
        cells = np.asarray(mask, dtype=bool)
        if not cells.any():
            return
        self.events.append(Event(step, node, action, cells.copy(), _copy(before), _copy(after), detail))

    def note(self, step: str, node: str, action: str, detail: str, shape: tuple[int, int]) -> None:
        """An event about a whole node (e.g. a rule parameter), not particular cells."""
        self.events.append(Event(step, node, action, np.zeros(shape, dtype=bool), detail=detail))

    def records(self, units: tuple[str, ...], periods: tuple[str, ...]) -> Iterator[dict[str, object]]:
        for event in self.events:
            if not event.mask.any():
                yield {
                    "step": event.step,
                    "node": event.node,
                    "action": event.action,
                    "unit": None,
                    "period": None,
                    "before": None,
                    "after": None,
                    "detail": event.detail,
                }
                continue
            for p, u in zip(*np.nonzero(event.mask), strict=True):
                yield {
                    "step": event.step,
                    "node": event.node,
                    "action": event.action,
                    "unit": units[u],
                    "period": periods[p],
                    "before": None if event.before is None else _scalar(event.before[p, u]),
                    "after": None if event.after is None else _scalar(event.after[p, u]),
                    "detail": event.detail,
                }

    def count(self, action: str | None = None, step: str | None = None) -> int:
        return sum(
            int(e.mask.sum())
            for e in self.events
            if (action is None or e.action == action) and (step is None or e.step == step)
        )


def _copy(array: Array | None) -> Array | None:
    return None if array is None else array.copy()


def _scalar(value: np.float64) -> float | None:
    return None if np.isnan(value) else float(value)


class NullLog(StepLog):
    """A log that keeps nothing: scenario runs repeat the nominal run's steps, already logged there."""

    def add(
        self,
        step: str,
        node: str,
        action: str,
        mask: NDArray[np.bool_] | np.bool_,
        *,
        before: Array | None = None,
        after: Array | None = None,
        detail: str = "",
    ) -> None:
        return None

    def note(self, step: str, node: str, action: str, detail: str, shape: tuple[int, int]) -> None:
        return None
