"""Collection tables: actors, audit log, frameworks as published, periods, declarations, evidence,
appraisals, values and result runs.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actor")),
        sa.UniqueConstraint("user", name=op.f("uq_actor_user")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_key", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"], unique=False)
    op.create_index(op.f("ix_audit_entry_entity_key"), "audit_entry", ["entity_key"], unique=False)

    op.create_table(
        "framework_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("edition", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_version")),
        sa.UniqueConstraint("code", "sha256", name=op.f("uq_framework_version_code_sha256")),
    )
    op.create_table(
        "value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("variable", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("lineage", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("source in ('declared', 'imported', 'measured')", name=op.f("ck_value_source")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_value_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_value")),
        sa.UniqueConstraint(
            "unit_code", "variable", "period", "version", name=op.f("uq_value_unit_code_variable_period_version")
        ),
    )
    op.create_index("ix_value_period_unit", "value", ["period", "unit_code"], unique=False)

    op.create_table(
        "collection_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("framework_version_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("era", sa.String(length=8), nullable=False),
        sa.Column("value_period", sa.String(length=32), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_version_id"],
            ["framework_version.id"],
            name=op.f("fk_collection_period_framework_version_id_framework_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_period")),
        sa.UniqueConstraint("code", name=op.f("uq_collection_period_code")),
    )
    op.create_table(
        "result_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("framework_version_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=16), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.String(length=64), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_version_id"],
            ["framework_version.id"],
            name=op.f("fk_result_run_framework_version_id_framework_version"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["collection_period.id"], name=op.f("fk_result_run_period_id_collection_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_run")),
        sa.UniqueConstraint(
            "period_id", "variant", "inputs_sha256", name=op.f("uq_result_run_period_id_variant_inputs_sha256")
        ),
    )
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["collection_period.id"], name=op.f("fk_submission_period_id_collection_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
        sa.UniqueConstraint("period_id", "unit_code", name=op.f("uq_submission_period_id_unit_code")),
    )
    op.create_table(
        "declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("self_score", sa.Float(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("appraised_score", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_declaration_submission_id_submission")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration")),
        sa.UniqueConstraint(
            "submission_id", "indicator_code", name=op.f("uq_declaration_submission_id_indicator_code")
        ),
    )
    op.create_table(
        "result_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("rank", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["result_run.id"], name=op.f("fk_result_row_run_id_result_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_row")),
        sa.UniqueConstraint("run_id", "unit_code", "node", name=op.f("uq_result_row_run_id_unit_code_node")),
    )
    op.create_table(
        "appraisal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("appraised_score", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appraiser", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["declaration.id"], name=op.f("fk_appraisal_declaration_id_declaration")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal")),
    )
    op.create_index(op.f("ix_appraisal_declaration_id"), "appraisal", ["declaration_id"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("doc_number", sa.String(length=100), nullable=False),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["declaration.id"], name=op.f("fk_evidence_declaration_id_declaration")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    op.create_index(op.f("ix_evidence_declaration_id"), "evidence", ["declaration_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_declaration_id"), table_name="evidence")

    op.drop_table("evidence")
    op.drop_index(op.f("ix_appraisal_declaration_id"), table_name="appraisal")

    op.drop_table("appraisal")
    op.drop_table("result_row")
    op.drop_table("declaration")
    op.drop_table("submission")
    op.drop_table("result_run")
    op.drop_table("collection_period")
    op.drop_index("ix_value_period_unit", table_name="value")

    op.drop_table("value")
    op.drop_table("framework_version")
    op.drop_index(op.f("ix_audit_entry_entity_key"), table_name="audit_entry")
    op.drop_index(op.f("ix_audit_entry_at"), table_name="audit_entry")

    op.drop_table("audit_entry")
    op.drop_table("actor")
