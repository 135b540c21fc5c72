"""An indicator's own value (the share or count it scores), to rank units by it rather than by points.

Ranked by points, the 92 communes of an indicator worth 20 points tie in a few places (20, 10, 0);
ranked by the share of dossiers handled online they spread out, and the points stand beside. The value
is the engine's `denominated` stage for the period's values: the unit's figures, divided by the
indicator's denominator where it has one, before imputation and before the rule turns them into points.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from sqlalchemy.orm import Session

from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod
from chiso.engine import Panel, run
from chiso.framework import Indicator
from chiso.framework.spec import BooleanRule, PointsRule, RatioRule, TiersRule
from chiso.results.models import ResultRun
from chiso.values import service as values

_CACHE: OrderedDict[tuple[int, str], dict[str, np.ndarray]] = OrderedDict()
_LOCK = threading.Lock()


def rankable(indicator: Indicator) -> bool:
    """Whether the indicator has a value worth ranking by: a share or a count, not a level or points."""
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
