"""Plans and tasks: task_plan, task (tasks and activities), task_update (progress reports), task_evidence.

Self-contained: it depends only on the collection tables' revision (0001) and creates only its own
tables, so it can be re-chained after other revisions without change.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"  # after the accounts tables (merged from parallel branches)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("era", sa.String(length=8), nullable=False),
        sa.Column("programme", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_plan")),
        sa.UniqueConstraint("code", name=op.f("uq_task_plan_code")),
    )
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lead_unit", sa.String(length=32), nullable=False),
        sa.Column("co_units", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["task.id"], name=op.f("fk_task_parent_id_task")),
        sa.ForeignKeyConstraint(["plan_id"], ["task_plan.id"], name=op.f("fk_task_plan_id_task_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
        sa.UniqueConstraint("plan_id", "code", name=op.f("uq_task_plan_id_code")),
    )
    op.create_index(op.f("ix_task_lead_unit"), "task", ["lead_unit"], unique=False)
    op.create_index(op.f("ix_task_plan_id"), "task", ["plan_id"], unique=False)
    op.create_table(
        "task_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("status_before", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress_before", sa.Float(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_task_update_task_id_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_update")),
    )
    op.create_index(op.f("ix_task_update_task_id"), "task_update", ["task_id"], unique=False)
    op.create_table(
        "task_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("doc_number", sa.String(length=100), nullable=False),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["update_id"], ["task_update.id"], name=op.f("fk_task_evidence_update_id_task_update")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_evidence")),
    )
    op.create_index(op.f("ix_task_evidence_update_id"), "task_evidence", ["update_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_task_evidence_update_id"), table_name="task_evidence")
    op.drop_table("task_evidence")
    op.drop_index(op.f("ix_task_update_task_id"), table_name="task_update")
    op.drop_table("task_update")
    op.drop_index(op.f("ix_task_plan_id"), table_name="task")
    op.drop_index(op.f("ix_task_lead_unit"), table_name="task")
    op.drop_table("task")
    op.drop_table("task_plan")
