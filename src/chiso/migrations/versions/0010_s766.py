"""The Decision 766 index: service766_score (one row per unit and period, replaced when computed again).

Self-contained: it creates only its own table, so it can be re-chained after other revisions.

Revision ID: 0010_s766
Revises: 0009_rank_intervals
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_s766"
down_revision = "0009_rank_intervals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service766_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("era", sa.String(length=8), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("unit_kind", sa.String(length=16), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("ranked", sa.Integer(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lineage", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service766_score")),
        sa.UniqueConstraint("era", "unit_code", "period", name=op.f("uq_service766_score_era_unit_code_period")),
    )
    op.create_index("ix_service766_score_kind_period", "service766_score", ["unit_kind", "period"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_service766_score_kind_period", table_name="service766_score")
    op.drop_table("service766_score")
