"""The demo's example plan (demo/data/plan-thai-nguyen-example.yaml) through the tasks service."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

import yaml
from sqlalchemy.orm import Session

from chiso.collection import cells
from chiso.permissions import Actor
from chiso.programme import tasks
from chiso.programme.schemas import PlanIn, ReportIn, TaskIn

EXAMPLE = "plan-thai-nguyen-example.yaml"


def example() -> dict[str, Any]:
    text = (resources.files("chiso.demo") / "data" / EXAMPLE).read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def load(*, session: Session, admin: Actor, officers: dict[str, Actor]) -> tuple[str, int, int]:
    """Define the plan and its tasks, then let each lead unit report; (plan code, tasks, reports)."""
    document = example()
    plan_in = PlanIn(**document["plan"])
    tasks.save_plan(session=session, plan_in=plan_in, actor=admin)
    reports = 0
    section = ""
    for position, entry in enumerate(document["tasks"], start=1):
        entry = dict(entry)
        section = entry.pop("section", section)
        planned = entry.pop("reports", [])
        task_in = TaskIn(section=section, **entry)
        tasks.save_task(session=session, plan_code=plan_in.code, task_in=task_in, actor=admin, position=position)
        for report in planned:
            evidence = tuple(doc for line in report.get("evidence", []) for doc in cells.evidence(line, None, None))  # type: ignore[arg-type]
            report_in = ReportIn(
                note=report["note"],
                progress=report["progress"],
                evidence=evidence,
                reported_on=report["date"] if isinstance(report["date"], dt.date) else None,
            )
            tasks.report(
                session=session,
                plan_code=plan_in.code,
                task_code=task_in.code,
                report_in=report_in,
                actor=officers[task_in.lead_unit],
            )
            reports += 1
    return plan_in.code, len(document["tasks"]), reports
