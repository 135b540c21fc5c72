"""The Ministry's DTI component lists imported for the province's declaration: dti_component_list.

Self-contained: it creates only its own table, so it can be re-chained after other revisions.

Revision ID: 0008_ministry
Revises: 0007_outbox
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_ministry"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dti_component_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=8), nullable=False),
        sa.Column("framework_version_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_version_id"],
            ["framework_version.id"],
            name=op.f("fk_dti_component_list_framework_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dti_component_list")),
    )
    op.create_index(op.f("ix_dti_component_list_year"), "dti_component_list", ["year"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dti_component_list_year"), table_name="dti_component_list")
    op.drop_table("dti_component_list")
