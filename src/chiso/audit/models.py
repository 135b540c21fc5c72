from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chiso.db import Base, append_only, column_now


class AuditEntry(Base):
    """One change. Rows are only ever inserted: an update or a delete is refused at flush."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=column_now, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    reason: Mapped[str] = mapped_column(Text, default="")


append_only(AuditEntry, "the audit log is append-only: entries cannot be changed or deleted")
