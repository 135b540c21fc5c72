from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chiso.db import Base, append_only, column_now
from chiso.units.ref import UnitRef

SOURCES = ("declared", "imported", "measured")


class Value(Base):
    """One version of one value. A change inserts the next version; no row is ever updated.

    The unique (era, unit, variable, period, version) key is the optimistic lock: of two writers that
    read the same version, only one can insert the next. A unit is (era, code): codes are reused across
    the 2025 reorganisation, so the era is part of every key.
    """

    __tablename__ = "value"
    __table_args__ = (
        UniqueConstraint("era", "unit_code", "variable", "period", "version"),
        CheckConstraint("source in ('declared', 'imported', 'measured')", name="source"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_value_period_unit", "period", "era", "unit_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    era: Mapped[str] = mapped_column(String(8))
    unit_code: Mapped[str] = mapped_column(String(32))
    variable: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    recorded_by: Mapped[str] = mapped_column(String(64))
    lineage: Mapped[dict[str, Any] | None]
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def unit(self) -> UnitRef:
        return UnitRef(self.era, self.unit_code)


append_only(Value, "values are never overwritten: record a new version instead")
