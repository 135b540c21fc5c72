"""The audit log: a unit column, the hash chain (existing entries chained in order of id), and triggers
that make the database itself refuse an UPDATE, DELETE (or, on PostgreSQL, TRUNCATE) of an entry.

Revision ID: 0006_audit_chain
Revises: 0005_web_sessions
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chiso.audit import chain
from chiso.db import UTCDateTime

revision = "0006_audit_chain"
down_revision = "0005_web_sessions"  # given as 0003; re-chained after main's head when main was merged in
branch_labels = None
depends_on = None

REFUSED = "audit_entry is append-only: entries cannot be changed or deleted"
PG_UP = [
    f"""CREATE FUNCTION audit_entry_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION USING MESSAGE = '{REFUSED} (' || TG_OP || ' refused)'; END $$""",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse()""",
    """CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse()""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    "DROP FUNCTION IF EXISTS audit_entry_refuse()",
]
SQLITE_UP = [
    f"CREATE TRIGGER audit_entry_no_{verb} BEFORE {verb.upper()} ON audit_entry "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
    for verb in ("update", "delete")
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"]

ENTRIES = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer()),
    sa.column("at", UTCDateTime()),
    *(sa.column(name, sa.String()) for name in ("actor", "action", "entity", "entity_key", "unit_code", "reason")),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("unit_code", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("audit_entry") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_index(batch.f("ix_audit_entry_unit_code"), ["unit_code"], unique=False)
        batch.create_index(batch.f("ix_audit_entry_prev_hash"), ["prev_hash"], unique=True)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in PG_UP if postgresql else SQLITE_UP:
        op.execute(statement)


def _chain_existing_entries() -> None:
    connection = op.get_bind()
    previous = chain.GENESIS
    rows = connection.execute(sa.select(ENTRIES).order_by(ENTRIES.c.id)).mappings().all()
    for row in rows:
        fields = {name: row[name] for name in chain.FIELDS}
        digest = chain.link(previous, fields)
        connection.execute(ENTRIES.update().where(ENTRIES.c.id == row["id"]).values(prev_hash=previous, hash=digest))
        previous = digest


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in PG_DOWN if postgresql else SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_index(batch.f("ix_audit_entry_prev_hash"))
        batch.drop_index(batch.f("ix_audit_entry_unit_code"))
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("unit_code")
