"""Rank intervals of a published final run: how far each unit's rank moves when the weights vary (issue 16).

The uncertainty engine (`chiso.uncertainty`) runs the specification in `data/rank-intervals.yaml` on
the panel the run was computed from: each draw varies every weight below the index by ±25 %, and a
unit's interval is the 5–95 % range of its rank over the draws. It runs once, when the run is published
(or, for a run published before this existed, when its period is computed again); the rows are stored
with the specification as run and never change, so pages read them and never run the engine.
Provisional runs get none: the worker recomputes them after every approval, and the intervals cost a
few hundred runs' work (`benchmarks/bench_rank_intervals.py`).
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from chiso.engine import Panel
from chiso.framework import Framework
from chiso.framework.sensitivity import SensitivitySpec, load_sensitivity
from chiso.results.models import RankInterval, RankIntervalSet, ResultRun
from chiso.uncertainty import analyse, draw
from chiso.uncertainty.design import levels

SPEC_FILE = Path(__file__).resolve().parent / "data" / "rank-intervals.yaml"


@functools.cache
def default_spec() -> SensitivitySpec:
    return load_sensitivity(SPEC_FILE)


def spec_for(framework: Framework, spec: SensitivitySpec | None = None) -> SensitivitySpec | None:
    """The specification for this framework: its index, weight noise at the levels below the index only.

    None when nothing is left to vary (an index without weighted children).
    """
    spec = spec or default_spec()
    top = levels(framework)[framework.index]
    inputs = []
    for item in spec.inputs:
        if item.address == "weights":
            kept = tuple(n for n in item.noise if n.level < top)
            if not kept:
                continue
            item = item.model_copy(update={"noise": kept})
        inputs.append(item)
    if not inputs:
        return None
    return spec.model_copy(update={"inputs": tuple(inputs), "target": framework.index})


def factor_of(spec: SensitivitySpec) -> float:
    """The largest weight noise of the specification (0.25 for ±25 %)."""
    return max((n.factor for item in spec.inputs if item.address == "weights" for n in item.noise), default=0.0)


@dataclass(frozen=True)
class Interval:
    rank: int | None  # the run's rank
    q05: float
    q95: float

    @property
    def low(self) -> int:
        """The best rank shown: the 5 % quantile rounded down, never worse than the run's own rank."""
        low = math.floor(self.q05 + 1e-9)
        return low if self.rank is None else min(low, self.rank)

    @property
    def high(self) -> int:
        high = math.ceil(self.q95 - 1e-9)
        return high if self.rank is None else max(high, self.rank)


@dataclass(frozen=True)
class Intervals:
    node: str
    draws: int
    factor: float
    by_unit: dict[str, Interval]


def store(*, session: Session, run: ResultRun, framework: Framework, panel: Panel, era: str) -> bool:
    """Compute and store the run's intervals unless stored already; True when written.

    Called by the results service (computing or publishing a run), which checks the permission.
    """
    if session.get(RankIntervalSet, run.id) is not None:
        return False
    spec = spec_for(framework)
    if spec is None:
        return False
    analysis = analyse(framework, panel, spec, draw(framework, spec))
    stats = analysis.rank_stats
    session.add(
        RankIntervalSet(
            run_id=run.id,
            node=analysis.node,
            spec=spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            draws=spec.n,
            factor=factor_of(spec),
        )
    )
    session.flush()
    rows = [
        {
            "run_id": run.id,
            "era": era,
            "unit_code": unit,
            "rank": _clean(rank),
            "q05": _clean(q05),
            "median": _clean(median),
            "q95": _clean(q95),
        }
        for unit, rank, q05, median, q95 in stats[["unit", "nominal_rank", "q5", "median", "q95"]].itertuples(
            index=False
        )
    ]
    if rows:
        session.execute(insert(RankInterval), rows)
    return True


def _clean(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


_CACHE: OrderedDict[tuple[int, str], Intervals] = OrderedDict()
_LOCK = threading.Lock()


def load(session: Session, run: ResultRun) -> Intervals | None:
    """The run's stored intervals, or None when it has none (a run of another variant, or not stored yet).

    Read by the dashboard services after their permission check. The rows are kept per run (they never
    change); whether the run has them is asked each time, a primary-key read.
    """
    head = session.get(RankIntervalSet, run.id)
    if head is None:
        return None
    key = (run.id, run.inputs_sha256)  # as `dashboard.rundata`: the same id may name another run elsewhere
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    rows = session.execute(
        select(RankInterval.unit_code, RankInterval.rank, RankInterval.q05, RankInterval.q95).where(
            RankInterval.run_id == run.id
        )
    ).all()
    by_unit = {
        unit: Interval(None if rank is None else int(rank), q05, q95)
        for unit, rank, q05, q95 in rows
        if q05 is not None and q95 is not None
    }
    out = Intervals(head.node, head.draws, head.factor, by_unit)
    with _LOCK:
        _CACHE[key] = out
        while len(_CACHE) > 64:
            _CACHE.popitem(last=False)
    return out
