"""An indicator's own value (the share or count it scores), to rank units by it rather than by points.

Ranked by points, the 92 communes of an indicator worth 20 points tie in a few places (20, 10, 0);
ranked by the share of dossiers handled online they spread out, and the points stand beside. The value
is the engine's `denominated` stage for the period's values: the unit's figures, divided by the
indicator's denominator where it has one, before imputation and before the rule turns them into points.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from sqlalchemy.orm import Session

from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod
from chiso.dashboard import rundata
from chiso.dashboard.schemas import GroupInfo, RankingRow
from chiso.engine import Panel, run
from chiso.engine.ranks import competition_ranks
from chiso.framework import Framework, Indicator
from chiso.framework.spec import BooleanRule, PointsRule, RatioRule, TiersRule
from chiso.results.models import ResultRun
from chiso.values import service as values

_CACHE: OrderedDict[tuple[int, str], dict[str, np.ndarray]] = OrderedDict()
_LOCK = threading.Lock()


def rankable(framework: Framework, indicator: Indicator) -> bool:
    """Whether the indicator has a value worth ranking by: a share or a count, not a level or points.

    Not in a framework whose indicators need a unit-group column (`applies_to`): the stored runs have
    none, so the engine could not read the figures again.
    """
    if any(i.applies_to is not None for i in framework.indicators) or framework.pipeline.impute.group:
        return False
    return indicator.scoring is not None and not isinstance(indicator.scoring, TiersRule | BooleanRule | PointsRule)


def is_share(indicator: Indicator) -> bool:
    return isinstance(indicator.scoring, RatioRule)


def of_run(
    session: Session, period: CollectionPeriod, run_row: ResultRun, units: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Every indicator's value per unit (in `units` order, NaN where none), from the period's values.

    Kept for published runs only: their values are locked, so what is read now is what the run read.
    """
    key = (run_row.id, run_row.inputs_sha256)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            return found
    framework = collection.framework_of(period)
    current = values.current(session=session, period=period.value_period, era=period.era, unit_codes=units)
    grid = {
        var: np.array(
            [
                [
                    np.nan if (u, var) not in current or current[(u, var)].value is None else current[(u, var)].value
                    for u in units
                ]
            ],
            dtype=float,
        )
        for var in framework.variables
    }
    result = run(framework, Panel.from_arrays(units, [period.value_period], grid))
    stage = result.stages["denominated"]
    out = {code: np.asarray(array[0], dtype=float) for code, array in stage.items()}
    if run_row.published:
        with _LOCK:
            _CACHE[key] = out
            while len(_CACHE) > 64:
                _CACHE.popitem(last=False)
    return out


def counted(session: Session, period: CollectionPeriod, run: ResultRun, data: rundata.RunData, code: str) -> np.ndarray:
    """The indicator's own value per unit of the run, where the run counts the item (it has points)."""
    found = of_run(session, period, run, data.units).get(code)
    if found is None:
        return np.full(len(data.units), np.nan)
    scored = ~np.isnan(data.values.get(code, np.full(len(data.units), np.nan)))
    return np.where(scored, found, np.nan)


def rows(
    data: rundata.RunData,
    rate: np.ndarray,
    prev: tuple[rundata.RunData, np.ndarray] | None,
    indicator: Indicator,
    group: GroupInfo | None,
    name: Callable[[str], str],
) -> list[RankingRow]:
    """The ranking's rows by the indicator's own value (`rate`), with its stored value and points."""
    members = group.members if group else None

    def ranks_of(units: tuple[str, ...], vector: np.ndarray) -> np.ndarray:
        eligible = np.array([members is None or u in members for u in units], dtype=bool)
        signed = -vector if indicator.direction == -1 else vector
        ranked: np.ndarray = competition_ranks(signed[None, :], eligible[None, :])[0]
        return ranked

    ranks = ranks_of(data.units, rate).tolist()
    previous: dict[str, int] = {}
    if prev is not None:
        prev_data, prev_rate = prev
        previous = {
            u: int(r)
            for u, r in zip(prev_data.units, ranks_of(prev_data.units, prev_rate).tolist(), strict=True)
            if r == r
        }
    nan = np.full(len(data.units), np.nan)
    stored = data.values.get(indicator.code, nan).tolist()
    points = data.points.get(indicator.code, nan).tolist()
    rows = []
    for i, unit in enumerate(data.units):
        if members is not None and unit not in members:
            continue
        value, point, rank, own = stored[i], points[i], ranks[i], float(rate[i])
        rows.append(
            RankingRow(
                unit,
                name(unit),
                None if value != value else value,
                None if point != point else point,
                None if rank != rank else int(rank),
                previous.get(unit),
                rate=None if own != own else own,
            )
        )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit_code))
    return rows
