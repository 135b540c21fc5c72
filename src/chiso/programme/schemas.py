"""Inputs and outputs of the tasks service: a plan, a task's definition, a progress report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chiso.collection.schemas import EvidenceIn
from chiso.programme.models import TASK_STATUSES, Task

TASK_CODE = r"^\d{1,3}(\.\d{1,3}){0,3}$"  # STT as numbered in the plan: 1, 1.2, 1.2.3

STATUS_LABELS = {
    "not_started": "Chưa triển khai",
    "in_progress": "Đang triển khai",
    "done": "Hoàn thành",
    "paused": "Tạm dừng",
    "cancelled": "Không thực hiện",
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlanIn(Frozen):
    code: str = Field(min_length=1, max_length=64, description="The plan's document number, e.g. 80/KH-UBND.")
    name: str = Field(min_length=1)
    province: str = Field(min_length=1, max_length=32, description="Code of the province whose units lead tasks.")
    era: str = "2025"
    document_date: dt.date | None = None
    programme: str | None = Field(None, description="Programme served: code or document number (01/NQ-TU).")
    note: str = ""


class TaskIn(Frozen):
    """A task's definition. Its status and progress change only through progress reports."""

    code: str = Field(pattern=TASK_CODE, description="STT: 1 for a task, 1.2 for its second activity.")
    title: str = Field(min_length=1)
    description: str = ""
    section: str = ""
    lead_unit: str = Field(min_length=1, max_length=32)
    co_units: tuple[str, ...] = ()
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    output: str = ""
    targets: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _dates(self) -> TaskIn:
        if self.start_date and self.due_date and self.due_date < self.start_date:
            raise ValueError(f"thời hạn {self.due_date} trước ngày bắt đầu {self.start_date} / due before start")
        return self

    @property
    def parent_code(self) -> str | None:
        return self.code.rsplit(".", 1)[0] if "." in self.code else None


class ReportIn(Frozen):
    """A progress report by the lead unit: what was done (note), status, progress %, evidence."""

    note: str = Field(min_length=1, description="Kết quả thực hiện: what was done since the last report.")
    status: str | None = Field(None, description=f"One of {', '.join(TASK_STATUSES)}; inferred when omitted.")
    progress: float | None = Field(None, ge=0, le=100, description="Per cent complete, 0–100.")
    reported_on: dt.date | None = None
    evidence: tuple[EvidenceIn, ...] = ()


@dataclass(frozen=True)
class OverdueTask:
    task: Task
    role: str  # "lead" (chủ trì) or "co" (phối hợp)
    days_late: int


@dataclass
class PlanImportReport:
    """What an import did: tasks created, definitions changed, progress reports recorded."""

    plan_created: bool = False
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def any(self) -> bool:
        return bool(self.plan_created or self.created or self.changed or self.reported)
