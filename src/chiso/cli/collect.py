"""`chiso collect template | import | export`: declarations through spreadsheets and machine files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from chiso import numbers
from chiso.cli.output import fail
from chiso.cli.session import AsOption, work
from chiso.collection import exchange
from chiso.tables import TableError, write_table

app = typer.Typer(help="Kê khai — declarations: template, import, export.", no_args_is_help=True)
PeriodOption = typer.Option(..., "--period", "-p", help="Period code (see chiso period status).")
UnitOption = typer.Option(None, "--unit", "-u", help="Unit code; default: the officer's own unit.")


def _unit(unit: str | None, own: str | None) -> str:
    if unit or own:
        return unit or own  # type: ignore[return-value]
    fail("which unit? give --unit CODE")


@app.command("template")
def template(
    out: Path = typer.Option(..., "--out", "-o", help="The XLSX file to write."),
    period: str = PeriodOption,
    unit: str | None = UnitOption,
    as_user: str = AsOption,
) -> None:
    """Tạo mẫu kê khai XLSX — the unit's declaration template, filled with what it has declared."""
    if out.suffix.lower() != ".xlsx":
        fail(f"{out}: the template is an .xlsx file")
    with work(as_user) as w:
        code = _unit(unit, w.actor.unit_code)
        exchange.template(session=w.session, period_code=period, unit_code=code, actor=w.actor, path=out)
    typer.echo(f"Đã tạo mẫu kê khai / wrote the template for {code}, {period} → {out}")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="Filled template (.xlsx), or .csv / .json in the export format."),
    period: str = PeriodOption,
    unit: str | None = UnitOption,
    submit: bool = typer.Option(False, "--submit", help="Then submit the unit's draft and returned items."),
    notation: numbers.Notation | None = typer.Option(
        None,
        "--numbers",
        help="How to read numbers that read two ways (1.234): vi = 1234 (dot groups), en = 1.234 (decimal "
        "point). Default: refuse them. Numbers that read one way (1.234,5 · 1,234.5 · 0,5) are read as written.",
    ),
    as_user: str = AsOption,
) -> None:
    """Nhập kê khai — import declarations: all checked first, applied all or nothing."""
    with work(as_user) as w:
        code = _unit(unit, w.actor.unit_code)
        report = exchange.import_file(
            session=w.session,
            path=file,
            period_code=period,
            unit_code=code,
            actor=w.actor,
            files=w.files,
            submit=submit,
            notation=notation,
        )
    for warning in report.warnings:
        typer.echo(str(warning), err=True)
    typer.echo(report.numbers)
    typer.echo(
        f"Đã nhập {file.name}: {len(report.changed)} chỉ số thay đổi, {report.unchanged} không đổi"
        + (" — đã nộp" if report.submitted else "")
        + f"\nImported {file.name}: {len(report.changed)} items changed, {report.unchanged} unchanged"
        + (" — submitted" if report.submitted else "")
    )


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", "-o", help="CSV, JSON (one unit: the import format) or XLSX."),
    period: str = PeriodOption,
    unit: str | None = typer.Option(None, "--unit", "-u", help="One unit (default: all the actor may see)."),
    as_user: str = AsOption,
) -> None:
    """Xuất kê khai — export declarations with their state, appraised score and comment."""
    suffix = out.suffix.lower()
    with work(as_user) as w:
        code = unit or w.actor.unit_code
        if suffix == ".json" and code:
            document = exchange.export_json(session=w.session, period_code=period, unit_code=code, actor=w.actor)
            out.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
            count = len(document["items"])
        else:
            rows = exchange.export_rows(session=w.session, period_code=period, actor=w.actor, unit_code=code)
            frame = pd.DataFrame(rows)
            if suffix == ".csv":
                frame = frame.apply(_one_reading)
            try:
                write_table(out, {"declarations": frame}, {"period": period})
            except TableError as exc:
                fail(str(exc))
            count = len(rows)
    typer.echo(f"Đã xuất {count} dòng / exported {count} rows → {out}")


def _one_reading(column: pd.Series) -> pd.Series:
    """A number column as text that reads one way only (123.456 → 123.4560), so the CSV imports back."""
    if not is_numeric_dtype(column) or is_bool_dtype(column):
        return column
    return column.map(lambda v: "" if pd.isna(v) else numbers.field(float(v), lang="en"))
