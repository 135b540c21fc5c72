"""Declared figures of the Decision 766 components Chiso cannot measure: service766_declaration
(one row per version of a unit's input in a period, never updated).

Self-contained: it creates only its own table, so it can be re-chained after other revisions.

Revision ID: 0012_s766_declared
Revises: 0011_accounts_admin
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_s766_declared"
down_revision = "0011_accounts_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service766_declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("era", sa.String(length=8), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("variable", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_service766_declaration_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service766_declaration")),
        sa.UniqueConstraint(
            "era",
            "unit_code",
            "period",
            "variable",
            "version",
            name=op.f("uq_service766_declaration_era_unit_code_period_variable_version"),
        ),
    )
    op.create_index("ix_service766_declaration_period", "service766_declaration", ["era", "period"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_service766_declaration_period", table_name="service766_declaration")
    op.drop_table("service766_declaration")
