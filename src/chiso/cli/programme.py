"""`chiso programme list | show | status`: resolutions, their targets, and whether they are on track."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import typer
from sqlalchemy.exc import DBAPIError

from chiso.cli.output import fail, print_table
from chiso.programme import Programme, ProgrammeError, TargetStatus, evaluate, load_programme, shipped
from chiso.programme.status import LABELS, describe
from chiso.tables import TableError, read_table

app = typer.Typer(help="Chương trình, nghị quyết và chỉ tiêu — programmes and their targets.", no_args_is_help=True)

COMPARISON = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "=", "top": "nhóm"}


def _load(reference: str) -> Programme:
    try:
        return load_programme(reference)
    except ProgrammeError as exc:
        fail(str(exc))


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    from babel.numbers import format_decimal  # Vietnamese: 1.234,5 and 34,87 %

    if unit == "tỷ lệ":
        return format_decimal(value * 100, "#,##0.##", locale="vi") + " %"
    return format_decimal(value, "#,##0.####", locale="vi")


@app.command("list")
def list_programmes() -> None:
    """Các chương trình có sẵn — shipped programmes."""
    rows = [
        (p.slug, p.document.number, p.unit.code, f"{p.horizon[0]}–{p.horizon[1]}", len(p.targets), p.name)
        for p in shipped()
    ]
    print_table(("mã / slug", "văn bản", "đơn vị", "giai đoạn", "chỉ tiêu", "tên"), rows)


@app.command("show")
def show(reference: str = typer.Argument(..., help="Code, document number (01/NQ-TU) or YAML file.")) -> None:
    """Chỉ tiêu của chương trình — the targets, their baselines and what tracks them."""
    programme = _load(reference)
    typer.echo(f"{programme.name}\n{programme.document.number} — {programme.document.issuer}")
    rows = []
    for t in programme.targets:
        goal = f"{COMPARISON[t.comparison]} {_amount(t.value, t.measure_unit)} ({t.year})"
        base = f"{_amount(t.baseline.value, t.measure_unit)} ({t.baseline.year})" if t.baseline else ""
        source = (
            "chưa có nguồn dữ liệu"
            if t.tracks is None
            else (
                f"{t.tracks.framework}:{t.tracks.node}" + (" (hạng)" if t.tracks.statistic == "rank" else "")
                if t.tracks.node
                else t.tracks.variable
            )
        )
        rows.append((t.code, t.name, goal, base, source))
    print_table(("code", "chỉ tiêu", "mục tiêu", "cơ sở", "theo dõi bằng"), rows)


@app.command("status")
def status(
    reference: str = typer.Argument(..., help="Code, document number (01/NQ-TU) or YAML file."),
    values: list[Path] = typer.Option(
        [],
        "--values",
        "-v",
        help="Long tables unit, variable (or node), period (year), value. Repeatable. "
        "Default: the database (e.g. the demo's published and imported figures).",
    ),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Tiến độ chỉ tiêu và dự báo — each target's latest value, progress, forecast and status."""
    programme = _load(reference)
    try:
        if values:
            table = pd.concat([_long(read_table(path), path) for path in values], ignore_index=True)
            source = ", ".join(str(p) for p in values)
        else:
            table, source = _from_database(programme)
        from chiso.cli.session import cli_clock

        results = evaluate(programme, table, today=cli_clock().today())
    except (TableError, ValueError) as exc:
        fail(str(exc))
    from chiso.programme.observed import simulated_targets

    simulated = simulated_targets(programme, table)
    if fmt == "json":
        records = [{**_record(r), "simulated": r.target.code in simulated} for r in results]
        typer.echo(json.dumps(records, ensure_ascii=False, indent=1))
        return
    if fmt != "table":
        fail(f"unknown format {fmt!r}; use table or json")
    typer.echo(f"{programme.name} ({programme.document.number})\nNguồn / source: {source}\n")
    rows = [_row(r, r.target.code in simulated) for r in results]
    print_table(("code", "mục tiêu", "hiện tại", "tiến độ", "dự báo [khoảng 80 %]", "trạng thái", "ghi chú"), rows)
    if simulated:
        typer.echo("\n* số liệu mô phỏng (demo) / simulated figures: the latest value is not a published one")


def _from_database(programme: Programme) -> tuple[pd.DataFrame, str]:
    from chiso.cli.session import database
    from chiso.db import transaction
    from chiso.programme.observed import observations

    with database() as engine, transaction(engine) as session:
        try:
            table = observations(session=session, programme=programme)
        except DBAPIError as exc:
            fail(f"database {engine.url.render_as_string()}: {exc.orig} (build the demo: chiso demo build)")
        return table, f"cơ sở dữ liệu / database {engine.url.render_as_string()}"


def _long(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    if "variable" not in frame.columns and "node" in frame.columns:
        frame = frame.rename(columns={"node": "variable"})
    missing = {"unit", "variable", "period", "value"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: columns {sorted(missing)} missing; give a long table unit, variable, period, value")
    return frame


def _row(r: TargetStatus, simulated: bool = False) -> tuple[object, ...]:
    t = r.target
    unit = "hạng" if t.comparison == "top" else t.measure_unit
    goal = f"{COMPARISON[t.comparison]} {_amount(t.value, unit)} ({t.year})"
    latest = f"{_amount(r.latest, unit)} ({r.latest_year})" if r.latest is not None else ""
    latest += " *" if simulated and latest else ""
    progress = f"{r.progress * 100:.0f} %" if r.progress is not None else ""
    forecast = ""
    if r.forecast is not None:
        f = r.forecast
        forecast = f"{_amount(f.value, unit)} [{_amount(f.low, unit)}; {_amount(f.high, unit)}]"
    elif r.rank_forecast is not None:
        rf = r.rank_forecast
        forecast = f"hạng {rf.rank} [{rf.best}–{rf.worst}]"
    return (t.code, goal, latest, progress, forecast, LABELS[r.status], describe(r.reason, "vi", _figure(unit)))


def _figure(unit: str) -> Callable[[float], str]:
    return lambda value: _amount(value, unit)


def _record(r: TargetStatus) -> dict[str, object]:
    f, rf = r.forecast, r.rank_forecast
    unit = "hạng" if r.target.comparison == "top" else r.target.measure_unit
    return {
        "target": r.target.code,
        "unit": r.unit,
        "comparison": r.target.comparison,
        "value": r.target.value,
        "year": r.target.year,
        "latest": r.latest,
        "latest_year": r.latest_year,
        "progress": r.progress,
        "forecast": None if f is None else {"value": f.value, "low": f.low, "high": f.high, "level": f.level},
        "rank_forecast": None if rf is None else {"rank": rf.rank, "best": rf.best, "worst": rf.worst},
        "status": r.status.value,
        "reason": describe(r.reason, "vi", _figure(unit)),
        "reason_code": r.reason.code,
        "reason_params": dict(r.reason.params),
    }
