"""The append-only audit log: who did what, when, with the state before and after.

Each entry is chained to the one before it by a hash (see `chiso.audit.chain`); the database refuses an
UPDATE or DELETE of a row through triggers made by the migration, and the ORM refuses them at flush.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chiso.db import Base, append_only, column_now


class AuditEntry(Base):
    """One change, login or refusal. Rows are only ever inserted."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=column_now, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(32), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    # The chain: sha256 of the previous entry's hash and this entry's canonical JSON. A unique
    # prev_hash means two entries can never follow the same one: the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    hash: Mapped[str] = mapped_column(String(64))


append_only(AuditEntry, "the audit log is append-only: entries cannot be changed or deleted")
