"""The outcome of a scoring run, with its tables as pandas data frames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from chiso.engine.aggregate import Scale
from chiso.engine.panel import Array, Panel
from chiso.engine.ranks import competition_ranks
from chiso.engine.steplog import StepLog
from chiso.framework.spec import Framework, Indicator

if TYPE_CHECKING:
    from chiso.engine.treat import Check, Treatment


@dataclass(frozen=True)
class TreatmentRow:
    indicator: str
    period: str
    passed_before: bool | None
    skew_before: float | None
    kurtosis_before: float | None
    winsorised: int | None
    passed_after_winsorising: bool | None
    skew_after_winsorising: float | None
    kurtosis_after_winsorising: float | None
    logged: bool
    passed_after_log: bool | None

    @classmethod
    def of(cls, indicator: str, period: str, t: Treatment) -> TreatmentRow:
        def parts(c: Check | None) -> tuple[bool | None, float | None, float | None]:
            return (None, None, None) if c is None else (c.passed, c.skew, c.kurtosis)

        b, a, g = parts(t.before), parts(t.after_winsorising), parts(t.after_log)
        return cls(indicator, period, *b, t.winsorised, *a, t.logged, g[0])


@dataclass(frozen=True)
class Result:
    """Values of every node; points, ranks and contributions are derived from them when first read."""

    framework: Framework
    units: tuple[str, ...]
    periods: tuple[str, ...]
    values: dict[str, Array]  # node code → (periods, units)
    stages: dict[str, dict[str, Array]]
    active: np.ndarray
    treatment: list[TreatmentRow]
    log: StepLog
    groups: dict[str, np.ndarray]
    ranked: np.ndarray  # (periods, units): active and not "assessed but not ranked"
    scales: dict[str, Scale]
    multipliers: dict[str, Callable[[], Array]]
    given_cells: dict[str, np.ndarray]

    @cached_property
    def points(self) -> dict[str, Array]:
        return _points(self.framework, self.values, self.scales)

    @cached_property
    def contributions(self) -> dict[str, dict[str, Array]]:
        """Ancestor → leaf (indicator, or node taken as given) → its part of the ancestor's value."""
        return _contributions(self.framework, self.values, self.multipliers, self.given_cells)

    @cached_property
    def ranks(self) -> dict[str | None, dict[str, Array]]:
        """Group column (None = overall) → node → competition ranks, all nodes in one sort per grouping."""
        codes = list(self.values)
        stacked = np.concatenate([self.values[c] for c in codes])
        mask = np.tile(self.ranked, (len(codes), 1))
        out: dict[str | None, dict[str, Array]] = {}
        for name, labels in [(None, None), *self.groups.items()]:
            tiled = None if labels is None else np.tile(labels, (len(codes), 1))
            ranks = competition_ranks(stacked, mask, tiled, self.framework.rank_decimals)
            out[name] = dict(zip(codes, np.split(ranks, len(codes)), strict=True))
        return out

    def band(self, code: str) -> np.ndarray:
        """The band code of every cell of a node with bands ("" where no band applies or no value)."""
        node = self.framework.node(code)
        values = self.values[code]
        out = np.full(values.shape, "", dtype=object)
        unassigned = ~np.isnan(values)
        for band in node.bands:  # highest first: the first band a value reaches is its band
            if band.min is None:
                reached = unassigned
            else:
                reached = unassigned & ((values > band.min) if band.strict else (values >= band.min))
            out[reached] = band.code
            unassigned &= ~reached
        return out

    def rank(self, code: str, group: str | None = None) -> Array:
        """Competition ranks of one node (cheaper than all of them when only the index is wanted)."""
        if "ranks" in self.__dict__:
            return self.ranks[group][code]
        labels = None if group is None else self.groups[group]
        return competition_ranks(self.values[code], self.ranked, labels, self.framework.rank_decimals)

    @classmethod
    def build(
        cls,
        *,
        framework: Framework,
        panel: Panel,
        values: dict[str, Array],
        scales: dict[str, Scale],
        active: np.ndarray,
        stages: dict[str, dict[str, Array]],
        multipliers: dict[str, Callable[[], Array]],
        given_cells: dict[str, np.ndarray],
        treatment: list[TreatmentRow],
        log: StepLog,
    ) -> Result:
        ordered = {n.code: values[n.code] for n in framework.nodes if n.code in values}
        ranked = active if panel.ranked is None else active & panel.ranked[None, :]
        return cls(
            framework=framework,
            units=panel.units,
            periods=panel.periods,
            values=ordered,
            stages=stages,
            active=active,
            treatment=treatment,
            log=log,
            groups=dict(panel.groups),
            ranked=ranked,
            scales=scales,
            multipliers=multipliers,
            given_cells=given_cells,
        )

    # --- tables ----------------------------------------------------------------------------------

    def _wide(self, arrays: dict[str, Array]) -> pd.DataFrame:
        periods, units = len(self.periods), len(self.units)
        frame = pd.DataFrame(
            {
                "unit": np.tile(np.array(self.units, dtype=object), periods),
                "period": np.repeat(np.array(self.periods, dtype=object), units),
            }
        )
        columns = {code: array.reshape(-1) for code, array in arrays.items()}
        frame = pd.concat([frame, pd.DataFrame(columns)], axis=1)
        return frame[self.active.reshape(-1)].reset_index(drop=True)

    @cached_property
    def scores(self) -> pd.DataFrame:
        """One row per unit and period, one column per node (its value)."""
        return self._wide(self.values)

    @cached_property
    def points_table(self) -> pd.DataFrame:
        return self._wide(self.points)

    def rank_table(self, group: str | None = None) -> pd.DataFrame:
        """Competition ranks of every node, overall or within the unit groups of column `group`."""
        if group not in self.ranks:
            raise KeyError(f"no ranks by {group!r}; groups in this run: {[g for g in self.ranks if g]}")
        return self._wide(self.ranks[group])

    def stage(self, name: str) -> pd.DataFrame:
        if name not in self.stages:
            raise KeyError(f"unknown stage {name!r}; stages: {', '.join(self.stages)}")
        return self._wide(self.stages[name])

    @cached_property
    def contributions_table(self) -> pd.DataFrame:
        """Long table: unit, period, ancestor, indicator, contribution (in the ancestor's unit)."""
        return self.contributions_to()

    def contributions_to(self, ancestor: str | None = None) -> pd.DataFrame:
        """The contributions table, for one ancestor only when given (built in one go, not pair by pair)."""
        pairs = [
            (a, leaf, array)
            for a, leaves in self.contributions.items()
            if ancestor is None or a == ancestor
            for leaf, array in leaves.items()
        ]
        columns = ["unit", "period", "ancestor", "indicator", "contribution"]
        if not pairs:
            return pd.DataFrame(columns=columns)
        keep = self.active.reshape(-1)
        cells = int(keep.sum())
        periods, units = len(self.periods), len(self.units)
        unit_labels = np.tile(np.array(self.units, dtype=object), periods)[keep]
        period_labels = np.repeat(np.array(self.periods, dtype=object), units)[keep]
        return pd.DataFrame(
            {
                "unit": np.tile(unit_labels, len(pairs)),
                "period": np.tile(period_labels, len(pairs)),
                "ancestor": np.repeat(np.array([a for a, _, _ in pairs], dtype=object), cells),
                "indicator": np.repeat(np.array([leaf for _, leaf, _ in pairs], dtype=object), cells),
                "contribution": np.concatenate(
                    [np.broadcast_to(x, self.active.shape).reshape(-1)[keep] for _, _, x in pairs]
                ),
            }
        )

    @cached_property
    def log_table(self) -> pd.DataFrame:
        columns = ["step", "node", "action", "unit", "period", "before", "after", "detail"]
        return pd.DataFrame(list(self.log.records(self.units, self.periods)), columns=columns)

    @cached_property
    def screened_table(self) -> pd.DataFrame:
        """Units left out of a period by screening, with the reason: unit, period, reason."""
        rows = [
            {"unit": r["unit"], "period": r["period"], "reason": _screen_reason(r["detail"], r["after"])}
            for e in self.log.events
            if e.step == "screen" and e.action == "screened_out"
            for r in StepLog([e]).records(self.units, self.periods)
        ]
        return pd.DataFrame(rows, columns=["unit", "period", "reason"])

    @cached_property
    def treatment_table(self) -> pd.DataFrame:
        return pd.DataFrame([vars(r) for r in self.treatment])

    def table(self, group_columns: tuple[str, ...] = ()) -> pd.DataFrame:
        """The main output: value, points and ranks of every node, one row per unit, period and node."""
        value = self.scores.melt(id_vars=["unit", "period"], var_name="node", value_name="value")
        points = self.points_table.melt(id_vars=["unit", "period"], var_name="node", value_name="points")
        out = value.merge(points, on=["unit", "period", "node"], how="left")
        rank = self.rank_table().melt(id_vars=["unit", "period"], var_name="node", value_name="rank")
        out = out.merge(rank, on=["unit", "period", "node"], how="left")
        for group in group_columns:
            by_group = self.rank_table(group).melt(id_vars=["unit", "period"], var_name="node", value_name="r")
            labels = self._wide({}).assign(**{group: self.groups[group].reshape(-1)[self.active.reshape(-1)]})
            out = out.merge(by_group.rename(columns={"r": f"rank_in_{group}"}), on=["unit", "period", "node"])
            out = out.merge(labels, on=["unit", "period"], how="left")
        order = {code: i for i, code in enumerate(self.values)}
        out["_order"] = out["node"].map(order)
        out = out.sort_values(["period", "_order", "rank", "unit"], na_position="last", kind="stable")
        return out.drop(columns="_order").reset_index(drop=True)


def _screen_reason(detail: object, coverage: object) -> str:
    share = f"{coverage:.0%} of the indicators; " if isinstance(coverage, float) else ""
    return f"screened out: {share}{detail}"


def _points(framework: Framework, values: dict[str, Array], scales: dict[str, Scale]) -> dict[str, Array]:
    out: dict[str, Array] = {}
    for node in framework.nodes:
        scale = scales.get(node.code)
        if node.code not in values or node.max_points is None or scale is None:
            continue
        floor, full = scale
        if full == floor:
            continue
        out[node.code] = (values[node.code] - floor) / (full - floor) * node.max_points
    return out


def _contributions(
    framework: Framework,
    values: dict[str, Array],
    multipliers: dict[str, Callable[[], Array]],
    given_cells: dict[str, np.ndarray],
) -> dict[str, dict[str, Array]]:
    """For each aggregate, how much each leaf below it adds to its value (see aggregate.py)."""
    below: dict[str, dict[str, Array]] = {}
    for ind in framework.indicators:
        if ind.code in values:
            below[ind.code] = {ind.code: np.nan_to_num(values[ind.code], nan=0.0)}
    for code in _topological(framework):
        node = framework.node(code)
        assert not isinstance(node, Indicator)
        parts: dict[str, Array] = {}
        factors = np.nan_to_num(multipliers[code]()) if code in multipliers else np.zeros((0, 1, 1))
        for child, multiplier in zip(node.children, factors, strict=False):
            for leaf, amount in below.get(child.code, {}).items():
                parts[leaf] = parts.get(leaf, 0.0) + multiplier * amount
        given = given_cells.get(code)
        if given is not None:
            parts = {leaf: np.where(given, 0.0, amount) for leaf, amount in parts.items()}
            parts[code] = np.where(given, np.nan_to_num(values[code], nan=0.0), 0.0)
        below[code] = parts
    return {n.code: below[n.code] for n in framework.aggregates if n.code in below}


def _topological(framework: Framework) -> list[str]:
    from graphlib import TopologicalSorter

    graph = {n.code: [c.code for c in n.children] for n in framework.aggregates}
    aggregate_codes = set(graph)
    return [c for c in TopologicalSorter(graph).static_order() if c in aggregate_codes]
