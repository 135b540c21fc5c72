"""A stored result run as arrays, read once: runs are immutable, so the cache never goes stale."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso.results.models import ResultRow, ResultRun
from chiso.units.ref import CURRENT_ERA

Vector = np.ndarray


@dataclass(frozen=True)
class RunData:
    run_id: int
    key: str  # the run's inputs hash: with the id, what identifies its rows in any database
    era: str  # the era of the run's units (one run, one period, one era): `units` are codes in it
    units: tuple[str, ...]
    values: dict[str, Vector]  # node → value per unit (NaN where none)
    points: dict[str, Vector]
    ranks: dict[str, Vector]

    @cached_property
    def position(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.units)}

    def value(self, node: str, unit: str) -> float | None:
        return _get(self.values, node, self.position.get(unit))

    def point(self, node: str, unit: str) -> float | None:
        return _get(self.points, node, self.position.get(unit))

    def rank(self, node: str, unit: str) -> float | None:
        return _get(self.ranks, node, self.position.get(unit))


def _get(arrays: dict[str, Vector], node: str, i: int | None) -> float | None:
    if i is None or node not in arrays:
        return None
    x = float(arrays[node][i])
    return None if np.isnan(x) else x


_CACHE: OrderedDict[tuple[int, str], RunData] = OrderedDict()
_LOCK = threading.Lock()
CACHE_RUNS = 64


def load(session: Session, run: ResultRun) -> RunData:
    """The run's rows as arrays (from the cache when read before)."""
    # Keyed on the inputs' hash too: the same inputs always give the same rows, whatever the database.
    key = (run.id, run.inputs_sha256)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    rows = session.execute(
        select(ResultRow.unit_code, ResultRow.node, ResultRow.value, ResultRow.points, ResultRow.rank).where(
            ResultRow.run_id == run.id
        )
    ).all()
    eras = session.scalars(select(ResultRow.era).where(ResultRow.run_id == run.id).distinct()).all()
    if len(eras) > 1:  # never written so: codes of two eras cannot share the arrays
        raise ValueError(f"result run {run.id} mixes the units of eras {', '.join(sorted(eras))}")
    era = eras[0] if eras else CURRENT_ERA
    units = tuple(sorted({r[0] for r in rows}))
    position = {u: i for i, u in enumerate(units)}
    nodes = list(dict.fromkeys(r[1] for r in rows))
    values = {n: np.full(len(units), np.nan) for n in nodes}
    points: dict[str, Vector] = {}
    ranks: dict[str, Vector] = {}
    for unit, node, value, point, rank in rows:
        i = position[unit]
        if value is not None:
            values[node][i] = value
        if point is not None:
            points.setdefault(node, np.full(len(units), np.nan))[i] = point
        if rank is not None:
            ranks.setdefault(node, np.full(len(units), np.nan))[i] = rank
    data = RunData(run.id, run.inputs_sha256, era, units, values, points, ranks)
    with _LOCK:
        _CACHE[key] = data
        while len(_CACHE) > CACHE_RUNS:
            _CACHE.popitem(last=False)
    return data
