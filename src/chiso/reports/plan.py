"""The plan's tasks: done and overdue by lead unit, overdue judged on the session's clock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from chiso.permissions import Actor
from chiso.programme import tasks
from chiso.programme.directory import directory
from chiso.programme.schemas import STATUS_LABELS
from chiso.reports.schemas import Column, Section, Table


def section(*, session: Session, actor: Actor, province: str, era: str, today: dt.date) -> Section:
    plans = [p for p in tasks.list_plans(session=session, actor=actor) if p.unit_code == province and p.era == era]
    out = Section("tasks", "Thực hiện kế hoạch: nhiệm vụ hoàn thành và quá hạn")
    if not plans:
        out.paragraphs.append("Tỉnh chưa nhập kế hoạch nhiệm vụ vào Chiso (chiso tasks import).")
        return out
    names = directory(province, era)
    by_unit: dict[str, list[int]] = {}
    late_rows = []
    for plan in plans:
        out.paragraphs.append(f"{plan.name} ({plan.code}).")
        for task in tasks.list_tasks(session=session, actor=actor, plan_code=plan.code):
            counts = by_unit.setdefault(task.lead_unit, [0, 0, 0, 0])
            counts[0] += 1
            counts[1] += task.status == "done"
            counts[2] += task.status == "in_progress"
            if task.overdue_on(today):
                counts[3] += 1
                assert task.due_date is not None  # overdue means a due date has passed
                late_rows.append(
                    (
                        task.code,
                        task.title,
                        names.name(task.lead_unit),
                        task.due_date,
                        (today - task.due_date).days,
                        STATUS_LABELS.get(task.status, task.status),
                        task.progress,
                    )
                )
    ordered = sorted(by_unit.items(), key=lambda item: (-item[1][3], names.name(item[0])))  # most overdue first
    rows = [(names.name(unit), *counts, counts[1] / counts[0]) for unit, counts in ordered]
    out.tables.append(
        Table(
            "Nhiệm vụ theo đơn vị",
            f"Nhiệm vụ theo đơn vị chủ trì (quá hạn tính đến {today:%d/%m/%Y})",
            (
                Column("Đơn vị chủ trì", "text"),
                Column("Số nhiệm vụ", "int"),
                Column("Hoàn thành", "int"),
                Column("Đang thực hiện", "int"),
                Column("Quá hạn", "int"),
                Column("Tỷ lệ hoàn thành", "pct", 1),
            ),
            rows,
        )
    )
    late_rows.sort(key=lambda r: (-int(r[4]), str(r[0])))
    out.tables.append(
        Table(
            "Nhiệm vụ quá hạn",
            "Nhiệm vụ quá hạn",
            (
                Column("Mã", "text"),
                Column("Nhiệm vụ", "text"),
                Column("Đơn vị chủ trì", "text"),
                Column("Hạn", "date"),
                Column("Số ngày quá hạn", "int"),
                Column("Tình trạng", "text"),
                Column("Tiến độ (%)", "num", 0),
            ),
            late_rows,
        )
    )
    return out
