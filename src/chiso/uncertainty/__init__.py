"""Uncertainty and sensitivity analysis: a specification (`chiso/sensitivity`) → scenarios → the engine.

>>> analysis = chiso.sensitivity("asem.yaml", values, "sa.yaml", unit_column="uCode")
>>> analysis.rank_stats, analysis.sensitivity_table, analysis.per_scenario("values")
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from chiso.engine.frames import FrameSpec, panel_from_frame
from chiso.framework import Framework, load_framework
from chiso.framework.sensitivity import SensitivitySpec, load_sensitivity, parse_sensitivity
from chiso.uncertainty.analysis import Analysis, analyse
from chiso.uncertainty.design import Design, draw, replay

__all__ = ["Analysis", "Design", "analyse", "draw", "replay", "sensitivity"]


def sensitivity(
    framework: Framework | str | Path,
    values: pd.DataFrame,
    spec: SensitivitySpec | dict[str, object] | str | Path,
    *,
    unit_column: str = "unit",
    period_column: str | None = None,
    group_columns: tuple[str, ...] | list[str] = (),
    scenarios: pd.DataFrame | None = None,
    weight_sets: pd.DataFrame | None = None,
) -> Analysis:
    """Run the analysis `spec` describes on `values` (as `chiso.score` reads them).

    By default the scenarios are drawn from the spec's seed; `scenarios` (one row per scenario, one
    column per input) and `weight_sets` (scenario, node, weight) replay given ones instead.
    """
    fw = framework if isinstance(framework, Framework) else load_framework(framework)
    if isinstance(spec, SensitivitySpec):
        parsed = spec
    elif isinstance(spec, dict):
        parsed = parse_sensitivity(spec)
    else:
        parsed = load_sensitivity(spec)
    if period_column is None and "period" in values.columns:
        period_column = "period"
    frame = FrameSpec(unit_column=unit_column, period_column=period_column, group_columns=tuple(group_columns))
    panel = panel_from_frame(fw, values, frame).panel
    design = draw(fw, parsed) if scenarios is None else replay(fw, parsed, scenarios, weight_sets)
    return analyse(fw, panel, parsed, design)
