"""`chiso score`: score a values file with a framework and write the results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from chiso.cli.output import fail
from chiso.engine.frames import InputError
from chiso.framework import FrameworkError, load_framework
from chiso.scoring import ScoreRequest, score_files, wide_output
from chiso.tables import WRITABLE, TableError, write_table


def score(
    framework: str = typer.Option(..., "--framework", "-f", help="Shipped framework code or a YAML file."),
    values: list[Path] = typer.Option(
        ..., "--values", "-v", help="CSV, XLSX or Parquet, wide or long. Repeat to combine files cell by cell."
    ),
    out: Path = typer.Option(..., "--out", "-o", help=f"Result file: {', '.join(WRITABLE)}."),
    unit_column: str = typer.Option("unit", help="Column with the unit codes."),
    period_column: str | None = typer.Option(None, help="Column with the periods (e.g. Year)."),
    group_column: list[str] = typer.Option([], help="Unit-group column: ranks within each group. Repeatable."),
    layout: str = typer.Option("wide", help="wide: one row per unit and period; long: one row per node too."),
    log: Path | None = typer.Option(None, "--log", help="Also write the step log (CSV, JSON or XLSX)."),
    era: str | None = typer.Option(
        None, "--era", help="Check unit codes against the official registry of this era (2024 or 2025)."
    ),
) -> None:
    """Chấm điểm, xếp hạng — score, rank and explain values with a framework."""
    if layout not in {"wide", "long"}:
        fail(f"unknown layout {layout!r}; use wide or long")
    if out.suffix.lower() not in WRITABLE:
        fail(f"{out}: cannot write {out.suffix!r}; use one of {', '.join(WRITABLE)}")
    try:
        fw = load_framework(framework)
        known = None if era is None else _known_units(era)
        request = ScoreRequest(fw, unit_column, period_column, tuple(group_column), known)
        result, notes = score_files(request, values)
    except (FrameworkError, InputError, TableError) as exc:
        fail(str(exc))
    for note in notes:
        typer.echo(f"Lưu ý / Note: {note}", err=True)
    groups = tuple(group_column)
    screened = result.screened_table
    wide = _with_screened(wide_output(result, groups), screened)
    main = wide if layout == "wide" else _with_screened(result.table(groups), screened)
    explain = {"contributions": result.contributions_table, "log": result.log_table}
    if out.suffix.lower() == ".xlsx":
        sheets = {"scores": wide, "results": _with_screened(result.table(groups), screened), **explain}
    else:  # CSV keeps the first sheet only
        sheets = {"results": main, **explain}
    document = {
        "framework": fw.code,
        "edition": fw.edition,
        "units": len(result.units),
        "periods": list(result.periods),
    }
    try:
        write_table(out, sheets, document)
        if log is not None:
            write_table(log, {"log": result.log_table})
    except (TableError, OSError) as exc:
        fail(str(exc))
    ranked = int(result.rank_table()[fw.index].notna().sum())
    if len(screened):
        typer.echo(f"Lưu ý / Note: {len(screened)} unit-period(s) screened out, listed with their reason", err=True)
    typer.echo(
        f"Đã chấm {ranked} đơn vị × kỳ theo {fw.code}; {len(result.log.events)} ghi chú trong nhật ký → {out}"
        f"\nScored {ranked} unit-periods with {fw.code}; {len(result.log.events)} log events → {out}"
    )


def _known_units(era: str) -> set[str]:
    # The registry is read only when asked for: scoring a file needs no administrative units.
    from chiso import units

    try:
        return {u.code for u in units.list_units(era=era)}
    except units.UnitsError as exc:
        fail(str(exc))


def _with_screened(table: pd.DataFrame, screened: pd.DataFrame) -> pd.DataFrame:
    """Units screened out stay in the output, without scores, with the reason: they do not vanish."""
    if screened.empty:
        return table
    rows = screened.rename(columns={"reason": "status"})
    return pd.concat([table.assign(status=""), rows], ignore_index=True)
