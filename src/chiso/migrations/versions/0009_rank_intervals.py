"""Rank intervals of a result run (issue 16, item 2): rank_interval_set (the analysis, one per run)
and rank_interval (each unit's rank and its 5–95 % quantiles when the weights vary).

Self-contained: it creates only its own tables, so it can be re-chained after other revisions.

Revision ID: 0009_rank_intervals
Revises: 0008_ministry
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_rank_intervals"
down_revision = "0008_ministry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rank_interval_set",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("draws", sa.Integer(), nullable=False),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["result_run.id"], name=op.f("fk_rank_interval_set_run_id_result_run")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_rank_interval_set")),
    )
    op.create_table(
        "rank_interval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("era", sa.String(length=8), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.Float(), nullable=True),
        sa.Column("q05", sa.Float(), nullable=True),
        sa.Column("median", sa.Float(), nullable=True),
        sa.Column("q95", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["rank_interval_set.run_id"], name=op.f("fk_rank_interval_run_id_rank_interval_set")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rank_interval")),
        sa.UniqueConstraint("run_id", "era", "unit_code", name=op.f("uq_rank_interval_run_id_era_unit_code")),
    )


def downgrade() -> None:
    op.drop_table("rank_interval")
    op.drop_table("rank_interval_set")
