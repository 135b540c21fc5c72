"""`chiso tasks import | export | list | show | update | overdue`: plans, their tasks and who is late."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import typer

from chiso import csvsafe
from chiso.cli.output import fail, print_table
from chiso.cli.session import AsOption, work
from chiso.collection import cells
from chiso.programme import planfile
from chiso.programme import tasks as service
from chiso.programme.directory import directory
from chiso.programme.models import TASK_STATUSES, Task
from chiso.programme.schemas import STATUS_LABELS, ReportIn

app = typer.Typer(help="Kế hoạch, nhiệm vụ — plans, tasks and their progress.", no_args_is_help=True)
PlanOption = typer.Option(None, "--plan", "-p", help="Plan code (e.g. 80/KH-UBND); optional when there is one.")
TodayOption = typer.Option(None, "--today", help="Date to judge overdue tasks by (YYYY-MM-DD); default today.")
FormatOption = typer.Option("table", "--format", "-f", help="table | csv | json")


def _today(text: str | None) -> dt.date:
    if text is None:
        from chiso.cli.session import cli_clock

        return cli_clock().today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--today: not a date {text!r}; write YYYY-MM-DD")


def _date(value: dt.date | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y")


def _record(task: Task, today: dt.date) -> dict[str, Any]:
    names = directory(task.plan.unit_code, task.plan.era)
    return {
        "plan": task.plan.code,
        "code": task.code,
        "title": task.title,
        "lead_unit": task.lead_unit,
        "lead_unit_name": names.name(task.lead_unit),
        "co_units": task.co_units,
        "start_date": task.start_date and task.start_date.isoformat(),
        "due_date": task.due_date and task.due_date.isoformat(),
        "status": task.status,
        "progress": task.progress,
        "overdue": task.overdue_on(today),
        "targets": task.targets,
        "indicators": task.indicators,
        "result": task.result,
        "version": task.version,
    }


def _emit(records: list[dict[str, Any]], fmt: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    if fmt == "json":
        typer.echo(json.dumps(records, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        out = io.StringIO()
        flat = [{k: "; ".join(v) if isinstance(v, list) else v for k, v in r.items()} for r in records]
        csvsafe.write(out, flat, list(records[0]) if records else ["code"])
        typer.echo(out.getvalue(), nl=False)
    elif fmt == "table":
        print_table(columns, rows)
    else:
        fail(f"unknown format {fmt!r}; use table, csv or json")


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="The plan as XLSX (STT, Nhiệm vụ, Đơn vị chủ trì, … Thời hạn …)."),
    plan: str | None = typer.Option(None, "--plan", "-p", help="Plan code; default: the one the file names."),
    name: str | None = typer.Option(None, "--name", help="Plan name (default: the file's title row)."),
    province: str | None = typer.Option(None, "--province", help="For a new plan: its province's code (19)."),
    programme: str | None = typer.Option(None, "--programme", help="Programme served: 01/NQ-TU or its code."),
    today: str | None = TodayOption,
    as_user: str = AsOption,
) -> None:
    """Nhập kế hoạch từ tệp XLSX — import (or re-import) a plan; all or nothing, every problem listed."""
    with work(as_user) as w:
        report = planfile.import_plan(
            session=w.session,
            path=path,
            actor=w.actor,
            plan_code=plan,
            name=name,
            province=province,
            programme=programme,
            today=_today(today),
        )
    if report.plan_created:
        typer.echo("Kế hoạch mới / new plan")
    typer.echo(
        f"{len(report.created)} nhiệm vụ mới / created, {len(report.changed)} sửa / changed, "
        f"{len(report.reported)} báo cáo tiến độ / progress reports, {report.unchanged} không đổi / unchanged"
    )


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", "-o", help="XLSX file to write."),
    plan: str | None = PlanOption,
    as_user: str = AsOption,
) -> None:
    """Xuất kế hoạch ra tệp XLSX — the plan in the form provinces circulate (re-importable)."""
    if out.suffix.lower() != ".xlsx":
        fail(f"{out}: plans are exported as .xlsx")
    with work(as_user) as w:
        code = plan or service.only_plan(session=w.session).code
        count = planfile.export_plan(session=w.session, plan_code=code, actor=w.actor, path=out)
    typer.echo(f"{count} nhiệm vụ / tasks → {out}")


@app.command("list")
def list_(
    plan: str | None = PlanOption,
    unit: str | None = typer.Option(None, "--unit", "-u", help="Tasks this unit leads or joins."),
    status: list[str] = typer.Option([], "--status", help=f"Only this status ({', '.join(TASK_STATUSES)})."),
    overdue_only: bool = typer.Option(False, "--overdue", help="Only overdue tasks."),
    today: str | None = TodayOption,
    fmt: str = FormatOption,
    as_user: str = AsOption,
) -> None:
    """Danh sách nhiệm vụ — tasks with lead unit, due date, status and progress."""
    day = _today(today)
    with work(as_user) as w:
        found = service.list_tasks(
            session=w.session,
            actor=w.actor,
            plan_code=plan,
            unit_code=unit,
            statuses=status,
            overdue_on=day if overdue_only else None,
        )
        records = [_record(t, day) for t in found]
    rows = [
        (
            r["code"],
            r["title"][:60],
            r["lead_unit_name"],
            _date(t.due_date),
            STATUS_LABELS[t.status],
            f"{t.progress:g} %",
            "QUÁ HẠN" if r["overdue"] else "",
        )
        for r, t in zip(records, found, strict=True)
    ]
    _emit(records, fmt, ("stt", "nhiệm vụ", "chủ trì", "thời hạn", "trạng thái", "tiến độ", ""), rows)


@app.command("show")
def show(
    code: str = typer.Argument(..., help="Task code (STT), e.g. 1.2."),
    plan: str | None = PlanOption,
    as_user: str = AsOption,
) -> None:
    """Chi tiết nhiệm vụ và các lần báo cáo — a task and its progress reports."""
    with work(as_user) as w:
        task = service.read_task(session=w.session, actor=w.actor, code=code, plan_code=plan)
        names = directory(task.plan.unit_code, task.plan.era)
        typer.echo(f"{task.code}. {task.title}\n")
        lines = [
            ("Chủ trì", names.name(task.lead_unit)),
            ("Phối hợp", "; ".join(names.name(c) for c in task.co_units)),
            ("Thời gian", f"{_date(task.start_date)} – {_date(task.due_date) or 'thường xuyên'}"),
            ("Sản phẩm", task.output),
            ("Chỉ tiêu", "; ".join(task.targets)),
            ("Chỉ số", "; ".join(task.indicators)),
            ("Trạng thái", f"{STATUS_LABELS[task.status]}, {task.progress:g} %"),
            ("Kết quả", task.result),
        ]
        for label, text in lines:
            if text:
                typer.echo(f"{label}: {text}")
        rows = [
            (
                _date(u.reported_on),
                u.recorded_by,
                f"{STATUS_LABELS[u.status]} {u.progress:g} %",
                u.note,
                "; ".join(f"{e.doc_number} ({_date(e.doc_date)})" for e in u.evidence),
            )
            for u in task.updates
        ]
    if rows:
        typer.echo("")
        print_table(("ngày", "người báo cáo", "tiến độ", "kết quả", "minh chứng"), rows)


@app.command("update")
def update(
    code: str = typer.Argument(..., help="Task code (STT), e.g. 1.2."),
    note: str = typer.Option(..., "--note", "-m", help="Kết quả thực hiện: what was done."),
    progress: float | None = typer.Option(None, "--progress", help="Per cent complete, 0–100."),
    status: str | None = typer.Option(None, "--status", help=f"{', '.join(TASK_STATUSES)}; inferred if omitted."),
    evidence: list[str] = typer.Option([], "--evidence", "-e", help="'số hiệu – dd/mm/yyyy – trích yếu'. Repeatable."),
    file: list[Path] = typer.Option([], "--file", help="Evidence file for the --evidence in the same place."),
    plan: str | None = PlanOption,
    today: str | None = TodayOption,
    as_user: str = AsOption,
) -> None:
    """Báo cáo tiến độ nhiệm vụ — the lead unit reports progress, with a note and evidence."""
    if len(file) > len(evidence):
        fail("one --evidence per --file (number – date – summary of the document)")
    docs = []
    for n, line in enumerate(evidence):
        try:
            parsed = cells.evidence(line, None, Path("."))
        except cells.CellError as exc:
            fail(f"--evidence {line!r}: {exc}")
        docs += [d.model_copy(update={"file": file[n] if n < len(file) else None}) for d in parsed]
    with work(as_user) as w:
        code_of_plan = plan or service.only_plan(session=w.session).code
        done = service.report(
            session=w.session,
            plan_code=code_of_plan,
            task_code=code,
            actor=w.actor,
            files=w.files,
            today=_today(today),
            report_in=ReportIn(note=note, status=status, progress=progress, evidence=tuple(docs)),
        )
        state = None if done is None else (STATUS_LABELS[done.status], done.progress)
    if state is None:
        typer.echo("Không có gì thay đổi / nothing changed")
    else:
        typer.echo(f"Đã ghi nhận / recorded: {code} — {state[0]}, {state[1]:g} %")


@app.command("overdue")
def overdue(
    unit: str | None = typer.Option(None, "--unit", "-u", help="What this unit must act on (leads, then supports)."),
    plan: str | None = PlanOption,
    today: str | None = TodayOption,
    fmt: str = FormatOption,
    as_user: str = AsOption,
) -> None:
    """Nhiệm vụ quá hạn — overdue tasks, reported to their lead unit (or one unit's list with --unit)."""
    day = _today(today)
    with work(as_user) as w:
        late = service.overdue(session=w.session, actor=w.actor, today=day, unit_code=unit, plan_code=plan)
        records = [
            {
                **_record(o.task, day),
                "role": o.role,
                "days_late": o.days_late,
                "lead_unit_name": directory(o.task.plan.unit_code, o.task.plan.era).name(o.task.lead_unit),
            }
            for o in late
        ]
    role = {"lead": "chủ trì", "co": "phối hợp"}
    rows = sorted(
        (
            (
                r["lead_unit_name"],
                r["code"],
                r["title"][:60],
                _date(dt.date.fromisoformat(r["due_date"])),
                r["days_late"],
                f"{r['progress']:g} %",
                role[r["role"]],
            )
            for r in records
        ),
        key=lambda row: (row[0], -row[4]) if unit is None else (0, 0),
    )
    if fmt == "table":
        typer.echo(f"Quá hạn tính đến {_date(day)} / overdue as of {day.isoformat()}: {len(records)}\n")
    _emit(records, fmt, ("chủ trì", "stt", "nhiệm vụ", "thời hạn", "số ngày trễ", "tiến độ", "vai trò"), rows)
