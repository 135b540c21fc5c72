from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from chiso.db import Base, column_now


class ActorRecord(Base):
    """A person (or a system feeding measures) that acts in Chiso; `roles` is a comma-separated list."""

    __tablename__ = "actor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[str] = mapped_column(String(200))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=column_now)
