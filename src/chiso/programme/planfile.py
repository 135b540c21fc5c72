"""Import a plan from its XLSX form and export it back: all or nothing, every problem located.

An import reads every row, resolves units, dates, targets and indicators, checks the STT numbering
(an activity 1.2 needs its task 1), and lists every problem with sheet, row, column and reason; then it
applies everything — new tasks, changed definitions, and a progress report for each task whose status,
progress, result or evidence in the file differs from what is recorded — or nothing. Importing the
file again, or a file exported by Chiso, changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso import clock
from chiso.collection import cells
from chiso.collection.schemas import EvidenceIn, Problem
from chiso.collection.service import ValidationFailed
from chiso.errors import ChisoError
from chiso.permissions import Actor, check
from chiso.programme import taskbook
from chiso.programme import tasks as service
from chiso.programme.directory import UnknownUnit, directory
from chiso.programme.models import Task, TaskPlan
from chiso.programme.schemas import STATUS_LABELS, PlanImportReport, PlanIn, ReportIn, TaskIn

FIELD_COLUMN = {"lead_unit": "lead_unit", "co_units": "co_units", "targets": "targets", "indicators": "indicators"}


class PlanImportRefused(ValidationFailed):
    pass


@dataclass
class Row:
    """A task row read from the file, with where each field came from."""

    task: TaskIn
    where: dict[str, str]
    row: int
    status: str | None
    progress: float | None
    result: str | None
    evidence: tuple[EvidenceIn, ...] | None


def read_plan(
    path: Path, *, province: str, era: str, programme: str | None
) -> tuple[taskbook.Sheet, list[Row], list[Problem]]:
    """Rows of the plan file as typed tasks, and every problem found in its cells."""
    if not path.is_file():
        raise ChisoError(f"{path}: file not found")
    if path.suffix.lower() != ".xlsx":
        raise ChisoError(f"{path}: a plan is read from .xlsx (the form provinces circulate)")
    try:
        sheet = taskbook.read_sheet(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ChisoError(f"{path}: cannot be read as XLSX: {exc}") from exc
    problems = [Problem(m, sheet=sheet.name, row=r, column=c) for r, c, m in sheet.problems]
    units = directory(province, era)
    targets = service.load_programme(programme).linkable if programme else None
    rows: list[Row] = []
    section = ""
    for raw in sheet.rows:

        def problem(message: str, key: str = "", raw: taskbook.RawRow = raw) -> None:
            column = raw.cells[key][1] if key in raw.cells else ""
            problems.append(Problem(message, sheet=raw.sheet, row=raw.row, column=column))

        def value(key: str, raw: taskbook.RawRow = raw) -> Any:
            return raw.cells.get(key, (None, ""))[0]

        if value("code") is None and value("title") is None:
            problem("dòng không có STT và tên nhiệm vụ / a row without STT and task", "code")
            continue
        if taskbook.is_section(value("code")):
            section = str(value("title") or "").strip()
            continue
        fields: dict[str, Any] = {"section": section}
        try:
            fields["code"] = taskbook.code(value("code"))
        except taskbook.CellProblem as exc:
            problem(str(exc), "code")
            continue
        for key in ("title", "description", "output"):
            fields[key] = "" if value(key) is None else str(value(key)).strip()
        try:
            fields["lead_unit"] = units.resolve(str(value("lead_unit") or ""))
        except UnknownUnit as exc:
            problem(f"đơn vị chủ trì / lead unit: {exc}", "lead_unit")
        co_units = []
        for name in taskbook.split_list(value("co_units")):
            try:
                co_units.append(units.resolve(name, groups=True))
            except UnknownUnit as exc:
                problem(f"đơn vị phối hợp / co-unit: {exc}", "co_units")
        fields["co_units"] = tuple(dict.fromkeys(co_units))
        for key, end in (("start_date", False), ("due_date", True)):
            try:
                fields[key] = taskbook.date_cell(value(key), end=end)
            except taskbook.CellProblem as exc:
                problem(str(exc), key)
        fields["targets"] = tuple(taskbook.split_codes(value("targets")))
        if targets is None and fields["targets"]:
            problem("kế hoạch chưa gắn với chương trình / the plan has no programme (--programme)", "targets")
        for target in fields["targets"]:
            if targets is not None and target not in targets:
                problem(f"chỉ tiêu {target!r} không có trong chương trình / unknown target", "targets")
        fields["indicators"] = tuple(taskbook.split_codes(value("indicators")))
        for reference in fields["indicators"]:
            message = service.indicator_problem(reference)
            if message:
                problem(message, "indicators")
        status = progress = evidence = None
        try:
            status = taskbook.status_cell(value("status"))
        except taskbook.CellProblem as exc:
            problem(str(exc), "status")
        try:
            progress = taskbook.progress_cell(value("progress"), raw.percent_progress)
        except taskbook.CellProblem as exc:
            problem(str(exc), "progress")
        if "evidence" in raw.cells:
            try:
                evidence = cells.evidence(value("evidence"), None, path.parent)
            except (cells.CellError, ValidationError) as exc:
                problem(str(exc).splitlines()[0], "evidence")
        result = None if "result" not in raw.cells else str(value("result") or "").strip()
        if "lead_unit" not in fields or any(p.row == raw.row for p in problems):
            continue
        try:
            task_in = TaskIn(**fields)
        except ValidationError as exc:
            for error in exc.errors():
                key = str(error["loc"][0]) if error["loc"] else ""
                problem(f"{error['msg'].removeprefix('Value error, ')}", "due_date" if key == "" else key)
            continue
        where = {k: label for k, (_, label) in raw.cells.items()}
        rows.append(Row(task_in, where, raw.row, status, progress, result, evidence))
    return sheet, rows, problems


def import_plan(
    *,
    session: Session,
    path: Path,
    actor: Actor,
    plan_code: str | None = None,
    name: str | None = None,
    province: str | None = None,
    programme: str | None = None,
    era: str = "2025",
    today: dt.date | None = None,
) -> PlanImportReport:
    """Import (or re-import) a plan file. Nothing changes unless the whole file is good."""
    check(actor, "task.manage")
    today = today or clock.of(session).today()
    peek = taskbook.read_sheet(path) if path.is_file() and path.suffix.lower() == ".xlsx" else None
    meta = peek.meta if peek else {}
    plan_code = plan_code or meta.get("plan") or None
    if not plan_code:
        raise ChisoError(f"{path.name}: name the plan (--plan, e.g. 80/KH-UBND)")
    if meta.get("plan") and meta["plan"] != plan_code:
        raise ChisoError(f"{path.name}: the file is for plan {meta['plan']!r}, not {plan_code!r}")
    existing = session.scalar(select(TaskPlan).where(TaskPlan.code == plan_code))
    province = province or (existing.unit_code if existing else meta.get("province"))
    if not province:
        raise ChisoError(f"plan {plan_code} is new: give the province whose units lead its tasks (--province 19)")
    era = existing.era if existing else meta.get("era", era)
    programme = service.programme_code(programme or meta.get("programme") or None) or (
        existing.programme if existing else None
    )
    sheet, rows, problems = read_plan(path, province=province, era=era, programme=programme)
    plan_in = PlanIn(
        code=plan_code,
        name=name or (existing.name if existing else None) or sheet.title or plan_code,
        province=province,
        era=era,
        document_date=existing.document_date if existing else None,
        programme=programme,
        note=existing.note if existing else meta.get("note", ""),
    )
    current = _current(session, existing)
    problems += _check_numbering(rows, current, sheet.name)
    reports = {}
    for row in rows:
        try:
            reports[row.task.code] = _report_for(row, current.get(row.task.code), path.name)
        except ChisoError as exc:
            problems.append(Problem(str(exc), sheet=sheet.name, row=row.row, column=row.where.get("status", "")))
    if any(p.severity == "error" for p in problems):
        raise PlanImportRefused(problems, f"{path.name}: ")
    report = PlanImportReport()
    with session.begin_nested():
        plan, report.plan_created = service.save_plan(session=session, plan_in=plan_in, actor=actor)
        report.plan_created = report.plan_created and existing is None
        for position, row in enumerate(rows, start=1):
            _, outcome = service.save_task(
                session=session, plan_code=plan.code, task_in=row.task, actor=actor, position=position
            )
            if outcome == "created":
                report.created.append(row.task.code)
            elif outcome == "changed":
                report.changed.append(row.task.code)
            report_in = reports[row.task.code]
            if report_in is not None and service.report(
                session=session,
                plan_code=plan.code,
                task_code=row.task.code,
                report_in=report_in,
                actor=actor,
                today=today,
            ):
                report.reported.append(row.task.code)
            if outcome == "unchanged" and row.task.code not in report.reported:
                report.unchanged += 1
    return report


def _current(session: Session, plan: TaskPlan | None) -> dict[str, Task]:
    if plan is None:
        return {}
    return {t.code: t for t in session.scalars(select(Task).where(Task.plan_id == plan.id))}


def _check_numbering(rows: list[Row], current: dict[str, Task], sheet: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row in rows:
        code = row.task.code
        if code in seen:
            problems.append(
                Problem(
                    f"STT {code} trùng với dòng {seen[code]} / used twice",
                    sheet=sheet,
                    row=row.row,
                    column=row.where.get("code", ""),
                )
            )
            continue
        seen[code] = row.row
        parent = row.task.parent_code
        if parent is not None and parent not in seen and parent not in current:
            message = f"hoạt động {code} cần nhiệm vụ {parent} ở phía trên / its task {parent} must come first"
            problems.append(Problem(message, sheet=sheet, row=row.row, column=row.where.get("code", "")))
    return problems


def _report_for(row: Row, task: Task | None, filename: str) -> ReportIn | None:
    """The progress report the row asks for, if its status, progress, result or evidence differ."""
    status_now, progress_now = (task.status, task.progress) if task else ("not_started", 0.0)
    result_now = task.result if task else ""
    evidence_now = service.latest_evidence(task) if task else []
    wanted_status = row.status or status_now
    wanted_progress = row.progress if row.progress is not None else None
    result = row.result if row.result is not None else result_now
    evidence = [(e.doc_number, e.doc_date, e.summary) for e in row.evidence or ()]
    differs = (
        wanted_status != status_now
        or (wanted_progress is not None and wanted_progress != progress_now)
        or result != result_now
        or (row.evidence is not None and evidence and evidence != evidence_now)
    )
    if not differs:
        return None
    note = result or f"Cập nhật từ tệp {filename}: {STATUS_LABELS[wanted_status].lower()}"
    # A status left as it was (an exported file whose progress was edited) is inferred again from the progress.
    status = row.status if row.status != status_now else None
    report_in = ReportIn(note=note, status=status, progress=wanted_progress, evidence=row.evidence or ())
    if task is not None:
        service.resolve_report(task, report_in)
    else:
        _check_new(row, report_in)
    return report_in


def _check_new(row: Row, report_in: ReportIn) -> None:
    if report_in.status == "done" and report_in.progress is not None and report_in.progress < 100:
        raise ChisoError(f"'done' needs progress 100 %, not {report_in.progress:g} % / hoàn thành là 100 %")
    if report_in.status == "not_started" and (report_in.progress or 0) > 0:
        raise ChisoError(f"progress {report_in.progress:g} % but status not_started / chưa triển khai là 0 %")


# --- export --------------------------------------------------------------------------------------------


def export_plan(*, session: Session, plan_code: str, actor: Actor, path: Path) -> int:
    """Write the plan in its XLSX form (what `import_plan` reads back unchanged); the number of tasks."""
    check(actor, "task.view")
    plan = service.get_plan(session=session, code=plan_code)
    units = directory(plan.unit_code, plan.era)
    tasks = service.list_tasks(session=session, actor=actor, plan_code=plan.code)
    rows: list[dict[str, Any]] = []
    section, numbered = "", 0
    for task in tasks:
        if task.section != section:
            section = task.section
            numbered += 1
            rows.append({"kind": "section", "code": _roman(numbered), "title": section})
        rows.append(
            {
                "code": task.code,
                "title": task.title,
                "description": task.description or None,
                "lead_unit": units.name(task.lead_unit),
                "co_units": "; ".join(units.name(c) for c in task.co_units) or None,
                "start_date": None if task.start_date is None else taskbook.date_text(task.start_date),
                "due_date": taskbook.date_text(task.due_date),
                "output": task.output or None,
                "targets": "; ".join(task.targets) or None,
                "indicators": "; ".join(task.indicators) or None,
                "status": STATUS_LABELS[task.status],
                "progress": task.progress,
                "result": task.result or None,
                "evidence": cells.evidence_text(service.latest_evidence(task)) or None,
            }
        )
    programme = service.load_programme(plan.programme).document.number if plan.programme else ""
    subtitle = " — ".join(
        p
        for p in (
            f"Số {plan.code}",
            plan.document_date and plan.document_date.strftime("ngày %d/%m/%Y"),
            programme and f"thực hiện {programme}",
        )
        if p
    )
    meta = {
        "plan": plan.code,
        "province": plan.unit_code,
        "era": plan.era,
        "programme": plan.programme or "",
        "note": plan.note,
    }
    taskbook.write_sheet(path, title=plan.name, subtitle=subtitle, note=plan.note, meta=meta, rows=rows)
    return len(tasks)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out
