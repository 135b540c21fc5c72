"""Scoring from files: read and check the values, run the engine, shape the outputs.

The CLI's `chiso score` and the library's `chiso.score` both come through here, so that a file and a
data frame are checked the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chiso.engine import Result, run
from chiso.engine.frames import FrameSpec, InputError, merge_panels, missing_variables, panel_from_frame
from chiso.framework import Framework
from chiso.tables import read_table


@dataclass(frozen=True)
class ScoreRequest:
    framework: Framework
    unit_column: str = "unit"
    period_column: str | None = None
    group_columns: tuple[str, ...] = ()
    known_units: Collection[str] | None = None


def score_files(request: ScoreRequest, paths: Sequence[Path]) -> tuple[Result, list[str]]:
    """Score the values of one or more files (cells may come from any one of them).

    Returns the result and notes for the user (e.g. columns that were ignored).
    Raises InputError (with the file in each message) or chiso.tables.TableError.
    """
    parts, notes = [], []
    for path in paths:
        frame = read_table(path)
        first_row = 1 if path.suffix.lower() == ".parquet" else 2
        spec = FrameSpec(
            unit_column=request.unit_column,
            period_column=request.period_column,
            group_columns=request.group_columns,
            known_units=request.known_units,
            first_row=first_row,
        )
        read = panel_from_frame(request.framework, frame, spec, str(path), require_all=len(paths) == 1)
        parts.append((str(path), read.panel))
        if read.ignored_columns:
            notes.append(f"{path}: columns not used by {request.framework.code}: {', '.join(read.ignored_columns)}")
    if len(parts) == 1:
        return run(request.framework, parts[0][1]), notes
    panel = merge_panels(parts)
    problems = missing_variables(request.framework, panel)
    if problems:
        raise InputError(problems, " + ".join(str(p) for p in paths))
    return run(request.framework, panel), notes


def wide_output(result: Result, group_columns: tuple[str, ...]) -> pd.DataFrame:
    """Unit, period, groups, every node's value, then the index's points and ranks."""
    out = result.scores.copy()
    index = result.framework.index
    active = result.active.reshape(-1)
    for position, group in enumerate(group_columns):
        out.insert(2 + position, group, result.groups[group].reshape(-1)[active])
    if index in result.points:
        out[f"{index}_points"] = result.points_table[index]
    out["rank"] = result.rank_table()[index]
    if result.framework.node(index).bands:
        out["band"] = result.band(index).reshape(-1)[active]
    for group in group_columns:
        out[f"rank_in_{group}"] = result.rank_table(group)[index]
    return out
