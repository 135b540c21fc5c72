"""Chiso: run and measure a province's digital transformation programme.

The public library API: `load_framework`, `score` and `sensitivity`.

    >>> import chiso
    >>> fw = chiso.load_framework("dti-province-2022")
    >>> result = chiso.score(fw, values)          # a pandas DataFrame, wide or long
    >>> result.scores, result.points_table, result.rank_table(), result.contributions_table, result.log_table
    >>> analysis = chiso.sensitivity(fw, values, "sa.yaml")   # uncertainty / sensitivity analysis
    >>> analysis.rank_stats, analysis.sensitivity_table
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from chiso.engine import Result
    from chiso.framework import Framework, FrameworkError, load_framework
    from chiso.framework.sensitivity import SensitivitySpec
    from chiso.uncertainty import Analysis

__version__ = "0.1.0"
__all__ = ["Framework", "FrameworkError", "load_framework", "score", "sensitivity"]


def __getattr__(name: str) -> Any:
    # The framework models are read when first used: `chiso --help` and `import chiso.cli.main` skip
    # building them (PEP 562; `from chiso import load_framework` works as before).
    if name in {"Framework", "FrameworkError", "load_framework"}:
        from chiso import framework

        return getattr(framework, name)
    raise AttributeError(f"module 'chiso' has no attribute {name!r}")


def score(
    framework: Framework | str,
    values: pd.DataFrame,
    *,
    unit_column: str = "unit",
    period_column: str | None = None,
    group_columns: tuple[str, ...] | list[str] = (),
) -> Result:
    """Score `values` (wide: one column per variable; or long: unit, variable, [period,] value).

    Columns named like a node of the framework (not a variable) are taken as that node's given value.
    Raises chiso.engine.frames.InputError listing every bad cell, and nothing is scored.
    """
    from chiso.engine import run
    from chiso.engine.frames import FrameSpec, panel_from_frame
    from chiso.framework import load_framework

    fw = load_framework(framework) if isinstance(framework, str) else framework
    if period_column is None and "period" in values.columns:
        period_column = "period"
    spec = FrameSpec(unit_column=unit_column, period_column=period_column, group_columns=tuple(group_columns))
    return run(fw, panel_from_frame(fw, values, spec).panel)


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
    """Uncertainty (`type: UA`) or sensitivity (`type: SA`) analysis of `values` scored with `framework`.

    `spec` is a `chiso/sensitivity` YAML file, its parsed form or a dict (see docs/engine.md). The
    result holds every scenario's scores and ranks, each unit's rank statistics and, for an SA, the
    Sobol indices. `scenarios` and `weight_sets` replay given choices (e.g. a COINr run's) instead of
    drawing them.
    """
    from chiso.uncertainty import sensitivity as analyse

    return analyse(
        framework,
        values,
        spec,
        unit_column=unit_column,
        period_column=period_column,
        group_columns=group_columns,
        scenarios=scenarios,
        weight_sets=weight_sets,
    )
