"""Values as a data frame → Panel, checking every cell first.

Two layouts are read: *wide* (one row per unit and period, one column per variable or node) and
*long* (`unit, variable, period, value`). Problems are collected, not raised one at a time, and each
names its row (as a spreadsheet numbers it, header = row 1) and column.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chiso.engine.panel import Panel
from chiso.framework.spec import Framework, Indicator

LONG_COLUMNS = ("variable", "value")
MAX_LISTED = 50  # problems listed in the message; all are kept on the exception


@dataclass(frozen=True)
class InputProblem:
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            p for p in (f"row {self.row}" if self.row else "", f"column {self.column!r}" if self.column else "") if p
        )
        return f"{where}: {self.message}" if where else self.message


class InputError(ValueError):
    def __init__(self, problems: list[InputProblem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        listed = "\n".join(f"  - {p}" for p in problems[:MAX_LISTED])
        more = f"\n  … and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        super().__init__(f"{head}{len(problems)} problem(s) in the values; nothing was scored:\n{listed}{more}")


@dataclass(frozen=True)
class FrameSpec:
    unit_column: str = "unit"
    period_column: str | None = None
    group_columns: tuple[str, ...] = ()
    known_units: Collection[str] | None = None  # when given, other unit codes are refused
    first_row: int = 2  # the spreadsheet row number of the frame's first data row


@dataclass
class PanelInput:
    panel: Panel
    ignored_columns: list[str] = field(default_factory=list)


def panel_from_frame(
    framework: Framework, frame: pd.DataFrame, spec: FrameSpec, source: str = "", *, require_all: bool = True
) -> PanelInput:
    """Read and check a wide or long frame; raise InputError with every problem found.

    With `require_all=False` the frame may lack variables (it is one of several files to merge; see
    `merge_panels`, then `missing_variables` on the merged panel).
    """
    frame = frame.reset_index(drop=True)
    is_long = all(c in frame.columns for c in LONG_COLUMNS)
    reader = _read_long if is_long else _read_wide
    problems: list[InputProblem] = []
    if spec.unit_column not in frame.columns:
        problems.append(
            InputProblem(
                None,
                spec.unit_column,
                f"unit column missing; columns are {list(frame.columns)} (choose another with --unit-column)",
            )
        )
    if spec.period_column and spec.period_column not in frame.columns:
        problems.append(InputProblem(None, spec.period_column, "period column missing"))
    for group in spec.group_columns:
        if group not in frame.columns:
            problems.append(InputProblem(None, group, "group column missing"))
    if problems:
        raise InputError(problems, source)
    result = reader(framework, frame, spec, problems)
    if require_all and not problems:
        problems.extend(missing_variables(framework, result.panel))
    if problems:
        raise InputError(problems, source)
    return result


def missing_variables(framework: Framework, panel: Panel) -> list[InputProblem]:
    """Variables the run needs that the panel lacks entirely (nodes given above them excuse them)."""
    supplied = set(panel.variables)
    return [
        InputProblem(
            None, var, f"missing: indicator {indicator!r} reads it (add it, or give the value of a node above it)"
        )
        for var, indicator in _required_variables(framework, set(panel.given)).items()
        if var not in supplied
    ]


def merge_panels(parts: list[tuple[str, Panel]]) -> Panel:
    """One panel from several files' panels: cells may come from any file, but never from two."""
    units = tuple(dict.fromkeys(u for _, p in parts for u in p.units))
    periods = _sorted_periods(pe for _, p in parts for pe in p.periods)
    shape = (len(periods), len(units))
    problems: list[InputProblem] = []
    merged: dict[str, dict[str, np.ndarray]] = {"variables": {}, "given": {}}
    origin: dict[str, np.ndarray] = {}
    groups: dict[str, np.ndarray] = {}
    for source, panel in parts:
        u_index = pd.Index(units).get_indexer(pd.Index(panel.units))
        p_index = pd.Index(periods).get_indexer(pd.Index(panel.periods))
        cells = np.ix_(p_index, u_index)
        for kind, arrays in (("variables", panel.variables), ("given", panel.given)):
            for name, array in arrays.items():
                grid = merged[kind].setdefault(name, np.full(shape, np.nan))
                seen = origin.setdefault(name, np.full(shape, "", dtype=object))
                target, present = grid[cells], ~np.isnan(array)
                clash = present & ~np.isnan(target)
                for p, u in zip(*np.nonzero(clash), strict=True):
                    problems.append(
                        InputProblem(
                            None,
                            name,
                            f"unit {panel.units[u]!r}, period {panel.periods[p]!r}: "
                            f"given in both {seen[cells][p, u]} and {source}; keep one",
                        )
                    )
                grid[cells] = np.where(present, array, target)
                seen[cells] = np.where(present, source, seen[cells])
        for name, labels in panel.groups.items():
            grid = groups.setdefault(name, np.full(shape, "", dtype=object))
            grid[cells] = np.where(labels != "", labels, grid[cells])
    if problems:
        raise InputError(problems)
    return Panel(units, periods, merged["variables"], merged["given"], groups)


def _labels(series: pd.Series) -> pd.Series:
    def text(value: object) -> str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return "" if pd.isna(value) else str(value).strip()  # type: ignore[call-overload]

    return series.map(text)


def _common_checks(frame: pd.DataFrame, spec: FrameSpec, problems: list[InputProblem]) -> tuple[pd.Series, pd.Series]:
    units = _labels(frame[spec.unit_column])
    for i in np.flatnonzero((units == "").to_numpy()):
        problems.append(InputProblem(int(i) + spec.first_row, spec.unit_column, "unit code is empty"))
    if spec.known_units is not None:
        known = set(spec.known_units)
        for i in np.flatnonzero((~units.isin(known) & (units != "")).to_numpy()):
            problems.append(
                InputProblem(
                    int(i) + spec.first_row,
                    spec.unit_column,
                    f"unknown unit code {units.iloc[i]!r} (see `chiso units search`)",
                )
            )
    periods = _labels(frame[spec.period_column]) if spec.period_column else pd.Series([""] * len(frame))
    if spec.period_column:
        for i in np.flatnonzero((periods == "").to_numpy()):
            problems.append(InputProblem(int(i) + spec.first_row, spec.period_column, "period is empty"))
    return units, periods


def _numbers(column: pd.Series, name: str, spec: FrameSpec, problems: list[InputProblem]) -> np.ndarray:
    numeric = pd.to_numeric(column, errors="coerce")
    blank = column.isna() | column.astype(str).str.strip().isin(["", "NA", "NaN", "nan"])
    bad = numeric.isna() & ~blank
    for i in np.flatnonzero(bad.to_numpy()):
        value = column.iloc[i]
        hint = " (use a dot as the decimal separator)" if isinstance(value, str) and "," in value else ""
        problems.append(InputProblem(int(i) + spec.first_row, name, f"not a number: {value!r}{hint}"))
    return numeric.to_numpy(dtype=np.float64, na_value=np.nan)


def _duplicates(keys: pd.DataFrame, spec: FrameSpec, problems: list[InputProblem], what: str) -> None:
    dup = keys.duplicated(keep=False)
    if not dup.any():
        return
    rows = pd.Series(np.arange(len(keys)) + spec.first_row, index=keys.index)[dup]
    for key, group in rows.groupby([keys[c][dup] for c in keys.columns], sort=False):
        listed = ", ".join(str(r) for r in group)
        label = " / ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)) if k != "")
        problems.append(
            InputProblem(int(group.iloc[0]), None, f"{what} {label!r} appears more than once (rows {listed}); keep one")
        )


def _sorted_periods(labels: Iterable[str]) -> tuple[str, ...]:
    def key(label: str) -> tuple[int, float, str]:
        try:
            return (0, float(label), label)
        except ValueError:
            return (1, 0.0, label)

    return tuple(sorted(set(labels), key=key))


def _required_variables(framework: Framework, given: set[str]) -> dict[str, str]:
    """Variables the run needs (→ the indicator that reads them): those not under a given node."""
    needed: dict[str, str] = {}
    children = {n.code: [c.code for c in n.children] for n in framework.aggregates}
    roots = [framework.index, *(n.code for n in framework.aggregates if n.kind == "view")]
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        code = stack.pop()
        if code in seen or code in given:
            continue
        seen.add(code)
        node = framework.node(code)
        if isinstance(node, Indicator):
            for var in node.variables:
                needed.setdefault(var, code)
        stack.extend(children.get(code, []))
    return needed


@dataclass(frozen=True)
class _Grid:
    """Where each row of a frame lands in the (periods, units) grid of a panel."""

    units: tuple[str, ...]
    periods: tuple[str, ...]
    unit_index: np.ndarray
    period_index: np.ndarray

    @classmethod
    def of(cls, units: pd.Series, periods: pd.Series) -> _Grid:
        unit_codes = tuple(dict.fromkeys(units))
        period_codes = _sorted_periods(periods)
        return cls(
            unit_codes,
            period_codes,
            pd.Index(unit_codes).get_indexer(pd.Index(units)),
            pd.Index(period_codes).get_indexer(pd.Index(periods)),
        )

    def numbers(self, values: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        grid = np.full((len(self.periods), len(self.units)), np.nan)
        if rows is None:
            grid[self.period_index, self.unit_index] = values
        else:
            grid[self.period_index[rows], self.unit_index[rows]] = values[rows]
        return grid

    def labels(self, labels: pd.Series) -> np.ndarray:
        grid = np.full((len(self.periods), len(self.units)), "", dtype=object)
        grid[self.period_index, self.unit_index] = labels.to_numpy(dtype=object)
        return grid

    def panel(self, framework: Framework, grids: dict[str, np.ndarray], groups: dict[str, np.ndarray]) -> Panel:
        """Columns named like a node (and not a variable) are that node's given values."""
        given_codes = {n.code for n in framework.nodes} - set(framework.variables)
        given = {k: v for k, v in grids.items() if k in given_codes}
        variables = {k: v for k, v in grids.items() if k not in given_codes}
        return Panel(self.units, self.periods, variables, given, groups)


def _read_wide(framework: Framework, frame: pd.DataFrame, spec: FrameSpec, problems: list[InputProblem]) -> PanelInput:
    units, periods = _common_checks(frame, spec, problems)
    _duplicates(pd.DataFrame({"unit": units, "period": periods}), spec, problems, "unit and period")
    node_codes = {n.code for n in framework.nodes}
    wanted = set(framework.variables) | node_codes
    data_columns = [c for c in frame.columns if c in wanted]
    group_names = list(dict.fromkeys([*spec.group_columns, *_pipeline_groups(framework, frame)]))
    reserved = {spec.unit_column, spec.period_column, *group_names}
    ignored = [str(c) for c in frame.columns if c not in wanted and c not in reserved]
    columns = {str(c): _numbers(frame[c], str(c), spec, problems) for c in data_columns if c not in reserved}
    groups = {g: _labels(frame[g]) for g in group_names}
    if problems:
        return PanelInput(Panel((), (), {}))
    grid = _Grid.of(units, periods)
    panel = grid.panel(
        framework, {k: grid.numbers(v) for k, v in columns.items()}, {k: grid.labels(v) for k, v in groups.items()}
    )
    return PanelInput(panel, ignored)


def _read_long(framework: Framework, frame: pd.DataFrame, spec: FrameSpec, problems: list[InputProblem]) -> PanelInput:
    units, periods = _common_checks(frame, spec, problems)
    variables = _labels(frame["variable"])
    known = set(framework.variables) | {n.code for n in framework.nodes}
    for i in np.flatnonzero((~variables.isin(known)).to_numpy()):
        problems.append(
            InputProblem(
                int(i) + spec.first_row,
                "variable",
                f"unknown variable {variables.iloc[i]!r} for framework {framework.code!r} (see `chiso framework show`)",
            )
        )
    values = _numbers(frame["value"], "value", spec, problems)
    keys = pd.DataFrame({"unit": units, "variable": variables, "period": periods})
    _duplicates(keys, spec, problems, "unit / variable / period")
    group_names = list(dict.fromkeys([*spec.group_columns, *_pipeline_groups(framework, frame)]))
    if problems:
        return PanelInput(Panel((), (), {}))
    panel = _build_long(framework, units, periods, variables, values, frame, group_names, spec, problems)
    return PanelInput(panel)


def _build_long(
    framework: Framework,
    units: pd.Series,
    periods: pd.Series,
    variables: pd.Series,
    values: np.ndarray,
    frame: pd.DataFrame,
    group_names: list[str],
    spec: FrameSpec,
    problems: list[InputProblem],
) -> Panel:
    grid = _Grid.of(units, periods)
    grids = {name: grid.numbers(values, (variables == name).to_numpy()) for name in dict.fromkeys(variables)}
    group_grids = {}
    for name in group_names:
        labels = _labels(frame[name])
        group_grids[name] = grid.labels(labels)
        counts = pd.DataFrame({"u": units, "p": periods, "g": labels}).groupby(["u", "p"])["g"].nunique()
        for key, count in counts[counts > 1].items():
            problems.append(InputProblem(None, name, f"unit / period {key!r} has {count} different groups"))
    if problems:
        raise InputError(problems)
    return grid.panel(framework, grids, group_grids)


def _pipeline_groups(framework: Framework, frame: pd.DataFrame) -> list[str]:
    """Group columns the framework itself reads: imputation groups and nodes' `applies_to`."""
    wanted = [framework.pipeline.impute.group, *(n.applies_to.group for n in framework.nodes if n.applies_to)]
    return [g for g in dict.fromkeys(wanted) if g and g in frame.columns]
