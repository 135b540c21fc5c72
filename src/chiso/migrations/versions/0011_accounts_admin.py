"""Accounts: a password set by an administrator (a reset, an imported account) must be changed by its
user at the next login (account.must_change_password); an account's e-mail address (account.email).

Revision ID: 0011_accounts_admin
Revises: 0010_s766
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_accounts_admin"
down_revision = "0010_s766"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("email")
        batch.drop_column("must_change_password")
