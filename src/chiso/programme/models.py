"""Plans of tasks (kế hoạch, nhiệm vụ): tasks and activities with a lead unit, progress reports and evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chiso.collection.models import CitedDocument
from chiso.db import Base, append_only, column_now

TASK_STATUSES = ("not_started", "in_progress", "done", "paused", "cancelled")
CLOSED_STATUSES = frozenset({"done", "cancelled"})  # nothing left to do: never overdue


class TaskPlan(Base):
    """A plan (kế hoạch) as issued: its document, the unit that issued it and the programme it serves."""

    __tablename__ = "task_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    document_date: Mapped[dt.date | None]
    unit_code: Mapped[str] = mapped_column(String(32))
    era: Mapped[str] = mapped_column(String(8))
    programme: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    created_by: Mapped[str] = mapped_column(String(64))


class Task(Base):
    """A task (nhiệm vụ) or, with a parent, one of its activities (hoạt động).

    `co_units` lists unit codes and unit groups (`group:departments`); `targets` programme target codes;
    `indicators` framework nodes as `framework:node`. Status, progress and result change only through
    progress reports (`TaskUpdate`), which keep the history.
    """

    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("task_plan.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    code: Mapped[str] = mapped_column(String(32))
    position: Mapped[int]
    section: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    lead_unit: Mapped[str] = mapped_column(String(32), index=True)
    co_units: Mapped[list[Any]]
    start_date: Mapped[dt.date | None]
    due_date: Mapped[dt.date | None]
    output: Mapped[str] = mapped_column(Text, default="")
    targets: Mapped[list[Any]]
    indicators: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float)
    result: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[dt.date | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    updated_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    plan: Mapped[TaskPlan] = relationship(lazy="joined")
    updates: Mapped[list[TaskUpdate]] = relationship(order_by="TaskUpdate.id", back_populates="task")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def overdue_on(self, today: dt.date) -> bool:
        return self.due_date is not None and self.due_date < today and self.status not in CLOSED_STATUSES


class TaskUpdate(Base):
    """A progress report on a task: status and progress before and after, a note, evidence. Append-only."""

    __tablename__ = "task_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    reported_on: Mapped[dt.date]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    recorded_by: Mapped[str] = mapped_column(String(64))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    status_before: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    progress_before: Mapped[float] = mapped_column(Float)
    progress: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text)

    task: Mapped[Task] = relationship(back_populates="updates")
    evidence: Mapped[list[TaskEvidence]] = relationship(order_by="TaskEvidence.id", cascade="all")


class TaskEvidence(CitedDocument, Base):
    """A document cited in a progress report."""

    __tablename__ = "task_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("task_update.id"), index=True)


append_only(TaskUpdate, "progress reports are history: report again instead of changing one")
append_only(TaskEvidence, "progress reports are history: report again instead of changing one")
